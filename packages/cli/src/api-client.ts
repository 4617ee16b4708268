import { isApiErrorBody } from '@berth/shared';
import { ApiError, CliError } from './errors';
import { readSse, type SseEvent } from './sse';

/** Query parameters; undefined values are left out, arrays repeat the parameter. */
export type Query = Record<string, string | number | boolean | string[] | undefined>;

/** How to reach the API. `fetch` is injectable for tests. */
export interface ApiClientOptions {
  baseUrl: string;
  token?: string;
  /** Extra headers on every request (the login flow's session cookie and CSRF token). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** Time limit of a non-streaming request. */
  timeoutMs?: number;
}

/** A successful response: status, parsed JSON body (null when empty) and headers. */
export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A list response: a page of items, the cursor of the next one, per-cluster errors. */
export interface ListPage<T> {
  items: T[];
  nextCursor: string | null;
  errors?: Array<{ cluster?: string; code?: string; message?: string }>;
}

const defaultTimeoutMs = 60_000;

/**
 * A small typed client of the Berth API: JSON requests with the bearer token, error responses
 * mapped to ApiError, transport failures to CliError, and Server-Sent Event streams.
 */
export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly headers: Record<string, string>;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.headers = options.headers ?? {};
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  }

  /** GET, returning the JSON body. */
  async get<T>(path: string, query?: Query): Promise<T> {
    return (await this.request<T>('GET', path, { query })).body;
  }

  /** POST with a JSON body, returning the JSON body of the response. */
  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return (await this.request<T>('POST', path, { body })).body;
  }

  /** PUT with a JSON body, returning the JSON body of the response. */
  async put<T>(path: string, body: unknown): Promise<T> {
    return (await this.request<T>('PUT', path, { body })).body;
  }

  /** DELETE, returning the JSON body (null for 204). */
  async delete<T>(path: string): Promise<T> {
    return (await this.request<T>('DELETE', path)).body;
  }

  /**
   * Reads a list: with `limit`, one page of that size; without, every page (500 at a time, at
   * most `maxItems`). Per-cluster `errors` of the pages are kept.
   */
  async list<T>(path: string, query: Query = {}, limit?: number, maxItems = 10_000): Promise<ListPage<T>> {
    if (limit !== undefined) return this.get<ListPage<T>>(path, { ...query, limit });
    const all: ListPage<T> = { items: [], nextCursor: null };
    let cursor: string | undefined;
    do {
      const page = await this.get<ListPage<T>>(path, { ...query, limit: 500, cursor });
      all.items.push(...page.items);
      if (page.errors?.length) all.errors = [...(all.errors ?? []), ...page.errors];
      all.nextCursor = page.nextCursor;
      cursor = page.nextCursor ?? undefined;
    } while (cursor && all.items.length < maxItems);
    return all;
  }

  /** Sends one request; throws ApiError for an error status and CliError when the server cannot be reached. */
  async request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const res = await this.send(method, path, { ...options, signal });
    const text = await res.text().catch((err: unknown) => {
      throw this.transportError(err, signal);
    });
    if (!res.ok) throw errorFromResponse(res.status, res.statusText, text);
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        throw new CliError(
          `the server answered ${method} ${path} with something other than JSON (HTTP ${res.status})`,
        );
      }
    }
    return { status: res.status, body: body as T, headers: res.headers };
  }

  /**
   * Opens a Server-Sent Events stream and yields its events until the server ends it, the
   * consumer stops iterating, or `signal` aborts (which ends the iteration quietly).
   */
  async *stream(
    path: string,
    query?: Query,
    options: { signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): AsyncGenerator<SseEvent> {
    const { signal } = options;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) controller.abort();
    try {
      const headers = { ...options.headers, Accept: 'text/event-stream' };
      const res = await this.send('GET', path, { query, headers, signal: controller.signal });
      if (!res.ok) throw errorFromResponse(res.status, res.statusText, await res.text());
      if (!String(res.headers.get('content-type')).startsWith('text/event-stream')) {
        throw new CliError(`the server did not answer GET ${path} with an event stream`);
      }
      if (res.body) yield* readSse(res.body);
    } catch (err) {
      if (controller.signal.aborted) return;
      throw err instanceof CliError ? err : this.transportError(err);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  /**
   * GET of a file (not JSON): the response, whose body the caller streams to a file or stdout.
   * No timeout once the headers arrived (a large download takes its time).
   */
  async download(path: string, query?: Query): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('timeout', 'TimeoutError')),
      this.timeoutMs,
    );
    try {
      const res = await this.send('GET', path, {
        query,
        headers: { Accept: '*/*' },
        signal: controller.signal,
      });
      if (!res.ok) throw errorFromResponse(res.status, res.statusText, await res.text());
      return res;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The ws:// or wss:// URL of a WebSocket endpoint. */
  webSocketUrl(path: string, query?: Query): string {
    return this.url(path, query).replace(/^http/, 'ws');
  }

  /** Headers that authenticate a request (for the WebSocket handshake). */
  authHeaders(): Record<string, string> {
    return { ...this.headers, ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) };
  }

  private url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
    }
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  private async send(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; headers?: Record<string, string>; signal: AbortSignal },
  ): Promise<Response> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      ...this.authHeaders(),
      ...options.headers,
    };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await this.fetchImpl(this.url(path, options.query), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (err) {
      throw this.transportError(err, options.signal);
    }
  }

  private transportError(err: unknown, signal?: AbortSignal): CliError {
    if (signal?.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError') {
      return new CliError(
        `the Berth server at ${this.baseUrl} did not answer within ${Math.round(this.timeoutMs / 1000)} s`,
      );
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    return new CliError(`cannot reach the Berth server at ${this.baseUrl}: ${why}`);
  }
}

/** Maps an error response to ApiError, using the API's error body when there is one. */
export function errorFromResponse(status: number, statusText: string, text: string): ApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (isApiErrorBody(parsed)) {
    const { code, message, details } = parsed.error;
    const hint = code === 'UNAUTHENTICATED' ? ' Run "berth login" (or set BERTH_TOKEN) and try again.' : '';
    return new ApiError(status, String(code), `${String(message)}${hint}`, details);
  }
  return new ApiError(
    status,
    'HTTP_ERROR',
    `the server answered HTTP ${status}${statusText ? ` ${statusText}` : ''}`,
  );
}

const seg = encodeURIComponent;

/** `/api/v1/projects/{p}/envs/{e}/services` */
export function servicesPath(project: string, env: string): string {
  return `/api/v1/projects/${seg(project)}/envs/${seg(env)}/services`;
}

/** `/api/v1/projects/{p}/envs/{e}/services/{s}` plus an optional sub-path such as `/scale`. */
export function servicePath(project: string, env: string, service: string, sub = ''): string {
  return `${servicesPath(project, env)}/${seg(service)}${sub}`;
}

/** `…/services/{s}/containers/{c}` plus an optional sub-path such as `/logs`. */
export function containerPath(
  project: string,
  env: string,
  service: string,
  container: string,
  sub = '',
): string {
  return servicePath(project, env, service, `/containers/${seg(container)}${sub}`);
}
