/**
 * A container's files on Kubernetes (docs/file-logs.md, docs/kubernetes.md): the engine's archive
 * methods `statPath` and `getArchive` through `pods/exec` running `tar cf - -C DIR NAME` in the
 * container — what `kubectl cp` does. Kubernetes has no archive API like Podman's (the kubelet
 * does not read a container's filesystem for a client), so the image must have `tar` (busybox's
 * is enough). A container without it is refused with a 422 that says so (`noTar`); nothing is
 * written into the container.
 *
 * The stat of a path is the first entry of that tar: the stream is closed as soon as its header
 * is read (tar gets SIGPIPE; a directory is not walked to its end). A symbolic link is reported
 * as the link with its target made absolute against the link's directory, so the caller's
 * "follow the link" stats the target as on Podman (a target that is itself a link is followed
 * again by the next stat; the kernel resolves links inside the container's root there).
 */
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { PathStat } from '@berth/engine-api';
import { BerthError, EngineError } from '@berth/shared';
import type { KubeClient } from './client';
import { openExec, type ExecTarget } from './exec';
import type { Pod } from './kube-types';

/** Where the files are read: a pod's app container, or another container of it (`target`). */
export interface FilesPlace {
  pod: Pod;
  target?: ExecTarget;
}

/** The argv of `tar` that archives `p` (absolute, normalised) with names relative to its parent. */
export function tarCommand(p: string): string[] {
  if (p === '/') return ['tar', 'cf', '-', '-C', '/', '.'];
  return ['tar', 'cf', '-', '-C', path.posix.dirname(p), path.posix.basename(p)];
}

/** Exit codes a shell gives a command it cannot run (exec.ts maps "not found" to 127). */
const noCommand = new Set([126, 127]);

/** The 422 for an image without tar: what Berth needs, and what to do instead. */
export function noTar(pod: Pod, cluster: string): BerthError {
  return new BerthError(
    'UNPROCESSABLE',
    `Container files on Kubernetes cluster ${cluster} are read by running tar in the container (as kubectl cp does), and pod ${pod.metadata.name} has no tar in its image. Add tar to the image (busybox has it), or open a debug container (POST …/debug) and read the files under /proc/1/root.`,
    { pod: pod.metadata.name, fields: [{ path: 'path', message: 'the container has no tar' }] },
  );
}

/** An exec of `tar` whose stdout is the archive; the exit code and stderr come afterwards. */
async function openTar(client: KubeClient, place: FilesPlace, p: string) {
  const session = await openExec(client, place.pod, { cmd: tarCommand(p), tty: false }, place.target);
  session.stream.end(); // tar reads no input (v5: stdin closed; v4: it stays open, unused)
  const errText: Buffer[] = [];
  session.stderr?.on('data', (b: Buffer) => {
    if (errText.length < 64) errText.push(b);
  });
  return { session, stderr: () => Buffer.concat(errText).toString('utf8').trim() };
}

/** Parses an octal (or base-256) number field of a tar header. */
function tarNumber(field: Buffer): number {
  if (field[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const s = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

const typeBits: Record<string, number> = {
  '0': 0o100000,
  '': 0o100000,
  '1': 0o100000,
  '7': 0o100000,
  '2': 0o120000,
  '3': 0o020000,
  '4': 0o060000,
  '5': 0o040000,
  '6': 0o010000,
};

/**
 * The first real entry of a tar stream (GNU long names and pax records before it applied), or
 * null when the archive is empty; reads no further than that header.
 */
export async function firstTarEntry(
  stream: AsyncIterable<Buffer>,
): Promise<{ mode: number; size: number; mtime: number; linkName: string } | null> {
  let buf = Buffer.alloc(0);
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  const it = stream[Symbol.asyncIterator]();
  const need = async (n: number): Promise<boolean> => {
    while (buf.length < n) {
      const r = await it.next();
      if (r.done) return false;
      buf = Buffer.concat([buf, r.value]);
    }
    return true;
  };
  for (;;) {
    if (!(await need(512))) return null;
    const h = buf.subarray(0, 512);
    if (h.every((b) => b === 0)) return null;
    const type = String.fromCharCode(h[156]!).replace('\0', '');
    const size = tarNumber(h.subarray(124, 136));
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      const padded = 512 + Math.ceil(size / 512) * 512;
      if (size > 1 << 20 || !(await need(padded))) return null;
      const body = buf.subarray(512, 512 + size).toString('utf8');
      if (type === 'K') longLink = body.replace(/\0+$/, '');
      if (type === 'x') {
        pax = {};
        for (const m of body.matchAll(/\d+ ([^=]+)=([^\n]*)\n/g)) pax[m[1]!] = m[2]!;
      }
      buf = buf.subarray(padded);
      continue;
    }
    const linkName = pax.linkpath ?? longLink ?? h.subarray(157, 257).toString('utf8').replace(/\0.*$/s, '');
    return {
      mode: (tarNumber(h.subarray(100, 108)) & 0o7777) | (typeBits[type] ?? 0o100000),
      size: pax.size !== undefined ? Number(pax.size) : size,
      mtime: pax.mtime !== undefined ? Number(pax.mtime) : tarNumber(h.subarray(136, 148)),
      linkName,
    };
  }
}

/** The stat of `p` (absolute, normalised), or null when it does not exist. */
export async function statPathByExec(
  client: KubeClient,
  place: FilesPlace,
  p: string,
  cluster: string,
): Promise<PathStat | null> {
  const { session, stderr } = await openTar(client, place, p);
  let entry: Awaited<ReturnType<typeof firstTarEntry>>;
  try {
    entry = await firstTarEntry(session.stream as AsyncIterable<Buffer>);
  } finally {
    session.close();
  }
  if (!entry) {
    const code = await session.exitCode();
    const why = stderr();
    if (code !== null && noCommand.has(code)) throw noTar(place.pod, cluster);
    if (/no such file|cannot stat|can't open|not found/i.test(why)) return null;
    throw new EngineError(
      `Kubernetes cluster ${cluster}: tar in pod ${place.pod.metadata.name} read nothing of ${p}${why ? `: ${why}` : ''}.`,
      { pod: place.pod.metadata.name, path: p },
    );
  }
  const isLink = (entry.mode & 0o170000) === 0o120000;
  return {
    name: p === '/' ? '/' : path.posix.basename(p),
    size: isLink ? 0 : entry.size,
    mode: entry.mode,
    mtime: new Date(entry.mtime * 1000).toISOString(),
    linkTarget: isLink ? path.posix.resolve(path.posix.dirname(p), entry.linkName) : '',
  };
}

/**
 * A tar stream of `p` (a file, or a directory's whole tree), straight from tar's stdout. An
 * image without tar fails the stream with the 422 of `noTar`; the signal closes the exec.
 */
export async function archiveByExec(
  client: KubeClient,
  place: FilesPlace,
  p: string,
  cluster: string,
  signal?: AbortSignal,
): Promise<NodeJS.ReadableStream> {
  const { session } = await openTar(client, place, p);
  const out = new PassThrough();
  let bytes = 0;
  session.stream.on('data', (b: Buffer) => {
    bytes += b.length;
  });
  session.stream.pipe(out, { end: false });
  session.stream.on('end', () => {
    void session.exitCode().then((code) => {
      if (bytes === 0 && code !== null && noCommand.has(code)) out.destroy(noTar(place.pod, cluster));
      else out.end();
    });
  });
  const abort = () => {
    session.close();
    out.destroy();
  };
  signal?.addEventListener('abort', abort, { once: true });
  out.on('close', () => {
    signal?.removeEventListener('abort', abort);
    session.close();
  });
  return out;
}
