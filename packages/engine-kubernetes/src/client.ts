/**
 * The engine's HTTP client of one Kubernetes API server. `@kubernetes/client-node` reads the
 * kubeconfig (or the in-cluster service account) and prepares TLS and credentials
 * (`applyToHTTPSOptions`, exec and token-file plugins included); the requests themselves go out
 * through `node:http(s)` here, because:
 * - one shape everywhere: the generated typed APIs turn objects into classes with `Date` fields,
 *   while watch events are plain JSON; the engine reads plain JSON from lists, gets and watches;
 * - one place maps a `Status` answer to Berth's errors (errors.ts), with the HTTP status and the
 *   Status' causes, which the generated APIs drop for 401 and keep only as text otherwise;
 * - streams (watch, logs) need their status code (410 Gone) and an abort that ends them at once.
 * Exec uses client-node's WebSocket handler (exec.ts).
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { PassThrough, Readable } from 'node:stream';
import { isIPv6 } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import { parse } from 'yaml';
import { EngineError, UnavailableError } from '@berth/shared';
import { kubeError, type KubeStatus, type RequestContext } from './errors';
import { kubeLibrary } from './kube-library';

/** How the engine reaches its cluster: a kubeconfig (YAML text) or the pod's service account. */
export interface ClusterAccess {
  /** The cluster's name in Berth (messages). */
  cluster: string;
  kubeconfig?: string;
  inCluster?: boolean;
}

/** A request's options; `ctx` names what Berth was doing, for error messages (RBAC verb, resource). */
export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Default application/json; patches name their own (merge-patch, apply-patch+yaml). */
  contentType?: string;
  /** Statuses answered with null instead of an error (404 on a read, for example). */
  allow?: number[];
  signal?: AbortSignal;
  /** Default 30 s; 0 = none (streams). The timeout covers the answer's headers, not a stream's body. */
  timeoutMs?: number;
  ctx: RequestContext;
}

/** Prepared TLS options and credentials are reused this long, then read again (rotated tokens). */
const credentialsTtlMs = 60_000;

type Mapping = Record<string, unknown>;
const mapping = (v: unknown): Mapping =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Mapping) : {};
/** A kubeconfig list's entry `key` of the item named `name` (client-node's findObject). */
const entry = (list: unknown, name: unknown, key: string): Mapping | null => {
  const found: unknown = (Array.isArray(list) ? (list as unknown[]) : []).find(
    (e) => mapping(e).name === name,
  );
  return found === undefined ? null : mapping(mapping(found)[key]);
};

/**
 * The API server's URL as client-node resolves it (loadFromString or loadFromCluster, then
 * getCurrentCluster), read here so that a broken kubeconfig is refused when the engine is made,
 * before the library is loaded: an EngineError naming the cluster, never quoting the YAML.
 */
export function apiServerOf(access: ClusterAccess): string {
  if (access.inCluster) {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const port = process.env.KUBERNETES_SERVICE_PORT;
    const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
    return `${scheme}://${host && isIPv6(host) ? `[${host}]` : host}:${port}`;
  }
  if (!access.kubeconfig)
    throw new EngineError(
      `Kubernetes cluster ${access.cluster} has neither a kubeconfig nor in-cluster access.`,
    );
  let doc: Mapping;
  try {
    doc = mapping(parse(access.kubeconfig, { maxAliasCount: 10 }));
  } catch (err) {
    // The parser's message quotes the offending line, which may hold a token: say where, not what.
    const where = (err as { linePos?: Array<{ line?: number }> }).linePos?.[0]?.line;
    throw new EngineError(
      `Kubernetes cluster ${access.cluster}: its kubeconfig cannot be read${where !== undefined ? ` (YAML error on line ${where})` : ''}. Register the cluster again with a valid kubeconfig.`,
    );
  }
  const context = entry(doc.contexts, doc['current-context'], 'context');
  const server = context && entry(doc.clusters, context.cluster, 'cluster')?.server;
  if (typeof server !== 'string' || server === '')
    throw new EngineError(
      `Kubernetes cluster ${access.cluster}: its kubeconfig has no current context naming a cluster (set current-context).`,
    );
  return server;
}

/** The KubeConfig client-node prepares requests with (TLS, credentials), loaded on first use. */
async function loadKubeConfig(access: ClusterAccess): Promise<KubeConfig> {
  const kc = new (await kubeLibrary()).KubeConfig();
  try {
    if (access.inCluster) kc.loadFromCluster();
    else kc.loadFromString(access.kubeconfig ?? '');
  } catch {
    throw new EngineError(
      `Kubernetes cluster ${access.cluster}: its kubeconfig cannot be read by the Kubernetes client. Register the cluster again with a valid kubeconfig.`,
    );
  }
  return kc;
}

/** JSON requests and streams against one API server, errors mapped to Berth's. */
export class KubeClient {
  readonly cluster: string;
  /** The API server's URL (may carry a path prefix, e.g. behind a proxy). */
  readonly server: string;
  private kc: Promise<KubeConfig> | null = null;
  private prepared: { at: number; opts: https.RequestOptions } | null = null;

  constructor(private readonly access: ClusterAccess) {
    this.cluster = access.cluster;
    this.server = apiServerOf(access).replace(/\/+$/, '');
  }

  private kubeConfig(): Promise<KubeConfig> {
    this.kc ??= loadKubeConfig(this.access);
    return this.kc;
  }

  /** A JSON answer, or null for a status in `allow`. */
  async json<T>(method: string, path: string, opts: RequestOptions): Promise<T | null> {
    const res = await this.send(method, path, opts);
    const text = await readBody(res);
    const status = res.statusCode ?? 0;
    if (opts.allow?.includes(status)) return null;
    if (status < 200 || status > 299) throw kubeError(status, parseStatus(text), opts.ctx, this.cluster);
    if (!text) return null;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as unknown as T;
    }
  }

  /**
   * Any answer as text with its status (health endpoints answer 500 with the failed checks);
   * only 401 and 403 throw, since they are about Berth's access, not the cluster's state.
   */
  async text(path: string, opts: RequestOptions): Promise<{ status: number; text: string }> {
    const res = await this.send('GET', path, opts);
    const text = await readBody(res);
    const status = res.statusCode ?? 0;
    if (status === 401 || status === 403) throw kubeError(status, parseStatus(text), opts.ctx, this.cluster);
    return { status, text };
  }

  /** The body of a 2xx answer as a stream (watch, logs); other statuses throw mapped errors. */
  async open(path: string, opts: RequestOptions): Promise<IncomingMessage> {
    const res = await this.send('GET', path, { timeoutMs: 0, ...opts });
    const status = res.statusCode ?? 0;
    if (status >= 200 && status <= 299) return res;
    const text = await readBody(res);
    throw kubeError(status, parseStatus(text), opts.ctx, this.cluster);
  }

  /**
   * A WebSocket to `path` (pods/exec), authenticated like every request. client-node offers
   * v5.channel.k8s.io first, then v4 (and older ones, which exec.ts refuses); the server picks.
   * The handler's own streams are dummies: exec.ts reads every frame itself.
   */
  async websocket(
    path: string,
    onBinary: (channel: number, data: Buffer) => boolean,
  ): ReturnType<WebSocketHandler['connect']> {
    const { WebSocketHandler } = await kubeLibrary();
    const handler = new WebSocketHandler(await this.kubeConfig(), undefined, {
      stdin: new Readable({ read() {} }),
      stdout: new PassThrough(),
      stderr: new PassThrough(),
    });
    return handler.connect(path, null, onBinary);
  }

  private async options(): Promise<https.RequestOptions> {
    if (this.prepared && Date.now() - this.prepared.at < credentialsTtlMs) return this.prepared.opts;
    const opts: https.RequestOptions = {};
    await (await this.kubeConfig()).applyToHTTPSOptions(opts);
    this.prepared = { at: Date.now(), opts };
    return opts;
  }

  private async send(method: string, path: string, opts: RequestOptions): Promise<IncomingMessage> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const base = await this.options();
    const body =
      opts.body === undefined
        ? undefined
        : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    const headers: http.OutgoingHttpHeaders = {
      ...(base.headers as http.OutgoingHttpHeaders | undefined),
      Accept: 'application/json',
    };
    if (body) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = body.length;
    }
    const lib = url.protocol === 'https:' ? https : http;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = lib.request(url, { ...base, method, headers, signal: opts.signal }, (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      const timer =
        timeoutMs > 0
          ? setTimeout(() => req.destroy(new TimeoutError(`no answer within ${timeoutMs} ms`)), timeoutMs)
          : undefined;
      req.on('error', (err) => {
        clearTimeout(timer);
        if (opts.signal?.aborted) reject(opts.signal.reason instanceof Error ? opts.signal.reason : err);
        else reject(this.unreachable(err, opts.ctx));
      });
      req.end(body);
    });
  }

  /** Transport failures: the cluster did not answer. Never names credentials, only the address. */
  private unreachable(err: Error, ctx: RequestContext): UnavailableError {
    const code = (err as NodeJS.ErrnoException).code;
    return new UnavailableError(
      `Kubernetes cluster ${this.cluster} at ${this.server} did not answer (${ctx.verb} ${ctx.resource}): ${
        code ? `${code} ` : ''
      }${err.message}. Check that the API server runs and that this host reaches it.`,
      { cluster: this.cluster, server: this.server },
    );
  }
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** The Status object of an error answer, when the body is one. */
export function parseStatus(text: string): KubeStatus | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as KubeStatus;
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return { message: text.slice(0, 500) };
  }
}
