/** Reading volume exports in tests: a small tar reader and per-file digests. */
import { createHash } from 'node:crypto';
import { testImage, type TestApi } from './platform';

export interface TarFile {
  type: string;
  mode: number;
  size: number;
  sha256: string;
  content: Buffer;
}

const str = (b: Buffer, start: number, len: number) => {
  const raw = b.subarray(start, start + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? len : end).toString('utf8');
};

/** Entries of a tar archive by path (pax `path` records and GNU long names honoured). */
export function readTar(tar: Buffer): Map<string, TarFile> {
  const out = new Map<string, TarFile>();
  let off = 0;
  let longName: string | null = null;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(str(h, 124, 12).trim() || '0', 8);
    const type = str(h, 156, 1) || '0';
    const content = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(content.toString('utf8'));
      if (m) longName = m[1]!;
      continue;
    }
    if (type === 'L') {
      longName = content.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (type === 'g') continue;
    const prefix = str(h, 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    longName = null;
    name = name.replace(/^\.?\//, '').replace(/\/$/, '');
    if (name === '' || name === '.') continue;
    out.set(name, {
      type,
      mode: parseInt(str(h, 100, 8).trim() || '0', 8) & 0o7777,
      size,
      sha256: createHash('sha256').update(content).digest('hex'),
      content: Buffer.from(content),
    });
  }
  return out;
}

/** Downloads a volume's export. */
export async function exportVolume(api: TestApi, volumePath: string): Promise<Buffer> {
  const res = await fetch(`${api.url}${volumePath}/export`, {
    headers: { Authorization: `Bearer ${api.token}` },
  });
  if (res.status !== 200) throw new Error(`export ${volumePath}: ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Uploads a tar into a volume; returns status and body. */
export async function importVolume(
  api: TestApi,
  volumePath: string,
  tar: Buffer,
  contentType = 'application/x-tar',
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${api.url}${volumePath}/import`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${api.token}`, 'Content-Type': contentType },
    body: tar,
  });
  return { status: res.status, body: await res.text() };
}

/** Path → sha256 of every regular file. */
export function digests(files: Map<string, TarFile>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, f] of [...files].sort(([a], [b]) => a.localeCompare(b)))
    if (f.type === '0') out[name] = f.sha256;
  return out;
}

/**
 * A service that appends "<version> <hostname>" to /data/log at each start, writes a random
 * 1 MiB /data/sub/blob once, and serves /data (ready when /log is served).
 */
export function volumeAppSpec(version: string, volume = 'data', extra: Record<string, unknown> = {}) {
  return {
    image: testImage,
    command: [
      'sh',
      '-c',
      'echo "$VERSION $HOSTNAME" >> /data/log && mkdir -p /data/sub && { [ -f /data/sub/blob ] || head -c 1048576 /dev/urandom > /data/sub/blob; } && exec httpd -f -p 8080 -h /data',
    ],
    env: [{ name: 'VERSION', value: version }],
    ports: [{ containerPort: 8080 }],
    readiness: { type: 'http', path: '/log', periodSeconds: 1 },
    rollout: {
      maxSurge: 1,
      maxUnavailable: 0,
      drainSeconds: 0,
      stopGraceSeconds: 5,
      progressDeadlineSeconds: 300,
    },
    replicas: 1,
    mounts: [{ volume, path: '/data' }],
    ...extra,
  };
}
