import { existsSync } from 'node:fs';
import {
  BerthError,
  ConflictError,
  InvalidError,
  type GatewayVip,
  type GatewayVipRequest,
  type GatewayVipSettings,
  type GatewayVrrpState,
} from '@berth/shared';
import {
  RenderError,
  keepalivedRenderedPaths,
  renderKeepalivedGateway,
  validateKeepalived,
  type KeepalivedGateway,
} from '@berth/gateway-nginx';
import { nowIso } from '../../util';
import type { GatewayRow } from './gateways.repository';
import type { GatewayNodes } from './gateway-nodes';
import type { GatewayVipRepository } from './gateway-vip.repository';

/*
 * The virtual IP of a gateway (docs/gateway.md, "Virtual IP"): settings checked by rendering
 * every node's keepalived.conf and by `keepalived -t`, the node's file handed to its agent with
 * the configuration, and the VRRP state each agent reports (who holds the VIP).
 */

type Stored = Omit<GatewayVipRequest, 'version'>;

const keepalivedBin = '/usr/sbin/keepalived';

/** The vrrp_instance name of a gateway: berth_ + its name (letters, digits, _; at most 32). */
export function vrrpInstanceName(gateway: string): string {
  return `berth_${gateway.replace(/[^A-Za-z0-9]/g, '_')}`.slice(0, 32);
}

/** The keepalived model of a gateway's stored VIP settings (with Berth's canonical paths). */
export function keepalivedModel(gateway: string, s: Stored): KeepalivedGateway {
  return {
    instance: vrrpInstanceName(gateway),
    virtualRouterId: s.virtualRouterId,
    advertIntervalSeconds: s.advertIntervalSeconds,
    preemption:
      s.preemption === 'nopreempt'
        ? { mode: 'nopreempt' }
        : { mode: 'preempt', delaySeconds: s.preemptDelaySeconds ?? 0 },
    authPass: s.authPass,
    unicast: s.unicast ?? false,
    virtualIps: [s.address],
    check: {
      nginxPidFile: keepalivedRenderedPaths.nginxPidFile,
      intervalSeconds: s.checkIntervalSeconds,
      fall: s.checkFall,
      rise: s.checkRise,
      weight: 0,
    },
    notify: { script: keepalivedRenderedPaths.notifyScript, stateFile: keepalivedRenderedPaths.stateFile },
    nodes: s.nodes,
  };
}

/** The request field a RenderError's field names. */
function requestField(field: string): string {
  if (field.startsWith('virtualIps')) return 'address';
  const map: Record<string, string> = {
    'check.intervalSeconds': 'checkIntervalSeconds',
    'check.fall': 'checkFall',
    'check.rise': 'checkRise',
    'preemption.delaySeconds': 'preemptDelaySeconds',
  };
  return map[field] ?? field;
}

function view(s: Stored): GatewayVipSettings {
  return {
    address: s.address,
    virtualRouterId: s.virtualRouterId,
    authPassSet: s.authPass !== undefined,
    preemption: s.preemption,
    preemptDelaySeconds: s.preemptDelaySeconds ?? 0,
    advertIntervalSeconds: s.advertIntervalSeconds ?? 1,
    checkIntervalSeconds: s.checkIntervalSeconds ?? 2,
    checkFall: s.checkFall ?? 2,
    checkRise: s.checkRise ?? 2,
    unicast: s.unicast ?? false,
    nodes: s.nodes,
  };
}

export class GatewayVips {
  constructor(
    private readonly store: GatewayVipRepository,
    private readonly nodes: GatewayNodes,
  ) {}

  private async stored(gatewayId: string): Promise<{ s: Stored; version: number } | null> {
    const row = await this.store.find(gatewayId);
    return row ? { s: JSON.parse(row.settings) as Stored, version: row.version } : null;
  }

  /** The settings, and per node the reported VRRP state and who holds the VIP. */
  async get(gw: GatewayRow): Promise<GatewayVip> {
    const row = await this.store.find(gw.id);
    const s = row ? (JSON.parse(row.settings) as Stored) : null;
    const nodeRows = await this.nodes.store.nodes(gw.id);
    const states = new Map((await this.store.states(gw.id)).map((r) => [r.node_id, r]));
    const now = Date.now();
    const instance = vrrpInstanceName(gw.name);
    const nodes = nodeRows.map((n) => {
      const conf = s?.nodes.find((v) => v.name === n.name);
      const r = states.get(n.id);
      const online = n.lease_until !== null && Date.parse(n.lease_until) >= now;
      // a state counts while the node is online and it is this gateway's instance
      const state: GatewayVrrpState =
        r && online && r.instance === instance && ['MASTER', 'BACKUP', 'FAULT'].includes(r.state)
          ? (r.state as GatewayVrrpState)
          : 'unknown';
      return {
        name: n.name,
        interface: conf?.interface ?? null,
        priority: conf?.priority ?? null,
        vrrpState: state,
        reportedPriority: r ? r.priority : null,
        since: r ? r.at : null,
        holdsVip: state === 'MASTER',
      };
    });
    const masters = nodes
      .filter((n) => n.holdsVip)
      .sort((a, b) => (b.since ?? '').localeCompare(a.since ?? ''));
    return {
      gateway: gw.name,
      version: row?.version ?? 0,
      settings: s ? view(s) : null,
      vipHolder: masters[0]?.name ?? null,
      splitBrain: masters.length > 1,
      nodes,
      updatedAt: row?.updated_at ?? null,
      updatedBy: row?.updated_by ?? null,
    };
  }

  /**
   * Checks settings: the nodes exist, every node's file renders, and keepalived -t accepts it
   * (when keepalived is installed here; the agents check the exact text in any case).
   */
  async check(gw: GatewayRow, s: Stored): Promise<void> {
    const known = new Set((await this.nodes.store.nodes(gw.id)).map((n) => n.name));
    const fields = s.nodes.flatMap((n, i) =>
      known.has(n.name)
        ? []
        : [
            {
              path: `nodes[${i}].name`,
              message: `gateway '${gw.name}' has no node '${n.name}': add it first (berth gateways node-add) or remove it here`,
            },
          ],
    );
    if (s.preemption === 'nopreempt' && s.preemptDelaySeconds)
      fields.push({
        path: 'preemptDelaySeconds',
        message: 'a preemption delay needs preemption "preempt"; with nopreempt the VIP never moves back',
      });
    if (s.unicast)
      s.nodes.forEach((n, i) => {
        if (!n.address)
          fields.push({
            path: `nodes[${i}].address`,
            message: 'unicast adverts need every node’s own IPv4 address',
          });
      });
    if (fields.length > 0) throw new InvalidError('The virtual IP settings are not valid.', fields);
    let files: { node: string; text: string }[];
    try {
      files = renderKeepalivedGateway(keepalivedModel(gw.name, s));
    } catch (err) {
      if (err instanceof RenderError) {
        const path = requestField(err.field);
        throw new InvalidError(`The virtual IP settings are not valid: ${err.message}`, [
          { path, message: err.message.replace(err.field, path) },
        ]);
      }
      throw err;
    }
    if (!existsSync(keepalivedBin)) return;
    for (const [i, f] of files.entries()) {
      const v = await validateKeepalived(f.text, { bin: keepalivedBin, interfaceMayBeMissing: true });
      if (!v.ok)
        throw new BerthError(
          'UNPROCESSABLE',
          `keepalived -t refused the configuration of node '${f.node}': ${v.message}`,
          { fields: [{ path: `nodes[${i}]`, message: v.message }] },
        );
    }
  }

  /** Stores settings at the version the caller read (409 when it moved). */
  async set(gw: GatewayRow, body: GatewayVipRequest, author: string): Promise<void> {
    const { version, ...s } = body;
    const current = await this.stored(gw.id);
    const have = current?.version ?? 0;
    const conflict = () =>
      new ConflictError(
        `The virtual IP of gateway '${gw.name}' changed since you read it (now version ${have}); read it again and retry with that version.`,
        { currentVersion: have },
        'VERSION_CONFLICT',
      );
    if (version !== undefined && version !== have) throw conflict();
    // a password left out keeps the one set before
    const next: Stored = { ...s, authPass: s.authPass ?? current?.s.authPass };
    if (next.authPass === undefined) delete next.authPass;
    await this.check(gw, next);
    const ok = await this.store.save(
      {
        gateway_id: gw.id,
        settings: JSON.stringify(next),
        version: have + 1,
        updated_at: nowIso(),
        updated_by: author,
      },
      have,
    );
    if (!ok) throw conflict();
  }

  async remove(gw: GatewayRow, version: number | undefined): Promise<void> {
    const current = await this.stored(gw.id);
    if (!current) return;
    if (!(await this.store.remove(gw.id, version)))
      throw new ConflictError(
        `The virtual IP of gateway '${gw.name}' changed since you read it (now version ${current.version}); read it again and retry.`,
        { currentVersion: current.version },
        'VERSION_CONFLICT',
      );
  }

  /** Records the current settings as those of configuration version `number` (rollbacks). */
  async save(gatewayId: string, number: number): Promise<void> {
    const row = await this.store.find(gatewayId);
    await this.store.saveSnapshot(gatewayId, number, row?.settings ?? null);
  }

  /**
   * Makes version `number`'s settings the current ones, checked like new settings (a node that is
   * gone since refuses the rollback, 422); returns how to undo that, or null when the version
   * recorded none or they are the current ones. Each write is a new VIP version.
   */
  async restore(gw: GatewayRow, number: number, author: string): Promise<(() => Promise<void>) | null> {
    const snap = await this.store.snapshot(gw.id, number);
    if (snap === undefined) return null;
    const before = await this.store.find(gw.id);
    if ((before?.settings ?? null) === snap.settings) return null;
    if (snap.settings !== null) {
      try {
        await this.check(gw, JSON.parse(snap.settings) as Stored);
      } catch (err) {
        if (!(err instanceof BerthError)) throw err;
        const fields = (err.details as { fields?: { message: string }[] } | undefined)?.fields ?? [];
        throw new BerthError(
          'UNPROCESSABLE',
          `Version ${number}'s virtual IP settings cannot be restored: ${[err.message, ...fields.map((f) => f.message)].join(' ')} Change the virtual IP first, or roll back to another version.`,
        );
      }
    }
    const write = async (settings: string | null) => {
      const now = await this.store.find(gw.id);
      if (settings === null) {
        await this.store.remove(gw.id, undefined);
        return;
      }
      const have = now?.version ?? 0;
      const row = {
        gateway_id: gw.id,
        settings,
        version: have + 1,
        updated_at: nowIso(),
        updated_by: author,
      };
      if (!(await this.store.save(row, have)))
        throw new ConflictError(
          `The virtual IP of gateway '${gw.name}' changed during the rollback; try again.`,
          undefined,
          'VERSION_CONFLICT',
        );
    };
    await write(snap.settings);
    return () => write(before?.settings ?? null);
  }

  /** A node's rendered keepalived.conf, or null when the gateway has no VIP or the node takes no part. */
  async fileFor(gatewayId: string, gatewayName: string, node: string): Promise<string | null> {
    const current = await this.stored(gatewayId);
    if (!current?.s.nodes.some((n) => n.name === node)) return null;
    try {
      return (
        renderKeepalivedGateway(keepalivedModel(gatewayName, current.s)).find((f) => f.node === node)?.text ??
        null
      );
    } catch {
      // settings that no longer render (checked when stored): the agent keeps its file
      return null;
    }
  }

  /** Stores the VRRP state an agent reports (node token). */
  async report(
    header: string | undefined,
    r: { instance: string; state: string; priority: number; at: string },
  ): Promise<{ node: string; vrrpState: string }> {
    const { node, gw } = await this.nodes.authenticate(header);
    await this.store.report({
      node_id: node.id,
      gateway_id: gw.id,
      instance: r.instance,
      state: r.state,
      priority: r.priority,
      at: r.at,
      reported_at: nowIso(),
    });
    return { node: node.name, vrrpState: r.state };
  }
}
