/**
 * A small libpod REST client over the Podman API unix socket, built on `node:http` only.
 * It maps transport failures to `UnavailableError` and non-2xx answers to `EngineError`,
 * so nothing above it deals with HTTP.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { EngineError, UnavailableError } from '@berth/shared';

/** The libpod API version Berth is written against (runtime-notes §2). */
export const libpodApiPrefix = '/v4.3.1/libpod';

/** Arrays repeat the parameter (`containers=a&containers=b`). */
export type QueryValue = string | number | boolean | undefined | string[];

/** Options of one libpod request. */
export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** Serialized as JSON. */
  body?: unknown;
  /** A streamed body (a build context); sent as is with `contentType`. */
  rawBody?: NodeJS.ReadableStream;
  contentType?: string;
  /** Statuses besides 2xx that are answers, not errors (304 on stop, 404 on a probe). */
  accept?: number[];
  signal?: AbortSignal;
  /** Gives up (UnavailableError) when podman sends no answer in time. 0 = no limit. */
  timeoutMs?: number;
  /** Extra request headers (X-Registry-Auth). */
  headers?: Record<string, string>;
}

/** A buffered answer. */
export interface LibpodResponse {
  status: number;
  body: Buffer;
}

/** The error body libpod sends with non-2xx statuses. */
interface LibpodErrorBody {
  cause?: string;
  message?: string;
  response?: number;
}

const transportCodes = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE', 'ENOTSOCK']);

/** libpod over one unix socket; every method maps failures to Berth's domain errors. */
export class LibpodClient {
  constructor(
    readonly socketPath: string,
    private readonly defaultTimeoutMs = 60_000,
  ) {}

  /** One request, the whole body buffered. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<LibpodResponse> {
    const res = await this.open(method, path, opts);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return { status: res.statusCode ?? 0, body: Buffer.concat(chunks) };
  }

  /** A JSON request; returns null for an accepted non-2xx status or an empty body. */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T | null> {
    const res = await this.request(method, path, opts);
    if (res.status < 200 || res.status >= 300 || res.body.length === 0) return null;
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  /**
   * Sends a request and resolves with the response once its headers arrive, for streamed bodies
   * (logs, events, exec output). Non-2xx statuses not in `accept` are thrown as EngineError.
   * Aborting `signal` destroys the request.
   */
  open(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        socketPath: this.socketPath,
        method,
        path: this.url(path, opts.query),
        headers: {
          ...(opts.rawBody
            ? { 'Content-Type': opts.contentType ?? 'application/octet-stream' }
            : opts.body === undefined
              ? {}
              : { 'Content-Type': 'application/json' }),
          ...opts.headers,
        },
        signal: opts.signal,
        // A fresh connection per request: a unix-socket connect costs microseconds, and reusing
        // idle keep-alive sockets risks ECONNRESET when podman closes one as a request goes out.
        agent: false,
      });
      const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
      const timer =
        timeoutMs > 0
          ? setTimeout(
              () =>
                req.destroy(
                  new UnavailableError(`Podman did not answer ${method} ${path} within ${timeoutMs} ms.`),
                ),
              timeoutMs,
            )
          : undefined;
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(this.mapTransportError(err, method, path));
      });
      req.on('response', (res) => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        if ((status >= 200 && status < 300) || opts.accept?.includes(status)) {
          resolve(res);
          return;
        }
        readAll(res).then(
          (body) => reject(this.statusError(status, body, method, path)),
          (err: unknown) => reject(this.mapTransportError(err, method, path)),
        );
      });
      if (opts.rawBody) {
        opts.rawBody.on('error', (err: Error) => req.destroy(err));
        opts.rawBody.pipe(req);
      } else req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
    });
  }

  /**
   * Hijacks the connection (`Connection: Upgrade`, `Upgrade: tcp`): podman answers 101 and the
   * socket becomes a raw full-duplex stream (runtime-notes §2). `head` holds bytes that arrived
   * with the 101 response.
   */
  upgrade(path: string, body: unknown): Promise<{ socket: Duplex; head: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        socketPath: this.socketPath,
        method: 'POST',
        path: this.url(path),
        headers: { 'Content-Type': 'application/json', Connection: 'Upgrade', Upgrade: 'tcp' },
        agent: false,
      });
      req.on('error', (err) => reject(this.mapTransportError(err, 'POST', path)));
      req.on('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.on('response', (res) => {
        readAll(res).then(
          (data) => reject(this.statusError(res.statusCode ?? 0, data, 'POST', path)),
          (err: unknown) => reject(this.mapTransportError(err, 'POST', path)),
        );
      });
      req.end(JSON.stringify(body));
    });
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (Array.isArray(value)) for (const v of value) params.append(key, v);
      else if (value !== undefined) params.set(key, String(value));
    }
    const qs = params.toString();
    return `${libpodApiPrefix}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Podman's own message for a failed call, e.g. "localhost/x:1: image not known". */
  statusError(status: number, body: Buffer, method: string, path: string): EngineError {
    const text = body.toString('utf8').trim();
    let message = text;
    let cause: string | undefined;
    try {
      const parsed = JSON.parse(text) as LibpodErrorBody;
      message = parsed.message ?? text;
      cause = parsed.cause;
    } catch {
      // Not JSON: keep podman's text as it is.
    }
    return new EngineError(message || `podman answered ${status} to ${method} ${path}`, {
      status,
      ...(cause ? { cause } : {}),
      request: `${method} ${path}`,
    });
  }

  private mapTransportError(err: unknown, method: string, path: string): Error {
    if (err instanceof EngineError || err instanceof UnavailableError) return err;
    if (err instanceof Error && err.name === 'AbortError') return err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code && transportCodes.has(code)) {
      return new UnavailableError(
        `The Podman API is not reachable at ${this.socketPath} (${code}). Start it with ` +
          `"podman system service --time=0 unix://${this.socketPath}" (scripts/podman-service.sh does this).`,
        { socketPath: this.socketPath, code, request: `${method} ${path}` },
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    return new EngineError(`Podman request ${method} ${path} failed: ${message}`, {
      request: `${method} ${path}`,
    });
  }
}

async function readAll(res: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Yields one parsed JSON value per line of a newline-delimited JSON stream. */
export async function* readNdjson<T>(stream: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream) {
    rest += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  rest += decoder.end();
  if (rest.trim()) yield JSON.parse(rest) as T;
}
