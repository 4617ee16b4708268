/**
 * Reading a container's files through the engine's archive API, no exec (docs/file-logs.md):
 * path checks, directory listings, bounded reads, tails, and the follower that turns a growing
 * (and rotating) file into lines.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { BerthError, InvalidError, NotFoundError, UnavailableError } from '@berth/shared';
import type { ContainerEngine, PathStat } from '@berth/engine-api';
import { readTar, type TarEntryType, type TarHeader } from './tar-reader';

/** The limits of one read (docs/file-logs.md "Limits"). */
export const fileLimits = {
  /** Largest file shown as text; bigger files are tailed or downloaded. */
  viewBytes: 1024 * 1024,
  /** Entries of one directory listing. */
  listEntries: 2000,
  /** Lines of a tail. */
  tailLines: 10_000,
  /** Longest line kept whole by a tail or a follow; the rest of the line is cut. */
  lineBytes: 64 * 1024,
};

/** Why a path is refused, or null when it is fine. */
export function pathProblem(p: string): string | null {
  if (!p.startsWith('/')) return 'must be an absolute path (start with "/")';
  if (p.includes('\0')) return 'must not contain a NUL byte';
  if (p.split('/').includes('..')) return 'must not contain ".." segments';
  return null;
}

/** Normalised: one slash between segments, no "." segments, no trailing slash (but "/"). */
export function normalisePath(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** A path inside a container, as a query parameter: absolute, no NUL, no "..", normalised. */
export const containerPathSchema = z
  .string()
  .min(1)
  .max(4096)
  .superRefine((p, ctx) => {
    const problem = pathProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform(normalisePath);

export type FileType = 'file' | 'directory' | 'symlink' | 'other';

/** What the API shows of one path. */
export interface FileInfo {
  name: string;
  path: string;
  type: FileType;
  size: number;
  /** Permission bits as four octal digits, e.g. "0644". */
  mode: string;
  mtime: string;
  /** For a symbolic link: where it points. */
  linkTarget?: string;
}

function typeOfMode(mode: number): FileType {
  const t = mode & 0o170000;
  if (t === 0o040000) return 'directory';
  if (t === 0o100000) return 'file';
  if (t === 0o120000) return 'symlink';
  return 'other';
}

function tarType(t: TarEntryType): FileType {
  return t === 'hardlink' ? 'file' : t;
}

const octalMode = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

export function fileInfo(p: string, stat: PathStat): FileInfo {
  const type = typeOfMode(stat.mode);
  return {
    name: p === '/' ? '/' : path.posix.basename(p),
    path: p,
    type,
    size: stat.size,
    mode: octalMode(stat.mode),
    mtime: new Date(stat.mtime).toISOString(),
    ...(type === 'symlink' ? { linkTarget: stat.linkTarget } : {}),
  };
}

/** The archive methods of an engine, or a 503 naming the engine that lacks them. */
export function archiveOf(
  engine: ContainerEngine,
): Required<Pick<ContainerEngine, 'statPath' | 'getArchive'>> & Pick<ContainerEngine, 'cluster'> {
  if (!engine.statPath || !engine.getArchive)
    throw new UnavailableError(
      `The ${engine.kind} engine of cluster '${engine.cluster}' has no archive API: container files cannot be read there.`,
    );
  return {
    cluster: engine.cluster,
    statPath: engine.statPath.bind(engine),
    getArchive: engine.getArchive.bind(engine),
  };
}

type Archive = ReturnType<typeof archiveOf>;

function noSuchPath(p: string, container: string): NotFoundError {
  return new NotFoundError(
    'NOT_FOUND',
    `Container '${container}' has no file or directory '${p}'; list its parent with GET …/files?path=${path.posix.dirname(p)}.`,
  );
}

/** The stat of a path, symbolic links followed (Podman reports the resolved path). */
export async function statFollowed(
  archive: Archive,
  ref: string,
  p: string,
  container: string,
): Promise<{ stat: PathStat; resolved: string }> {
  const stat = await archive.statPath(ref, p);
  if (!stat) throw noSuchPath(p, container);
  if (typeOfMode(stat.mode) !== 'symlink' || !stat.linkTarget) return { stat, resolved: p };
  const target = await archive.statPath(ref, stat.linkTarget);
  if (!target) throw noSuchPath(p, container);
  return { stat: target, resolved: stat.linkTarget };
}

/**
 * The entries under `dir` with their path relative to it. The archive's first entry is the
 * directory itself ("app", or "" for "/": Podman names the rest "/bin/…" then) and is left out.
 */
async function* treeEntries(
  archive: Archive,
  ref: string,
  dir: string,
  signal?: AbortSignal,
): AsyncGenerator<{ rel: string; header: TarHeader }> {
  const tar = await archive.getArchive(ref, dir, signal);
  let top: string | undefined;
  for await (const { header } of readTar(tar as AsyncIterable<Buffer>)) {
    const name = header.name.replace(/^\/+/, '');
    if (top === undefined) {
      top = name;
      continue;
    }
    const rel = top === '' ? name : name.startsWith(`${top}/`) ? name.slice(top.length + 1) : null;
    if (rel) yield { rel, header };
  }
}

/** The entries directly inside `dir` (sorted: directories first, then by name). */
export async function listDirectory(
  archive: Archive,
  ref: string,
  dir: string,
  signal?: AbortSignal,
): Promise<{ items: FileInfo[]; truncated: boolean }> {
  const items: FileInfo[] = [];
  let truncated = false;
  for await (const { rel, header } of treeEntries(archive, ref, dir, signal)) {
    if (rel.includes('/')) continue;
    if (items.length >= fileLimits.listEntries) {
      truncated = true;
      break;
    }
    items.push({
      name: rel,
      path: dir === '/' ? `/${rel}` : `${dir}/${rel}`,
      type: tarType(header.type),
      size: header.type === 'file' ? header.size : 0,
      mode: octalMode(header.mode),
      mtime: header.mtime.toISOString(),
      ...(header.type === 'symlink' ? { linkTarget: header.linkName } : {}),
    });
  }
  items.sort((a, b) =>
    a.type === 'directory' && b.type !== 'directory'
      ? -1
      : b.type === 'directory' && a.type !== 'directory'
        ? 1
        : a.name < b.name
          ? -1
          : a.name > b.name
            ? 1
            : 0,
  );
  return { items, truncated };
}

/**
 * The content of the regular file `p` as it streams out of the archive. The caller must read it
 * to the end or `return()` it, which closes the engine's stream.
 */
export async function* fileContent(
  archive: Archive,
  ref: string,
  p: string,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  const tar = await archive.getArchive(ref, p, signal);
  for await (const entry of readTar(tar as AsyncIterable<Buffer>)) {
    if (entry.header.type !== 'file' && entry.header.type !== 'hardlink') continue;
    yield* entry.content;
    return;
  }
}

/** 422 for a path that is not a regular file. */
export function notAFile(p: string, type: FileType): InvalidError {
  return new InvalidError(
    type === 'directory'
      ? `'${p}' is a directory: list it with GET …/files?path=${p}, or download it as a tar with GET …/files/archive?path=${p}.`
      : `'${p}' is not a regular file (${type}); only regular files can be read.`,
    [{ path: 'path', message: `is a ${type}, not a regular file` }],
    'UNPROCESSABLE',
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** True when the bytes look like text: no NUL byte and valid UTF-8 (a cut last character is fine). */
export function isText(buf: Buffer): boolean {
  if (buf.includes(0)) return false;
  try {
    utf8.decode(buf);
    return true;
  } catch {
    // A multi-byte character cut at the end of a bounded read is still text.
    for (let cut = 1; cut <= 3 && cut < buf.length; cut += 1) {
      try {
        utf8.decode(buf.subarray(0, buf.length - cut));
        return true;
      } catch {
        // try a shorter prefix
      }
    }
    return false;
  }
}

function binary(p: string): BerthError {
  return new InvalidError(
    `'${p}' is a binary file (it holds NUL bytes or is not UTF-8 text): download it with ?download=true instead.`,
    [{ path: 'path', message: 'is a binary file' }],
    'UNPROCESSABLE',
  );
}

/** The whole text of a file of at most fileLimits.viewBytes. */
export async function viewFile(archive: Archive, ref: string, p: string, size: number): Promise<string> {
  if (size > fileLimits.viewBytes)
    throw new InvalidError(
      `'${p}' is ${size} bytes, more than the ${fileLimits.viewBytes} bytes shown as text: read its end with ?tail=200, follow it with ?follow=true, or download it with ?download=true.`,
      [{ path: 'path', message: `is larger than ${fileLimits.viewBytes} bytes` }],
      'UNPROCESSABLE',
    );
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of fileContent(archive, ref, p)) {
    chunks.push(chunk);
    length += chunk.length;
    if (length > fileLimits.viewBytes) break;
  }
  const all = Buffer.concat(chunks).subarray(0, fileLimits.viewBytes);
  if (!isText(all)) throw binary(p);
  return all.toString('utf8');
}

/** Splits a byte stream into lines; keeps the unfinished last line for the next bytes. */
export class LineSplitter {
  private rest = Buffer.alloc(0);

  /** The complete lines in `chunk` (without their "\n"; a "\r" before it is dropped too). */
  push(chunk: Buffer): string[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const lines: string[] = [];
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      lines.push(this.text(buf.subarray(start, nl)));
      start = nl + 1;
    }
    this.rest = Buffer.from(buf.subarray(start));
    // A line longer than the limit is cut so memory stays bounded; the rest is dropped.
    if (this.rest.length > fileLimits.lineBytes) this.rest = this.rest.subarray(0, fileLimits.lineBytes);
    return lines;
  }

  /** The unfinished line, if any, and forget it. */
  flush(): string[] {
    const out = this.rest.length ? [this.text(this.rest)] : [];
    this.rest = Buffer.alloc(0);
    return out;
  }

  reset(): void {
    this.rest = Buffer.alloc(0);
  }

  private text(b: Buffer): string {
    const cut = b.length > fileLimits.lineBytes ? b.subarray(0, fileLimits.lineBytes) : b;
    const s = cut.toString('utf8');
    return s.endsWith('\r') ? s.slice(0, -1) : s;
  }
}

/** The last `n` lines of a text file, read as it streams. */
export async function tailFile(
  archive: Archive,
  ref: string,
  p: string,
  n: number,
): Promise<{ lines: string[]; bytes: number; head: Buffer }> {
  const split = new LineSplitter();
  const lines: string[] = [];
  let bytes = 0;
  let head = Buffer.alloc(0);
  let checked = false;
  for await (const chunk of fileContent(archive, ref, p)) {
    if (head.length < headBytes) head = Buffer.concat([head, chunk.subarray(0, headBytes - head.length)]);
    if (!checked) {
      if (!isText(chunk.subarray(0, 8192))) throw binary(p);
      checked = true;
    }
    bytes += chunk.length;
    for (const line of split.push(chunk)) {
      lines.push(line);
      if (lines.length > 2 * n) lines.splice(0, lines.length - n);
    }
  }
  lines.push(...split.flush());
  return { lines: lines.slice(-n), bytes, head };
}

/** Bytes at the start of a file remembered to notice that it was replaced (rotation). */
export const headBytes = 1024;

export function headHash(head: Buffer): string {
  return createHash('sha256').update(head).digest('hex');
}

/** A 404 of the engine: the path (or the container) is gone. */
export function engineNotFound(err: unknown): boolean {
  return err instanceof BerthError && (err.status === 404 || err.details?.status === 404);
}

/** What a FileTail remembers between polls (the collector keeps it on disk). */
export interface TailState {
  /** Bytes already consumed. */
  offset: number;
  /** The first bytes of the file as last read, base64. */
  head: string;
  size: number;
  mtime: string;
}

/** What one poll saw besides new bytes. */
export type TailEvent = 'rotated' | 'missing' | 'back';

/**
 * Follows a file that an app appends to. Each `poll()` stats the file (one HEAD request); when
 * its size or time changed it reads the file from the start (the archive API has no ranges),
 * skips what was already consumed and hands the new bytes to `sink` as they stream. The file
 * counts as rotated (reading starts again at 0) when it shrank or its first bytes changed.
 */
export class FileTail {
  private missing = false;
  private state: TailState;

  constructor(
    private readonly archive: Archive,
    private readonly ref: string,
    private readonly path: string,
    state?: Partial<TailState>,
  ) {
    this.state = { offset: 0, head: '', size: -1, mtime: '', ...state };
  }

  get current(): TailState {
    return { ...this.state };
  }

  async poll(
    sink: (bytes: Buffer) => void | Promise<void>,
    signal?: AbortSignal,
    onRotated?: () => void | Promise<void>,
  ): Promise<TailEvent[]> {
    const stat = await this.archive.statPath(this.ref, this.path);
    if (!stat) {
      if (this.missing) return [];
      this.missing = true;
      return ['missing'];
    }
    const events: TailEvent[] = [];
    if (this.missing) {
      this.missing = false;
      events.push('back');
    }
    if (stat.size === this.state.size && stat.mtime === this.state.mtime) return events;
    const known = Buffer.from(this.state.head, 'base64');
    let offset = this.state.offset;
    let rotated = stat.size < offset;
    if (rotated) {
      offset = 0;
      events.push('rotated');
      await onRotated?.();
    }
    // The bytes already consumed must still be the file's start; otherwise it was replaced.
    const compare = Math.min(known.length, offset);
    let checked = rotated || compare === 0;
    let seen = 0;
    let head = Buffer.alloc(0);
    try {
      for await (const chunk of fileContent(this.archive, this.ref, this.path, signal)) {
        const before = head.length;
        if (head.length < headBytes) head = Buffer.concat([head, chunk.subarray(0, headBytes - head.length)]);
        if (!checked && head.length >= compare) {
          checked = true;
          if (!head.subarray(0, compare).equals(known.subarray(0, compare))) {
            rotated = true;
            offset = 0;
            events.push('rotated');
            await onRotated?.();
            // Everything before this chunk is in `head` (it was shorter than `compare`).
            if (before > 0) await sink(head.subarray(0, before));
          }
        }
        const start = seen;
        seen += chunk.length;
        if (seen <= offset) continue;
        await sink(start >= offset ? chunk : chunk.subarray(offset - start));
      }
    } catch (err) {
      if (!engineNotFound(err)) throw err;
      this.missing = true;
      return [...events, 'missing'];
    }
    if (!rotated && seen < offset) {
      // It shrank between the stat and the read: start again at the next poll.
      this.state = { offset: 0, head: '', size: -1, mtime: '' };
      await onRotated?.();
      return [...events, 'rotated'];
    }
    this.state = { offset: seen, head: head.toString('base64'), size: stat.size, mtime: stat.mtime };
    return events;
  }
}

/** One step of a follow: what changed since the last read. */
export type FollowEvent = { kind: 'lines'; lines: string[] } | { kind: TailEvent };

/** A FileTail cut into lines (the follow of the files API). */
export class FileFollower {
  private split = new LineSplitter();
  private tail: FileTail;

  constructor(archive: Archive, ref: string, path: string, offset: number, head: Buffer) {
    this.tail = new FileTail(archive, ref, path, { offset, head: head.toString('base64') });
  }

  async poll(signal?: AbortSignal): Promise<FollowEvent[]> {
    const lines: string[] = [];
    const events = await this.tail.poll(
      (bytes) => {
        lines.push(...this.split.push(bytes));
      },
      signal,
      // An unfinished last line of the old file goes with it.
      () => this.split.reset(),
    );
    // A rotation is noticed before any byte of the new file is read: its event comes first.
    const out: FollowEvent[] = events.map((kind) => ({ kind }));
    if (lines.length) out.push({ kind: 'lines', lines });
    return out;
  }
}

/** Every regular file under `dir` (the whole tree), as absolute paths; at most `max`. */
export async function walkFiles(
  archive: Archive,
  ref: string,
  dir: string,
  max: number,
  signal?: AbortSignal,
): Promise<string[]> {
  const out: string[] = [];
  for await (const { rel, header } of treeEntries(archive, ref, dir, signal)) {
    if (header.type !== 'file') continue;
    out.push(dir === '/' ? `/${rel}` : `${dir}/${rel}`);
    if (out.length >= max) break;
  }
  return out;
}

/** A glob of spec.logFiles as a regular expression over whole paths, and its directory without wildcards. */
export function compileGlob(glob: string): { base: string; regex: RegExp; literal: boolean } {
  const segments = normalisePath(glob).split('/').slice(1);
  const first = segments.findIndex((s) => /[*?]/.test(s));
  if (first === -1)
    return { base: normalisePath(glob), regex: new RegExp(`^${escape(glob)}$`), literal: true };
  const base = `/${segments.slice(0, first).join('/')}`;
  let re = '';
  segments.forEach((seg, i) => {
    if (seg === '**') {
      re += i === segments.length - 1 ? '/.*' : '(?:/[^/]+)*';
      return;
    }
    re += `/${seg
      .replace(/[.+^${}()|\\\]]/g, '\\$&')
      .replace(/\[/g, '\\[')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}`;
  });
  return { base, regex: new RegExp(`^${re}$`), literal: false };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
