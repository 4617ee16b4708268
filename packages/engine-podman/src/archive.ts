/**
 * A container's files through libpod's archive endpoint, without exec (docs/file-logs.md), so it
 * works on images with no shell and no tar:
 * - `HEAD /containers/{id}/archive?path=` answers the stat of the path in the
 *   `X-Docker-Container-Path-Stat` header (base64 JSON), 404 when the path does not exist;
 * - `GET` streams a tar of the path (a file, or a directory with everything under it);
 * - `PUT` extracts a tar into a directory.
 * Checked on Podman 4.3.1 (runtime-notes §16).
 */
import type { PathStat } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import type { LibpodClient } from './libpod-client';

/** The stat Podman sends: Go's os.FileMode bits, and the path with symlinks resolved. */
interface LibpodPathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  isDir: boolean;
  linkTarget: string;
}

// Go's os.FileMode type bits (io/fs) and the Unix S_IF* they stand for.
const goDir = 2 ** 31;
const goSymlink = 2 ** 27;
const goDevice = 2 ** 26;
const goNamedPipe = 2 ** 25;
const goSocket = 2 ** 24;
const goSetuid = 2 ** 23;
const goSetgid = 2 ** 22;
const goCharDevice = 2 ** 21;
const goSticky = 2 ** 20;

/** Turns a Go os.FileMode into Unix mode bits with the file type (S_IFDIR, S_IFLNK, ...). */
export function unixMode(goMode: number): number {
  const has = (bit: number) => Math.floor(goMode / bit) % 2 === 1;
  let mode = goMode % 0o1000;
  if (has(goSetuid)) mode |= 0o4000;
  if (has(goSetgid)) mode |= 0o2000;
  if (has(goSticky)) mode |= 0o1000;
  if (has(goDir)) mode |= 0o040000;
  else if (has(goSymlink)) mode |= 0o120000;
  else if (has(goNamedPipe)) mode |= 0o010000;
  else if (has(goSocket)) mode |= 0o140000;
  else if (has(goDevice)) mode |= has(goCharDevice) ? 0o020000 : 0o060000;
  else mode |= 0o100000;
  return mode;
}

/** The stat of `path` in the container, or null when it does not exist. */
export async function statPath(client: LibpodClient, id: string, path: string): Promise<PathStat | null> {
  const res = await client.open('HEAD', `/containers/${encodeURIComponent(id)}/archive`, {
    query: { path },
    accept: [404],
  });
  res.resume();
  if (res.statusCode === 404) return null;
  const header = res.headers['x-docker-container-path-stat'];
  const raw = Array.isArray(header) ? header[0] : header;
  if (!raw) throw new EngineError(`Podman sent no path stat for ${path} in container ${id}.`);
  const stat = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as LibpodPathStat;
  const mode = unixMode(stat.mode);
  const isLink = (mode & 0o170000) === 0o120000;
  return {
    // Podman names a symlink by its target's base name; the caller asked about the link.
    name: path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1),
    size: stat.size,
    mode,
    mtime: stat.mtime,
    linkTarget: isLink ? stat.linkTarget : '',
  };
}

/** A tar stream of `path` (a file: one entry, symlinks followed; a directory: its whole tree). */
export async function getArchive(
  client: LibpodClient,
  id: string,
  path: string,
  signal?: AbortSignal,
): Promise<NodeJS.ReadableStream> {
  return client.open('GET', `/containers/${encodeURIComponent(id)}/archive`, { query: { path }, signal });
}

/** Extracts `tar` into the directory `dir` of the container. */
export async function putArchive(
  client: LibpodClient,
  id: string,
  dir: string,
  tar: NodeJS.ReadableStream,
): Promise<void> {
  const res = await client.open('PUT', `/containers/${encodeURIComponent(id)}/archive`, {
    query: { path: dir },
    rawBody: tar,
    contentType: 'application/x-tar',
    timeoutMs: 0,
  });
  res.resume();
  await new Promise<void>((resolve, reject) => {
    res.on('end', resolve);
    res.on('error', reject);
  });
}
