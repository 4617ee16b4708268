/**
 * Drain confirmation: a pure decision from what the gateways report to "may the drain period of
 * this container start yet". A container that left rotation is stopped only after every gateway
 * node serving its environment applied a configuration without it (or a bound was hit), so zero
 * loss never depends on a timer being long enough for the slowest node.
 *
 * Per gateway, the gate is the first revision whose endpoint set no longer lists the
 * container (remembered in the store, so later endpoint changes do not move it); a node confirms
 * once the revision it reports as applied is at least the gate.
 */

/** One node of a gateway as the confirmation sees it. */
export interface GatewayNodeView {
  name: string;
  /** The revision (version number) whose endpoints the node runs; null: never applied. */
  appliedRevision: number | null;
  /** Has reported within its lease. An offline node never confirms. */
  online: boolean;
}

/** One gateway serving the container's environment. */
export interface GatewayView {
  id: string;
  name: string;
  /** The version of the gateway's current endpoint set (the newest one), or null. */
  installedRevision: number | null;
  /** The endpoints (IPV4:PORT) that set balances over (weight above 0). */
  installedAddresses: ReadonlySet<string>;
  nodes: GatewayNodeView[];
}

/** A container waiting for confirmation. */
export interface DrainingContainer {
  /** The container's published addresses (what a gateway would list). */
  addresses: string[];
  /** When it left rotation (RFC 3339). */
  leftAt: string;
  /** gateway id → the first revision without the container, as found so far. */
  gates: Readonly<Record<string, number>>;
}

export interface DrainDecision {
  /** The gates after this look (persist when `gatesChanged`). */
  gates: Record<string, number>;
  gatesChanged: boolean;
  /** confirmed: every node runs without it; timeout: the bound was hit; waiting: not yet. */
  outcome: 'confirmed' | 'timeout' | 'waiting';
  /** `gateway/node` names that have not confirmed (with the reason). */
  pending: string[];
}

export function decideDrain(
  c: DrainingContainer,
  gateways: readonly GatewayView[],
  now: number,
  timeoutMs: number,
): DrainDecision {
  const gates: Record<string, number> = { ...c.gates };
  let gatesChanged = false;
  const pending: string[] = [];
  // a container without published ports was never in any gateway's endpoints
  for (const g of c.addresses.length > 0 ? gateways : []) {
    if (gates[g.id] === undefined && g.installedRevision !== null) {
      if (!c.addresses.some((a) => g.installedAddresses.has(a))) {
        gates[g.id] = g.installedRevision;
        gatesChanged = true;
      }
    }
    const gate = gates[g.id];
    for (const n of g.nodes) {
      if (gate === undefined) pending.push(`${g.name}/${n.name} (removal not yet published)`);
      else if (!n.online) pending.push(`${g.name}/${n.name} (offline)`);
      else if (n.appliedRevision === null || n.appliedRevision < gate)
        pending.push(`${g.name}/${n.name} (runs ${n.appliedRevision ?? 'nothing'}, needs ${gate})`);
    }
  }
  let outcome: DrainDecision['outcome'] = 'confirmed';
  if (pending.length > 0) outcome = now - Date.parse(c.leftAt) >= timeoutMs ? 'timeout' : 'waiting';
  return { gates, gatesChanged, outcome, pending };
}

/**
 * The port the service controller drives drains with; the gateways module implements it and the
 * composition root hands it over, so services never reach into gateway internals.
 */
export interface GatewayConfirmation {
  /** Every gateway serving the environment, with what it has installed and what its nodes run. */
  views(env: string): Promise<GatewayView[]>;
  /** Calls fn whenever a gateway applied a revision or a node reported; returns an unsubscribe. */
  onChange(fn: () => void): () => void;
}

/** No gateway at all (e.g. a server built without the gateways module): confirms at once. */
export const noGateways: GatewayConfirmation = {
  views: () => Promise.resolve([]),
  onChange: () => () => undefined,
};

/** Several ports as one: every view of each, and a change in any. */
export function combineConfirmations(...ports: GatewayConfirmation[]): GatewayConfirmation {
  return {
    views: async (env) => (await Promise.all(ports.map((p) => p.views(env)))).flat(),
    onChange(fn) {
      const offs = ports.map((p) => p.onChange(fn));
      return () => offs.forEach((off) => off());
    },
  };
}

/**
 * The drain confirmers of a server, as one port: the composition root creates it and hands it to
 * every module at construction; the modules that confirm drains (the gateways' nodes, the
 * services' endpoint watches) join it, and the service controller reads it.
 */
export class DrainConfirmers implements GatewayConfirmation {
  private readonly ports: GatewayConfirmation[] = [];
  private readonly listeners = new Set<() => void>();

  /** Adds a confirmer: its views count from now on, and its changes wake every listener. */
  join(port: GatewayConfirmation): void {
    this.ports.push(port);
    port.onChange(() => {
      for (const fn of this.listeners) fn();
    });
  }

  async views(env: string): Promise<GatewayView[]> {
    return (await Promise.all(this.ports.map((p) => p.views(env)))).flat();
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
