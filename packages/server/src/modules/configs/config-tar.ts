/**
 * The layout of a config volume and the small ustar writer/reader it needs.
 *
 * A volume holds each version it was filled with in `..v<N>/`, a symbolic link `..data` → the
 * version it serves, and for each top-level name of the files a link `name` → `..data/name`
 * (Kubernetes' ConfigMap layout). `..data` is the last entry of the archive: a volume whose
 * `..data` names the version is complete, and a refresh in place swaps one link.
 */

export interface TarItem {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  content?: string;
  linkTarget?: string;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(item: TarItem, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(512, 0);
  let name = item.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    // ustar: prefix (155) + "/" + name (100); split at the first "/" that leaves a short name
    let at = name.indexOf('/');
    while (at !== -1 && Buffer.byteLength(name.slice(at + 1)) > 100) at = name.indexOf('/', at + 1);
    if (at === -1) throw new Error(`path too long for a tar header: ${name}`);
    prefix = name.slice(0, at);
    name = name.slice(at + 1);
  }
  h.write(name, 0, 100, 'utf8');
  h.write(octal(item.type === 'dir' ? 0o755 : item.type === 'symlink' ? 0o777 : 0o644, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii');
  h.write(octal(0, 8), 116, 8, 'ascii');
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(mtime, 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write(item.type === 'dir' ? '5' : item.type === 'symlink' ? '2' : '0', 156, 1, 'ascii');
  if (item.linkTarget) h.write(item.linkTarget, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 8, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return h;
}

/** A ustar archive of the items, in order. */
export function writeTar(items: TarItem[]): Buffer {
  const mtime = Math.floor(Date.now() / 1000);
  const parts: Buffer[] = [];
  for (const item of items) {
    const body = item.type === 'file' ? Buffer.from(item.content ?? '', 'utf8') : Buffer.alloc(0);
    parts.push(header(item, body.length, mtime), body);
    const pad = (512 - (body.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}

function cString(buf: Buffer, start: number, length: number): string {
  const raw = buf.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
}

/** The names and link targets of a tar archive's entries (pax/GNU long names not needed here). */
export function tarEntries(tar: Buffer): { name: string; type: string; linkTarget: string }[] {
  const out: { name: string; type: string; linkTarget: string }[] = [];
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const h = tar.subarray(offset, offset + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(cString(h, 124, 12).trim() || '0', 8);
    const prefix = cString(h, 345, 155);
    const name = cString(h, 0, 100);
    out.push({
      name: prefix ? `${prefix}/${name}` : name,
      type: cString(h, 156, 1) || '0',
      linkTarget: cString(h, 157, 100),
    });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** The archive that puts version `version` of `files` into a config volume and points `..data` at it. */
export function configArchive(files: Record<string, string>, version: number): Buffer {
  const dir = `..v${version}`;
  const items: TarItem[] = [{ name: `${dir}/`, type: 'dir' }];
  const dirs = new Set<string>();
  const tops = new Set<string>();
  for (const path of Object.keys(files).sort()) {
    const parts = path.split('/');
    tops.add(parts[0]!);
    for (let i = 1; i < parts.length; i += 1) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        items.push({ name: `${dir}/${d}/`, type: 'dir' });
      }
    }
    items.push({ name: `${dir}/${path}`, type: 'file', content: files[path] });
  }
  for (const top of [...tops].sort()) items.push({ name: top, type: 'symlink', linkTarget: `..data/${top}` });
  items.push({ name: '..data', type: 'symlink', linkTarget: dir });
  return writeTar(items);
}

/** The version a volume's export serves (`..data` → `..v<N>`), or null when it has none. */
export function servedVersion(tar: Buffer): number | null {
  for (const e of tarEntries(tar)) {
    const name = e.name.replace(/^(\.\/)+/, '').replace(/\/$/, '');
    if ((name === '..data' || name.endsWith('/..data')) && name.split('/').length <= 2 && e.type === '2') {
      const m = /^\.\.v(\d+)$/.exec(e.linkTarget);
      if (m) return Number(m[1]);
    }
  }
  return null;
}
