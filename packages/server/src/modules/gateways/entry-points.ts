import type { RenderStream, StreamEntryPoint } from '@berth/gateway-nginx';
import type { EntryPointProtocol } from '@berth/shared';
import type { EnvServices } from './gateways.repository';

/*
 * TCP and UDP entry points → the stream renderer's model (docs/gateway.md, "TCP and UDP entry
 * points; virtual IP"). Pure: the caller reads the env's entry points and services.
 */

/** An entry point as the planner needs it (a row of `entry_points`, camel-cased). */
export interface PlannedEntryPoint {
  project: string;
  protocol: EntryPointProtocol;
  port: number;
  serviceName: string;
  servicePort: number;
  maxFails: number;
  failTimeoutSeconds: number;
  connectTimeoutSeconds: number | null;
  timeoutSeconds: number | null;
  udpResponses: number | null;
}

/**
 * What the gateways service is handed for entry points (gateways.module.ts): the env's entry
 * points to plan, and the snapshots that make them versioned like routes — every configuration
 * version records the entry points it was planned with, and a rollback restores them.
 */
export interface EntryPointsPort {
  ofEnv(env: string): Promise<PlannedEntryPoint[]>;
  /** Records the entry points a configuration version was planned with. */
  saveSnapshot?(gatewayId: string, version: number, list: PlannedEntryPoint[]): Promise<void>;
  /** The entry points of a version, or null when it recorded none (older than snapshots). */
  snapshot?(gatewayId: string, version: number): Promise<PlannedEntryPoint[] | null>;
  /**
   * Replaces the env's entry points with `list` (a rollback), refusing (422) when a port is no
   * longer assigned to its project; returns what undoes it (the apply failed).
   */
  restore?(
    env: string,
    list: PlannedEntryPoint[],
    author: string,
    version: number,
  ): Promise<() => Promise<void>>;
}

/** A change to an env's entry points: stored, and undone when Nginx refuses the result. */
export interface EntryPointChange {
  store(): Promise<unknown>;
  undo(): Promise<unknown>;
}

/** The upstream name of an entry point: `berth_tcp_6379`, `berth_udp_53`. */
export function entryPointName(protocol: EntryPointProtocol, port: number): string {
  return `berth_${protocol}_${port}`;
}

/**
 * The `renderStream` model of an env: one stream entry point per entry point, listening on
 * 0.0.0.0:PORT; its pool is the serving endpoints of its service's port (weight 1 each), or
 * empty (the renderer makes an empty pool refuse connections) when the service is gone or has no
 * serving container publishing that port. A service is looked up in the entry point's own
 * project only.
 */
export function planEntryPoints(
  entryPoints: PlannedEntryPoint[],
  env: EnvServices,
  /** The address the gateway listens on (its HTTP listener's host): 127.0.0.1 for the local gateway. */
  listenHost = '0.0.0.0',
): RenderStream {
  const byName = new Map(env.services.map((s) => [`${s.project}/${s.name}`, s]));
  const out: StreamEntryPoint[] = entryPoints.map((e) => {
    const svc = byName.get(`${e.project}/${e.serviceName}`);
    const seen = new Set<string>();
    const servers = (svc ? (env.endpoints.get(svc.id) ?? []) : [])
      .map((eps) => eps[String(e.servicePort)])
      .filter((a): a is string => typeof a === 'string' && !seen.has(a) && (seen.add(a), true))
      .sort()
      .map((address) => ({ address, weight: 1 }));
    const udp = e.protocol === 'udp';
    return {
      name: entryPointName(e.protocol, e.port),
      listen: `${listenHost}:${e.port}`,
      protocol: e.protocol,
      servers,
      maxFails: e.maxFails,
      failTimeoutSeconds: e.failTimeoutSeconds,
      connectTimeoutSeconds: udp ? undefined : (e.connectTimeoutSeconds ?? undefined),
      timeoutSeconds: e.timeoutSeconds ?? undefined,
      udpResponses: udp ? (e.udpResponses ?? undefined) : undefined,
    };
  });
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entryPoints: out };
}
