import type { RouteSpec } from '@berth/shared';

/**
 * A route's TLS as rendered: legacy files in the shared certificate directory, or a certificate
 * of the per-project store, at `<certDir>/<project>/<name>.<id>.crt|.key` (id: the leaf's
 * fingerprint prefix, so a renewed certificate gets new files and a new configuration).
 */
export type RenderTls = { certificate: string; key: string } | { project: string; name: string; id: string };

/** The per-route options the renderer turns into directives (the route spec minus routing). */
export type RouteOptions = Omit<RouteSpec, 'host' | 'backends' | 'tls'> & { tls?: RenderTls | undefined };

/** One upstream server of a pool. */
export interface PoolServer {
  /** IPV4:PORT. */
  address: string;
  weight: number;
}

/**
 * A backend pool: one `upstream{}` block in the endpoints file. Pools are shared by every route
 * that targets the same service port, so 10,000 routes to 10,000 services cost 10,000 upstreams,
 * never one per location.
 */
export interface RenderPool {
  /** A stable identifier ([a-z][a-z0-9_]*): it must not change when only the servers change. */
  name: string;
  servers: PoolServer[];
  maxFails: number;
  failTimeoutSeconds: number;
}

/** Where a share of a route's requests goes instead of its main pool. */
export interface RenderCanary {
  pool: string;
  percent?: number | undefined;
  header?: { name: string; value: string } | undefined;
  cookie?: { name: string; value: string } | undefined;
}

/** A route resolved to pool names. */
export interface RenderRoute {
  host: string;
  pool: string;
  canary: RenderCanary | null;
  options: RouteOptions;
  /** The labels of its request metrics (metrics-renderer.ts); none: not counted. */
  metrics?: RouteMetricLabels | undefined;
}

/** The labels of a route's gateway metrics. */
export interface RouteMetricLabels {
  project: string;
  env: string;
  /** The service the route sends to ("" for a route to servers only). */
  service: string;
  /** HOST + path prefix, e.g. `shop.example.com/api`. */
  route: string;
}

/** Everything the main configuration depends on; endpoints live in the pools. */
export interface RenderGateway {
  /** HOST:PORT of the plain HTTP listener. */
  listen: string;
  /** HOST:PORT of the TLS listener, or null when the gateway has none. */
  tlsListen: string | null;
  /** Absolute directory that TLS certificate file names are resolved in. */
  certDir: string;
  workerProcesses: number;
  /** Run in the foreground (`daemon off;`) under a supervisor. */
  foreground: boolean;
  routes: RenderRoute[];
  /** Each node's loopback metrics listener (metrics-renderer.ts); none: no metrics. */
  metrics?: { listen: string } | undefined;
  /** Vetted admin directives (shared/gateway.ts allowlist) for http{} and every server{}. */
  snippets?: { http: RenderSnippet[]; server: RenderSnippet[] } | undefined;
}

/** One allowlisted directive with its arguments. */
export interface RenderSnippet {
  directive: string;
  args: string[];
}

/** A value that cannot be rendered safely; the caller maps it to a field error. */
export class RenderError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'RenderError';
  }
}

/** Default options of a route, as the schema fills them in. */
export function defaultRouteOptions(): RouteOptions {
  return { pathPrefix: '/', websocket: false, headers: [], allow: [], deny: [] };
}
