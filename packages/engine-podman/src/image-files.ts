/**
 * Reads a file out of an image without running it: a container is created (never started), the
 * file is fetched through libpod's archive endpoint (a tar stream) and the container is removed.
 * Used to learn which uid a user name has in an image (/etc/passwd).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { EngineError } from '@berth/shared';
import type { LibpodClient } from './libpod-client';
import type { LibpodListContainer } from './libpod-types';

/** Label on the short-lived containers, so a leftover one (a crash in between) is recognisable. */
export const fileProbeLabel = 'berth.file-probe';

/** One entry of a tar stream: its type flag, link target and content. */
interface TarEntry {
  name: string;
  type: string;
  linkName: string;
  content: Buffer;
}

function cString(buf: Buffer, start: number, length: number): string {
  const raw = buf.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
}

/** The first real entry of a tar archive (pax and GNU long-name headers are skipped). */
export function firstTarEntry(tar: Buffer): TarEntry | null {
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return null;
    const size = parseInt(cString(header, 124, 12).trim() || '0', 8);
    const type = cString(header, 156, 1) || '0';
    const content = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') continue;
    return { name: cString(header, 0, 100), type, linkName: cString(header, 157, 100), content };
  }
  return null;
}

/** Removes probe containers a crash left behind (older than a minute: none is still in use). */
async function removeStaleProbes(client: LibpodClient): Promise<void> {
  const list = await client.json<LibpodListContainer[]>('GET', '/containers/json', {
    query: { all: true, filters: JSON.stringify({ label: [`${fileProbeLabel}=true`] }) },
  });
  const cutoff = Date.now() - 60_000;
  for (const c of list ?? []) {
    if (Date.parse(c.Created) < cutoff)
      await client
        .request('DELETE', `/containers/${c.Id}`, { query: { force: true, timeout: 0 }, accept: [404] })
        .catch(() => undefined);
  }
}

/** Reads `file` from `image`, following up to 8 symbolic links inside the image. */
export async function readImageFile(
  client: LibpodClient,
  image: string,
  file: string,
): Promise<Buffer | null> {
  await removeStaleProbes(client).catch(() => undefined);
  const name = `berth-file-probe-${randomBytes(6).toString('hex')}`;
  const created = await client.json<{ Id: string }>('POST', '/containers/create', {
    body: {
      name,
      image,
      // Never started: the entrypoint only has to satisfy create.
      entrypoint: ['/berth-never-runs'],
      command: [],
      labels: { [fileProbeLabel]: 'true' },
      netns: { nsmode: 'none' },
    },
  });
  if (!created?.Id) throw new EngineError(`Podman returned no id for a file probe of image ${image}.`);
  try {
    let current = path.posix.normalize(file);
    for (let hop = 0; hop < 8; hop += 1) {
      const res = await client.request('GET', `/containers/${created.Id}/archive`, {
        query: { path: current },
        accept: [404],
      });
      if (res.status === 404) return null;
      const entry = firstTarEntry(res.body);
      if (!entry) return null;
      if (entry.type === '0' || entry.type === '7') return entry.content;
      if (entry.type !== '2') return null;
      current = path.posix.resolve(path.posix.dirname(current), entry.linkName);
    }
    throw new EngineError(`${file} in image ${image} is a chain of more than 8 symbolic links.`);
  } finally {
    await client
      .request('DELETE', `/containers/${created.Id}`, { query: { force: true, timeout: 0 }, accept: [404] })
      .catch(() => undefined);
  }
}
