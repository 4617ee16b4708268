import { Buffer } from 'node:buffer';

/** Accept types for a manifest GET/HEAD: OCI first (podman pushes OCI; distribution 2.8 never converts). */
export const manifestAccept = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export interface RegistryCredentials {
  username: string | null;
  password: string | null;
}

export interface RegistryClientOptions {
  /** Base URL, http(s)://host[:port]. */
  url: string;
  credentials?: RegistryCredentials;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /**
   * Mints a bearer token for a scope itself instead of asking the challenge's realm (Berth's own
   * calls to the embedded registry, whose token server it is).
   */
  bearer?: (scope: string) => string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture?: string; os?: string; variant?: string };
}

/** An image manifest, or an index (manifest list) of manifests per platform. */
export interface Manifest {
  mediaType: string;
  /** The Docker-Content-Digest of this manifest. */
  digest: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

export interface ImageConfig {
  created?: string;
  architecture?: string;
  os?: string;
  config?: { Cmd?: string[]; Entrypoint?: string[]; Env?: string[]; Labels?: Record<string, string> };
}

/** A registry answered with an error status; `code` is the first OCI error code when there is one. */
export class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryHttpError';
  }
}

/** The registry could not be reached (refused, DNS, timeout, TLS). */
export class RegistryUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryUnreachableError';
  }
}

interface BearerChallenge {
  realm: string;
  service?: string;
  scope?: string;
}

/** Parses `Bearer realm="…",service="…",scope="…"`; null for other schemes. */
export function parseBearerChallenge(header: string | null): BearerChallenge | null {
  if (!header || !/^bearer\s/i.test(header)) return null;
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params[m[1]!.toLowerCase()] = m[2]!;
  return params.realm ? { realm: params.realm, service: params.service, scope: params.scope } : null;
}

/** The `last` parameter of an RFC 5988 `Link: <…?last=x&n=y>; rel="next"` header, or null. */
export function nextLast(link: string | null): string | null {
  const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  if (!m) return null;
  return new URL(m[1]!, 'http://x').searchParams.get('last');
}

/**
 * A small client of the OCI distribution (registry v2) HTTP API: ping, catalog, tags, manifests,
 * config blobs and delete by digest. Authenticates with basic auth, or with the bearer-token flow
 * when the registry answers 401 with a `Bearer` challenge (Harbor, Docker Hub, GitLab).
 */
export class RegistryClient {
  readonly baseUrl: string;
  private readonly credentials: RegistryCredentials;
  private readonly timeoutMs: number;
  private readonly bearer: ((scope: string) => string) | undefined;
  /** Bearer tokens by scope ('' for the /v2/ ping). */
  private readonly tokens = new Map<string, string>();
  /** Which auth the last successful request used. */
  auth: 'none' | 'basic' | 'bearer' = 'none';

  constructor(opts: RegistryClientOptions) {
    this.baseUrl = opts.url.replace(/\/+$/, '');
    this.credentials = opts.credentials ?? { username: null, password: null };
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.bearer = opts.bearer;
  }

  /** host[:port], as it appears in image references. */
  get host(): string {
    return new URL(this.baseUrl).host;
  }

  /** GET /v2/: resolves with the status (200 when the credentials work); throws when unreachable. */
  async ping(): Promise<number> {
    const res = await this.request('GET', '/v2/', {}, '');
    await res.body?.cancel();
    return res.status;
  }

  /** One page of the catalog after `last` (exclusive), and the `last` of the next page. */
  async catalog(
    opts: { n?: number; last?: string } = {},
  ): Promise<{ repositories: string[]; next: string | null }> {
    const q = new URLSearchParams({ n: String(opts.n ?? 100) });
    if (opts.last) q.set('last', opts.last);
    const res = await this.ok('GET', `/v2/_catalog?${q.toString()}`, {}, 'registry:catalog:*');
    const body = (await res.json()) as { repositories?: string[] | null };
    return { repositories: body.repositories ?? [], next: nextLast(res.headers.get('link')) };
  }

  /** Every tag of a repository (follows Link pagination); [] when it has none left. */
  async tags(repo: string, pageSize = 200): Promise<string[]> {
    const out: string[] = [];
    let last: string | null = null;
    for (;;) {
      const q = new URLSearchParams({ n: String(pageSize) });
      if (last) q.set('last', last);
      const res = await this.ok(
        'GET',
        `/v2/${repoPath(repo)}/tags/list?${q.toString()}`,
        {},
        pullScope(repo),
      );
      const body = (await res.json()) as { tags?: string[] | null };
      out.push(...(body.tags ?? []));
      last = nextLast(res.headers.get('link'));
      if (!last) return out;
    }
  }

  /** HEAD a manifest: its digest and media type, or null when the tag or digest does not exist. */
  async headManifest(repo: string, reference: string): Promise<{ digest: string; mediaType: string } | null> {
    const res = await this.request(
      'HEAD',
      `/v2/${repoPath(repo)}/manifests/${encodeURIComponent(reference)}`,
      { accept: manifestAccept },
      pullScope(repo),
    );
    if (res.status === 404) return null;
    if (!res.ok) throw await httpError(res, `HEAD manifest ${repo}:${reference}`);
    const digest = res.headers.get('docker-content-digest');
    if (!digest)
      throw new RegistryHttpError(
        res.status,
        null,
        `the registry sent no Docker-Content-Digest for ${repo}:${reference}`,
      );
    return { digest, mediaType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim() };
  }

  /** GET a manifest by tag or digest, or null when it does not exist. */
  async manifest(repo: string, reference: string): Promise<Manifest | null> {
    const res = await this.request(
      'GET',
      `/v2/${repoPath(repo)}/manifests/${encodeURIComponent(reference)}`,
      { accept: manifestAccept },
      pullScope(repo),
    );
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) throw await httpError(res, `GET manifest ${repo}:${reference}`);
    const body = (await res.json()) as Omit<Manifest, 'digest'>;
    const mediaType = body.mediaType ?? (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    return { ...body, mediaType, digest: res.headers.get('docker-content-digest') ?? reference };
  }

  /** The image configuration blob (created time, architecture, Cmd, Env). */
  async imageConfig(repo: string, digest: string): Promise<ImageConfig> {
    const res = await this.ok(
      'GET',
      `/v2/${repoPath(repo)}/blobs/${encodeURIComponent(digest)}`,
      {},
      pullScope(repo),
    );
    return (await res.json()) as ImageConfig;
  }

  /** Deletes a manifest by digest (registries refuse tags: DIGEST_INVALID); false when already gone. */
  async deleteManifest(repo: string, digest: string): Promise<boolean> {
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`not a manifest digest: ${digest}`);
    const res = await this.request(
      'DELETE',
      `/v2/${repoPath(repo)}/manifests/${digest}`,
      {},
      `repository:${repo}:delete`,
    );
    if (res.status !== 202 && res.status !== 200 && res.status !== 404)
      throw await httpError(res, `DELETE manifest ${repo}@${digest}`);
    await res.body?.cancel();
    return res.status !== 404;
  }

  private async ok(
    method: string,
    path: string,
    headers: Record<string, string>,
    scope: string,
  ): Promise<Response> {
    const res = await this.request(method, path, headers, scope);
    if (!res.ok) throw await httpError(res, `${method} ${path.split('?')[0]}`);
    return res;
  }

  /** One request, answering a bearer challenge once (token cached per scope). */
  private async request(
    method: string,
    path: string,
    headers: Record<string, string>,
    scope: string,
  ): Promise<Response> {
    const token = this.tokens.get(scope);
    let res = await this.send(method, path, { ...headers, ...this.authHeader(token) });
    if (res.status !== 401) {
      this.auth = token ? 'bearer' : this.basic() ? 'basic' : 'none';
      return res;
    }
    const challenge = parseBearerChallenge(res.headers.get('www-authenticate'));
    if (!challenge) return res;
    await res.body?.cancel();
    const fresh = await this.fetchToken(challenge, scope);
    this.tokens.set(scope, fresh);
    res = await this.send(method, path, { ...headers, authorization: `Bearer ${fresh}` });
    if (res.status !== 401) this.auth = 'bearer';
    return res;
  }

  private basic(): string | null {
    const { username, password } = this.credentials;
    if (!username) return null;
    return `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
  }

  private authHeader(token: string | undefined): Record<string, string> {
    if (token) return { authorization: `Bearer ${token}` };
    const basic = this.basic();
    return basic ? { authorization: basic } : {};
  }

  private async fetchToken(challenge: BearerChallenge, scope: string): Promise<string> {
    if (this.bearer) return this.bearer(scope || challenge.scope || '');
    const url = new URL(challenge.realm);
    if (challenge.service) url.searchParams.set('service', challenge.service);
    const wanted = scope || challenge.scope;
    if (wanted) url.searchParams.set('scope', wanted);
    const basic = this.basic();
    const res = await this.fetch(url.toString(), {
      method: 'GET',
      headers: basic ? { authorization: basic } : {},
    });
    if (!res.ok) throw await httpError(res, `token request to ${url.origin}${url.pathname}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token)
      throw new RegistryHttpError(res.status, null, `the token service at ${url.origin} sent no token`);
    return token;
  }

  private send(method: string, path: string, headers: Record<string, string>): Promise<Response> {
    return this.fetch(this.baseUrl + path, { method, headers, redirect: 'follow' });
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      throw new RegistryUnreachableError(`cannot reach ${new URL(url).origin}: ${cause}`);
    }
  }
}

function repoPath(repo: string): string {
  return repo.split('/').map(encodeURIComponent).join('/');
}

function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}

async function httpError(res: Response, what: string): Promise<RegistryHttpError> {
  let code: string | null = null;
  let detail = '';
  try {
    const body = (await res.json()) as { errors?: Array<{ code?: string; message?: string }> };
    const first = body.errors?.[0];
    code = first?.code ?? null;
    detail = first?.message ? `: ${first.code ?? ''} ${first.message}` : '';
  } catch {
    // not JSON (HEAD responses have no body)
  }
  return new RegistryHttpError(res.status, code, `${what} failed with HTTP ${res.status}${detail}`);
}

/** Sum of config + layer sizes of an image manifest (compressed, as stored in the registry). */
export function manifestSize(m: Manifest): number | null {
  if (!m.config || !m.layers) return null;
  return m.config.size + m.layers.reduce((sum, l) => sum + l.size, 0);
}
