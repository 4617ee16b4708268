import { canaryRelease, type Canary, type RouteSpec } from '@berth/shared';
import type { RenderGateway, RenderPool, RenderRoute, RenderStream, RenderTls } from '@berth/gateway-nginx';
import { defaultRouteOptions } from '@berth/gateway-nginx';
import type { EnvServices, GatewayRow, RouteRow } from './gateways.repository';
import { routeSpecOf } from './route-specs';

/** What a gateway should serve now: the render input and its pools. */
export interface GatewayPlan {
  gateway: RenderGateway;
  pools: RenderPool[];
  /** The env's TCP/UDP entry points (planEntryPoints); none renders no stream.conf. */
  stream?: RenderStream;
  /**
   * For an endpoint change of a few services (patchPlanEndpoints): the pools made of one service's
   * own containers (pool → service and port), and the services whose containers feed anything
   * else too (a route's own pool with VM servers or health rules, a canary), which only a whole
   * plan handles.
   */
  sources?: {
    servicePools: Map<string, { serviceId: string; port: number | undefined }>;
    mixed: Set<string>;
  };
}

/** A service pool's servers: each serving container's address of `port` (or its first port). */
function poolServers(
  list: readonly Record<string, string>[] | undefined,
  port: number | undefined,
): RenderPool['servers'] {
  return (list ?? [])
    .map((eps) => (port ? eps[String(port)] : Object.values(eps)[0]))
    .filter((a): a is string => typeof a === 'string')
    .map((address) => ({ address, weight: 1 }));
}

/**
 * A plan with the pools of `changed` services recomputed from `env` and everything else kept
 * (the same gateway object and the same pool objects, which the applier recognizes without
 * rendering), or null when a changed service feeds more than its own pools (see `sources`).
 */
export function patchPlanEndpoints(
  plan: GatewayPlan,
  env: EnvServices,
  changed: Set<string>,
): GatewayPlan | null {
  const src = plan.sources;
  if (!src) return null;
  for (const id of changed) if (src.mixed.has(id)) return null;
  const pools = plan.pools.map((p) => {
    const from = src.servicePools.get(p.name);
    if (!from || !changed.has(from.serviceId)) return p;
    return { ...p, servers: poolServers(env.endpoints.get(from.serviceId), from.port) };
  });
  return { ...plan, pools };
}

export interface PlanOptions {
  certDir: string;
  workerProcesses: number;
  /** Admin snippets of the gateway (gateway_settings). */
  snippets?: RenderGateway['snippets'];
  /** File ids of the per-project certificates routes name, keyed `project/name`. */
  certificates?: ReadonlyMap<string, string>;
  /** Loopback HOST:PORT of every node's request metrics (docs/monitoring.md); none: no metrics. */
  metricsListen?: string | null;
}

/** A route's TLS as rendered; a named certificate missing from the store renders no TLS. */
function renderTls(
  project: string,
  tls: RouteSpec['tls'],
  certificates: ReadonlyMap<string, string> | undefined,
): { tls?: RenderTls } {
  if (!tls) return {};
  if (tls.key !== undefined) return { tls: { certificate: tls.certificate, key: tls.key } };
  const id = certificates?.get(`${project}/${tls.certificate}`);
  return id ? { tls: { project, name: tls.certificate, id } } : {};
}

const defaultHealth = { maxFails: 3, failTimeoutSeconds: 10 };

/** `<service>.<project>.<env>.<suffix>`: the host every service of the env gets. */
export function serviceHost(service: string, project: string, env: string, suffix: string): string {
  return `${service}.${project}.${env}.${suffix}`;
}

/**
 * Turns routes, services and serving containers into the renderer's input. Routes to the same
 * service port share one pool; a route gets a pool of its own only when it adds VM servers or
 * its own health rules. Pure: the caller reads the store.
 */
export function planGateway(
  gw: GatewayRow,
  routes: RouteRow[],
  env: EnvServices,
  opts: PlanOptions,
): GatewayPlan {
  const pools = new Map<string, RenderPool>();
  const byName = new Map(env.services.map((s) => [`${s.project}/${s.name}`, s]));
  const servicePools = new Map<string, { serviceId: string; port: number | undefined }>();
  const mixed = new Set<string>();

  /** The pool of a service's own containers, or (with `release`) of its canary containers. */
  const servicePool = (
    serviceId: string | undefined,
    port: number | undefined,
    release?: number,
  ): RenderPool => {
    const name = serviceId
      ? `svc_${serviceId}${release ? `_r${release}` : ''}${port ? `_p${port}` : ''}`
      : 'berth_unknown_service';
    const existing = pools.get(name);
    if (existing) return existing;
    const source = release
      ? env.canaryEndpoints?.get(`${serviceId}:${release}`)
      : env.endpoints.get(serviceId ?? '');
    const servers = serviceId ? poolServers(source, port) : [];
    if (serviceId && !release) servicePools.set(name, { serviceId, port });
    const pool = { name, servers, ...defaultHealth };
    pools.set(name, pool);
    return pool;
  };

  const renderCanary = (
    canary: Canary,
    project: string,
    serviceId: string | undefined,
    port: number | undefined,
  ) => {
    const release = canaryRelease(canary);
    let to: RenderPool;
    if (release === null) {
      const target = 'service' in canary.to ? byName.get(`${project}/${canary.to.service}`) : undefined;
      to = servicePool(target?.id, undefined);
    } else {
      to = servicePool(serviceId, port, release);
      // until a canary container of the release is ready, all traffic stays on the service's own
      if (to.servers.length === 0) return null;
    }
    return { pool: to.name, percent: canary.percent, header: canary.header, cookie: canary.cookie };
  };

  const out: RenderRoute[] = [];
  const explicit = new Set<string>();
  for (const row of routes) {
    const spec = routeSpecOf(row.spec);
    const canary = row.canary ? (JSON.parse(row.canary) as Canary) : null;
    const { host, backends, tls, ...rest } = spec;
    const options = { ...rest, ...renderTls(row.project, tls, opts.certificates) };
    explicit.add(`${host}${options.pathPrefix}`);
    const svc = backends.service ? byName.get(`${row.project}/${backends.service.name}`) : undefined;
    if (svc && (canary || backends.servers.length > 0 || spec.health)) mixed.add(svc.id);
    if (canary && 'service' in canary.to) {
      const target = byName.get(`${row.project}/${canary.to.service}`);
      if (target) mixed.add(target.id);
    }
    let pool: RenderPool;
    if (backends.servers.length === 0 && !spec.health) pool = servicePool(svc?.id, backends.service?.port);
    else {
      const own = backends.service ? servicePool(svc?.id, backends.service.port).servers : [];
      pool = {
        name: `rt_${row.id}`,
        servers: [...own, ...backends.servers.map((s) => ({ address: s.address, weight: s.weight }))],
        maxFails: spec.health?.maxFails ?? defaultHealth.maxFails,
        failTimeoutSeconds: spec.health?.failTimeoutSeconds ?? defaultHealth.failTimeoutSeconds,
      };
      pools.set(pool.name, pool);
    }
    out.push({
      host,
      pool: pool.name,
      canary: canary ? renderCanary(canary, row.project, svc?.id, backends.service?.port) : null,
      options,
      ...(opts.metricsListen
        ? {
            metrics: {
              project: row.project,
              env: gw.env,
              service: backends.service?.name ?? '',
              route: `${host}${options.pathPrefix}`,
            },
          }
        : {}),
    });
  }
  for (const s of env.services) {
    const host = serviceHost(s.name, s.project, gw.env, gw.domain_suffix);
    if (explicit.has(`${host}/`) || host.length > 253) continue;
    out.push({
      host,
      pool: servicePool(s.id, undefined).name,
      canary: null,
      options: defaultRouteOptions(),
      ...(opts.metricsListen
        ? { metrics: { project: s.project, env: gw.env, service: s.name, route: `${host}/` } }
        : {}),
    });
  }
  return {
    gateway: {
      listen: gw.listen,
      tlsListen: gw.tls_listen,
      certDir: opts.certDir,
      workerProcesses: opts.workerProcesses,
      foreground: true,
      routes: out,
      ...(opts.metricsListen ? { metrics: { listen: opts.metricsListen } } : {}),
      ...(opts.snippets && (opts.snippets.http.length > 0 || opts.snippets.server.length > 0)
        ? { snippets: opts.snippets }
        : {}),
    },
    pools: [...pools.values()],
    sources: { servicePools, mixed },
  };
}
