import { ApiError, errorFromBody } from './errors';

/**
 * The one fetch wrapper of the portal: JSON in and out, the session cookie, the CSRF header on
 * writes, and typed errors. A 401 outside the login call means the session expired.
 */
let csrfToken: string | null = null;
let onSessionExpired: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Registered by the app shell, which knows how to navigate to the login page. */
export function setSessionExpiredHandler(handler: (() => void) | null): void {
  onSessionExpired = handler;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** A body sent as it is (a file upload) instead of JSON. */
  raw?: { body: Blob; contentType: string };
  query?: Record<string, string | number | boolean | undefined | null>;
  /** Set for the login call, whose 401 means wrong credentials, not an expired session. */
  noSessionRedirect?: boolean;
  signal?: AbortSignal;
}

export function withQuery(path: string, query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.raw) headers['Content-Type'] = opts.raw.contentType;
  else if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.raw ? opts.raw.body : opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', err instanceof Error ? err.message : String(err));
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const error = errorFromBody(res.status, body);
    if (res.status === 401 && !opts.noSessionRedirect) onSessionExpired?.();
    throw error;
  }
  return body as T;
}
