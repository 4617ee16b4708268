/** An image reference split into registry host, repository, tag and digest. */
export interface ImageRef {
  /** host[:port]; `docker.io` when the reference names none. */
  host: string;
  repository: string;
  tag: string | null;
  digest: string | null;
}

/**
 * Parses `host[:port]/repo[:tag][@digest]` the way container tools do: the first segment is a
 * host only if it has a "." or ":" or is "localhost". Returns null for what is not a reference.
 */
export function parseImageRef(ref: string): ImageRef | null {
  const m = /^([^@]+?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(ref.trim());
  if (!m) return null;
  const path = m[1]!;
  const slash = path.indexOf('/');
  const first = slash < 0 ? '' : path.slice(0, slash);
  const hasHost = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = hasHost ? first : 'docker.io';
  let repository = hasHost ? path.slice(slash + 1) : path;
  if (!hasHost && !repository.includes('/')) repository = `library/${repository}`;
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository)) return null;
  return { host, repository, tag: m[2] ?? (m[3] ? null : 'latest'), digest: m[3] ?? null };
}

/** A registry host in one form for comparisons: localhost[:port] is 127.0.0.1[:port]. */
export function canonicalHost(host: string): string {
  return host.replace(/^localhost(?=:|$)/, '127.0.0.1');
}

/** Loopback aliases name the same registry: 127.0.0.1:5000 and localhost:5000. */
export function sameHost(a: string, b: string): boolean {
  return canonicalHost(a) === canonicalHost(b);
}

/**
 * The name a cluster pulls an image by: an image of the embedded registry (at `registryListen`)
 * under the cluster's own address of that registry; any other image as it is.
 */
export function imageRefOnCluster(
  ref: string,
  registryListen: string | null,
  clusterRegistry: string | null,
): string {
  if (!clusterRegistry || !registryListen) return ref;
  const trimmed = ref.trim();
  const parsed = parseImageRef(trimmed);
  if (!parsed || !sameHost(parsed.host, registryListen) || !trimmed.startsWith(`${parsed.host}/`)) return ref;
  return `${clusterRegistry}${trimmed.slice(parsed.host.length)}`;
}

/** Repository names as the distribution spec allows them (lowercase path components). */
export const repositoryPattern = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*){0,9}$/;
export const tagPattern = /^[\w][\w.-]{0,127}$/;
