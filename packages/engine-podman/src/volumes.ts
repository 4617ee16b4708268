/**
 * Podman volumes (docs/volumes.md): create, inspect, list, remove, usage, and export/import of
 * their content. Podman 4.3 has no volume export/import endpoints (`/libpod/volumes/{name}/export`
 * answers 404), so both go through a short-lived helper container that mounts the volume and the
 * container archive endpoints. The helper is started, so podman mounts the volume first (an NFS or
 * CephFS volume is only mounted for a running container: the archive endpoints of a created
 * container read and write the empty mount point underneath). Its image is empty (imported from
 * an empty tar through the API, so every cluster can make it) and it runs podman's own init,
 * catatonit, in pause mode (`/run/podman-init -P`, bound in by `init: true`).
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { VolumeCreateSpec, VolumeInfo, VolumeRemoval } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import type { LibpodClient } from './libpod-client';
import type { LibpodListContainer } from './libpod-types';

/** Label on the helper containers, so a leftover one (a crash in between) is recognisable. */
export const volumeHelperLabel = 'berth.volume-helper';
/** The empty image the helpers run (catatonit comes from the host through `init: true`). */
export const volumeHelperImage = 'localhost/berth-volume-helper:1';
/** Where a helper mounts the volume. */
const mountDir = '/v';
/** A helper older than this is a leftover of a crash (an export of many GiB may take long). */
const staleHelperMs = 6 * 3600_000;

interface LibpodVolume {
  Name: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Options: Record<string, string> | null;
  CreatedAt: string;
}

function toInfo(v: LibpodVolume): VolumeInfo {
  return {
    name: v.Name,
    labels: v.Labels ?? {},
    mountpoint: v.Mountpoint ?? '',
    options: v.Options ?? {},
    createdAt: v.CreatedAt,
  };
}

const volumePath = (name: string) => `/volumes/${encodeURIComponent(name)}`;

export async function inspectVolume(client: LibpodClient, name: string): Promise<VolumeInfo | null> {
  const v = await client.json<LibpodVolume>('GET', `${volumePath(name)}/json`, { accept: [404] });
  return v ? toInfo(v) : null;
}

/** Creates the volume; one that exists already is returned as it is (not an error). */
export async function createVolume(client: LibpodClient, spec: VolumeCreateSpec): Promise<VolumeInfo> {
  const res = await client.request('POST', '/volumes/create', {
    body: { Name: spec.name, Label: spec.labels, Options: spec.options ?? {} },
    accept: [409],
  });
  if (res.status === 409) {
    const existing = await inspectVolume(client, spec.name);
    if (existing) return existing;
    throw client.statusError(res.status, res.body, 'POST', '/volumes/create');
  }
  return toInfo(JSON.parse(res.body.toString('utf8')) as LibpodVolume);
}

export async function listVolumes(
  client: LibpodClient,
  labels: Record<string, string>,
): Promise<VolumeInfo[]> {
  const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  const list = await client.json<LibpodVolume[]>('GET', '/volumes/json', {
    query: { filters: JSON.stringify(label.length ? { label } : {}) },
  });
  // Podman 4.3 ORs several label filters of volumes (checked on the test socket): keep only the
  // volumes that carry every label, as the engine-api contract says.
  return (list ?? [])
    .filter((v) => Object.entries(labels).every(([k, val]) => v.Labels?.[k] === val))
    .map(toInfo);
}

/** Never forced: a volume some container (even a stopped one) uses is refused with `in-use`. */
export async function removeVolume(client: LibpodClient, name: string): Promise<VolumeRemoval> {
  // an export's helper leaves a moment after its stream ended: it is Berth's own, not a user
  const helpers = await client.json<LibpodListContainer[]>('GET', '/containers/json', {
    query: {
      all: true,
      filters: JSON.stringify({ label: [`${volumeHelperLabel}=true`, `berth.volume=${name}`] }),
    },
  });
  for (const h of helpers ?? []) await removeHelper(client, h.Id);
  const res = await client.request('DELETE', volumePath(name), { accept: [404, 409] });
  if (res.status === 404) return 'missing';
  if (res.status === 409) return 'in-use';
  return 'removed';
}

/** Bytes stored in every volume of the host, by name (`GET /system/df`). */
export async function volumeUsage(client: LibpodClient): Promise<Record<string, number>> {
  type Df = { Volumes?: { VolumeName: string; Size: number }[] };
  let df: Df | null = null;
  // df also sizes every container: one removed in the middle fails the call; the next one passes
  for (let attempt = 1; ; attempt += 1) {
    try {
      df = await client.json<Df>('GET', '/system/df', { timeoutMs: 120_000 });
      break;
    } catch (err) {
      if (attempt >= 3 || !(err instanceof EngineError)) throw err;
    }
  }
  const out: Record<string, number> = {};
  for (const v of df?.Volumes ?? []) out[v.VolumeName] = v.Size;
  return out;
}

/** Imports the empty helper image once per host (an empty tar: two zero blocks of 512 bytes × 10). */
async function ensureHelperImage(client: LibpodClient): Promise<void> {
  const exists = await client.request('GET', `/images/${encodeURIComponent(volumeHelperImage)}/exists`, {
    accept: [404],
  });
  if (exists.status !== 404) return;
  const empty = new PassThrough();
  empty.end(Buffer.alloc(10240));
  await client.request('POST', '/images/import', {
    query: { reference: volumeHelperImage, message: 'Berth volume helper (empty)' },
    rawBody: empty,
    contentType: 'application/x-tar',
    timeoutMs: 120_000,
  });
}

async function removeStaleHelpers(client: LibpodClient): Promise<void> {
  const list = await client.json<LibpodListContainer[]>('GET', '/containers/json', {
    query: { all: true, filters: JSON.stringify({ label: [`${volumeHelperLabel}=true`] }) },
  });
  const cutoff = Date.now() - staleHelperMs;
  for (const c of list ?? []) if (Date.parse(c.Created) < cutoff) await removeHelper(client, c.Id);
}

function removeHelper(client: LibpodClient, id: string): Promise<unknown> {
  return client
    .request('DELETE', `/containers/${id}`, { query: { force: true, timeout: 0 }, accept: [404] })
    .catch(() => undefined);
}

/**
 * Starts a helper that mounts `volume` at /v; returns its id. A volume that cannot be mounted
 * (an NFS server that does not answer, a missing export) fails here with podman's mount error.
 */
async function startHelper(client: LibpodClient, volume: string, readOnly: boolean): Promise<string> {
  await removeStaleHelpers(client).catch(() => undefined);
  await ensureHelperImage(client);
  const created = await client.json<{ Id: string }>('POST', '/containers/create', {
    body: {
      name: `berth-volume-helper-${randomBytes(6).toString('hex')}`,
      image: volumeHelperImage,
      init: true,
      entrypoint: ['/run/podman-init', '-P'],
      command: [],
      labels: { [volumeHelperLabel]: 'true', 'berth.volume': volume },
      netns: { nsmode: 'none' },
      cap_drop: ['ALL'],
      no_new_privileges: true,
      volumes: [{ Name: volume, Dest: mountDir, Options: readOnly ? ['ro'] : [] }],
    },
  });
  if (!created?.Id) throw new EngineError(`Podman returned no id for a helper of volume ${volume}.`);
  try {
    await client.request('POST', `/containers/${created.Id}/start`, { timeoutMs: 120_000 });
  } catch (err) {
    await removeHelper(client, created.Id);
    throw err;
  }
  return created.Id;
}

/** The volume's content as a tar stream (entries relative to the volume's root). */
export async function exportVolume(client: LibpodClient, name: string): Promise<NodeJS.ReadableStream> {
  const id = await startHelper(client, name, true);
  try {
    const res = await client.open('GET', `/containers/${id}/archive`, {
      query: { path: `${mountDir}/.` },
      timeoutMs: 120_000,
    });
    const out = new PassThrough();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      void removeHelper(client, id);
    };
    res.on('error', (err) => {
      finish();
      out.destroy(err);
    });
    res.on('end', finish);
    res.on('close', finish);
    out.on('close', () => {
      if (!res.complete) res.destroy();
      finish();
    });
    res.pipe(out);
    return out;
  } catch (err) {
    await removeHelper(client, id);
    throw err;
  }
}

/**
 * Extracts a tar stream into the volume (files in it replace those of the same name). `_image`
 * is accepted for callers that name a helper image; the helper always runs the empty image.
 */
export async function importVolume(
  client: LibpodClient,
  name: string,
  tar: NodeJS.ReadableStream,
  _image?: string,
): Promise<void> {
  const id = await startHelper(client, name, false);
  try {
    await client.request('PUT', `/containers/${id}/archive`, {
      query: { path: mountDir },
      rawBody: tar,
      contentType: 'application/x-tar',
      timeoutMs: 0,
    });
  } finally {
    await removeHelper(client, id);
  }
}

/** Sends a signal (e.g. "SIGHUP") to the container's main process (`POST /containers/{id}/kill`). */
export async function signalContainer(client: LibpodClient, idOrName: string, signal: string): Promise<void> {
  await client.request('POST', `/containers/${encodeURIComponent(idOrName)}/kill`, { query: { signal } });
}
