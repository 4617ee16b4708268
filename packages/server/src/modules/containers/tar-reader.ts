/**
 * A small streaming tar reader (ustar, pax and GNU long names) for the archives Podman sends
 * (docs/file-logs.md): entries come one at a time and their content is read, or skipped, as it
 * streams; nothing buffers more than one 512-byte header (plus pax records).
 */

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarHeader {
  /** Path inside the archive, without a leading "./" or a trailing "/". */
  name: string;
  type: TarEntryType;
  size: number;
  /** Permission bits (07777). */
  mode: number;
  mtime: Date;
  linkName: string;
}

export interface TarEntry {
  header: TarHeader;
  /** The content; whatever the consumer leaves unread is skipped before the next entry. */
  content: AsyncIterable<Buffer>;
}

/** Pulls exact byte counts out of a chunked stream. */
class ByteReader {
  private buffered: Buffer[] = [];
  private length = 0;
  private done = false;
  private readonly it: AsyncIterator<Buffer | string>;

  constructor(source: AsyncIterable<Buffer | string>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.length < n && !this.done) {
      const next = await this.it.next();
      if (next.done) this.done = true;
      else {
        const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
        this.buffered.push(chunk);
        this.length += chunk.length;
      }
    }
    return this.length >= n;
  }

  private take(n: number): Buffer {
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    this.buffered = all.length > n ? [all.subarray(n)] : [];
    this.length = all.length - n;
    return all.subarray(0, n);
  }

  /** Exactly `n` bytes, or null when the stream ends first. */
  async read(n: number): Promise<Buffer | null> {
    return (await this.fill(n)) ? this.take(n) : null;
  }

  /** Up to `n` bytes as they arrive (at most one source chunk at a time). */
  async chunk(n: number): Promise<Buffer | null> {
    if (this.length === 0 && !(await this.fill(1))) return null;
    return this.take(Math.min(n, this.length));
  }

  async return(): Promise<void> {
    await this.it.return?.();
  }
}

function text(buf: Buffer, start: number, length: number): string {
  const raw = buf.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
}

function octal(buf: Buffer, start: number, length: number): number {
  // Base-256 (GNU) for values that do not fit in octal digits.
  if (buf[start]! & 0x80) {
    let value = buf[start]! & 0x7f;
    for (let i = start + 1; i < start + length; i += 1) value = value * 256 + buf[i]!;
    return value;
  }
  const digits = text(buf, start, length).trim();
  return digits ? parseInt(digits, 8) : 0;
}

function typeOf(flag: string): TarEntryType {
  if (flag === '0' || flag === '' || flag === '7') return 'file';
  if (flag === '5') return 'directory';
  if (flag === '2') return 'symlink';
  if (flag === '1') return 'hardlink';
  return 'other';
}

/** pax extended header records: "LEN key=value\n". */
function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const len = parseInt(data.subarray(at, space).toString('ascii'), 10);
    if (!len) break;
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}

function cleanName(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/** Largest pax or GNU long-name record accepted (a guard against a hostile stream). */
const maxMetaBytes = 1 << 20;

/** Yields the entries of a tar stream in order. Stop early with `break`: the source is released. */
export async function* readTar(source: AsyncIterable<Buffer | string>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source);
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const block = await r.read(512);
      if (!block || block.every((b) => b === 0)) return;
      const flag = text(block, 156, 1);
      const size = octal(block, 124, 12);
      const padded = Math.ceil(size / 512) * 512;
      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (size > maxMetaBytes) throw new Error(`tar: a ${flag} header of ${size} bytes is too large`);
        const data = await r.read(padded);
        if (!data) throw new Error('tar: the stream ended inside a header');
        const body = data.subarray(0, size);
        if (flag === 'x') pax = { ...pax, ...paxRecords(body) };
        else if (flag === 'L') longName = text(body, 0, body.length);
        else if (flag === 'K') longLink = text(body, 0, body.length);
        continue;
      }
      const prefix = text(block, 345, 155);
      const baseName = text(block, 0, 100);
      const name = pax.path ?? longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
      const realSize = pax.size !== undefined ? Number(pax.size) : size;
      const header: TarHeader = {
        name: cleanName(name),
        type: typeOf(flag),
        size: realSize,
        mode: octal(block, 100, 8) & 0o7777,
        mtime: new Date((pax.mtime !== undefined ? Number(pax.mtime) : octal(block, 136, 12)) * 1000),
        linkName: pax.linkpath ?? longLink ?? text(block, 157, 100),
      };
      pax = {};
      longName = undefined;
      longLink = undefined;
      const dataSize = header.type === 'file' ? realSize : 0;
      let left = dataSize;
      const content = (async function* () {
        while (left > 0) {
          const piece = await r.chunk(left);
          if (!piece) throw new Error('tar: the stream ended inside a file');
          left -= piece.length;
          yield piece;
        }
      })();
      yield { header, content };
      while (left > 0) {
        const piece = await r.chunk(left);
        if (!piece) throw new Error('tar: the stream ended inside a file');
        left -= piece.length;
      }
      const pad = Math.ceil(dataSize / 512) * 512 - dataSize;
      if (pad > 0 && !(await r.read(pad))) return;
    }
  } finally {
    await r.return();
  }
}
