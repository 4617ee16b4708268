/**
 * Image inspect, pull, list and removal. libpod answers a failed pull with 200 and an
 * `{"error": ...}` line in its progress stream, so the stream is read to the end and checked.
 */
import type { ImageInfo, ImageRemoval, RegistryAuth, StoredImage } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import { type LibpodClient, readNdjson } from './libpod-client';
import type { LibpodImage, LibpodImageRemoval, LibpodListImage, LibpodPullLine } from './libpod-types';

/**
 * The image's digest: the repo digest matching the image's own manifest digest (what container
 * inspect reports as ImageDigest), else the first repo digest, else the image id.
 */
export function imageDigest(image: LibpodImage): string {
  const repoDigests = (image.RepoDigests ?? []).map((d) => d.slice(d.indexOf('@') + 1)).filter(Boolean);
  const own = image.Digest && repoDigests.includes(image.Digest) ? image.Digest : undefined;
  return own ?? repoDigests[0] ?? (image.Id.startsWith('sha256:') ? image.Id : `sha256:${image.Id}`);
}

/** Berth's ImageInfo from libpod image JSON (exposed ports sorted, udp included). */
export function toImageInfo(image: LibpodImage): ImageInfo {
  const exposed = Object.keys(image.Config?.ExposedPorts ?? {})
    .map((key) => Number(key.split('/')[0]))
    .filter((port) => Number.isInteger(port) && port > 0)
    .sort((a, b) => a - b);
  return {
    id: image.Id,
    digest: imageDigest(image),
    user: image.User ?? image.Config?.User ?? '',
    exposedPorts: exposed,
    sizeBytes: image.Size ?? 0,
  };
}

/** The local image, or null when podman does not have it. */
export async function inspectImage(client: LibpodClient, ref: string): Promise<ImageInfo | null> {
  const image = await client.json<LibpodImage>('GET', `/images/${encodeURIComponent(ref)}/json`, {
    accept: [404],
  });
  return image ? toImageInfo(image) : null;
}

/**
 * The X-Registry-Auth header libpod reads: URL-safe base64 of a Docker AuthConfig. Podman uses it
 * for this request only; it is never written to an auth file.
 */
export function registryAuthHeader(auth: RegistryAuth | undefined): Record<string, string> {
  if (!auth) return {};
  const json = JSON.stringify({ username: auth.username, password: auth.password });
  // Go's base64.URLEncoding: the URL-safe alphabet *with* '=' padding (Node's base64url drops it).
  const encoded = Buffer.from(json).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  return { 'X-Registry-Auth': encoded };
}

/**
 * Whether an image reference names a registry on a loopback address (Berth's embedded registry
 * on one host speaks plain HTTP there). Anything else is pulled with TLS as the host's
 * registries.conf says: verified unless an admin marked that registry insecure.
 */
export function onLoopbackRegistry(ref: string): boolean {
  const slash = ref.indexOf('/');
  if (slash < 0) return false;
  const first = ref.slice(0, slash);
  if (!first.includes('.') && !first.includes(':') && first !== 'localhost') return false;
  const host = first.startsWith('[') ? first.slice(1, first.indexOf(']')) : first.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Pulls `ref`: plain HTTP only from loopback registries, TLS as registries.conf says elsewhere. */
export async function pullImage(client: LibpodClient, ref: string, auth?: RegistryAuth): Promise<void> {
  const res = await client.open('POST', '/images/pull', {
    query: { reference: ref, tlsVerify: onLoopbackRegistry(ref) ? false : undefined, quiet: true },
    headers: registryAuthHeader(auth),
    // A pull takes as long as the image is big; podman reports progress, not a deadline.
    timeoutMs: 0,
  });
  let pulled = false;
  for await (const line of readNdjson<LibpodPullLine>(res)) {
    if (line.error)
      throw new EngineError(`Podman could not pull image ${ref}: ${line.error}`, { image: ref });
    if (line.id || line.images?.length) pulled = true;
  }
  if (!pulled)
    throw new EngineError(`Podman could not pull image ${ref}: the pull ended without an image.`, {
      image: ref,
    });
}

/** The local image, pulled first when missing (or always when `always`). */
export async function ensureImage(
  client: LibpodClient,
  ref: string,
  always: boolean,
  auth?: RegistryAuth,
): Promise<ImageInfo> {
  if (!always) {
    const local = await inspectImage(client, ref);
    if (local) return local;
  }
  await pullImage(client, ref, auth);
  const info = await inspectImage(client, ref);
  if (!info)
    throw new EngineError(`Podman pulled image ${ref} but cannot find it afterwards.`, { image: ref });
  return info;
}

/**
 * Every final image of the local storage (`GET /images/json`, intermediate layers left out). No
 * `reference` filter: libpod matches it as a path glob whose `*` stops at "/", so "every
 * repository of registry host:port" cannot be asked for; callers filter the names themselves.
 */
export async function listImages(client: LibpodClient): Promise<StoredImage[]> {
  const list = await client.json<LibpodListImage[]>('GET', '/images/json');
  return (list ?? []).map((image) => ({
    id: image.Id,
    names: image.RepoTags ?? [],
    digests: image.RepoDigests ?? [],
    containers: image.Containers ?? 0,
    sizeBytes: image.Size ?? 0,
    createdAt: new Date((image.Created ?? 0) * 1000).toISOString(),
  }));
}

/**
 * Removes a local image by name, or by id when it has no name, never forcing
 * (docs/runtime-notes.md "Removing images"): 404 is `missing`; 409 (a container of any state
 * uses it) is `in-use` and changes nothing; a name of an image that has others is only untagged
 * (podman does so even while a container uses the image). By id, an image with several names is
 * refused with a 500 ("please force removal"): that throws, like any other failure.
 */
export async function removeImage(client: LibpodClient, ref: string): Promise<ImageRemoval> {
  const res = await client.request('DELETE', `/images/${encodeURIComponent(ref)}`, { accept: [404, 409] });
  if (res.status === 404) return 'missing';
  if (res.status === 409) return 'in-use';
  let body: LibpodImageRemoval = {};
  try {
    body = JSON.parse(res.body.toString('utf8')) as LibpodImageRemoval;
  } catch {
    // an answer without a report: podman said 200, so the name is gone at least
  }
  return (body.Deleted ?? []).length > 0 ? 'removed' : 'untagged';
}
