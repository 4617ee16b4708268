/**
 * What a volume class turns into on the engine (docs/volumes.md, "Classes"): Podman's local
 * driver options. Pure functions, tested without any mount.
 */
import type { VolumeClassKind } from '@berth/shared';

export interface ClassShape {
  kind: VolumeClassKind;
  server: string | null;
  path: string | null;
  mountOptions: string[];
}

export interface VolumePlace {
  project: string;
  env: string;
  name: string;
}

/** The directory of a volume under its class's export: `<path>/<project>/<env>/<name>`. */
export function volumeDirectory(cls: ClassShape, v: VolumePlace): string {
  return `${(cls.path ?? '').replace(/\/+$/, '')}/${v.project}/${v.env}/${v.name}`;
}

/**
 * The local driver's options: `local` asks for a quota with `o=size=<MiB>m` (Podman applies it
 * with an XFS project quota and refuses it elsewhere); `nfs` mounts `device=:<dir>` with
 * `o=addr=<server>,…`; `cephfs` mounts `device=<monitors>:<dir>` as type `ceph`.
 * `dir` absent: the class's export itself (the root Berth makes volume directories in).
 */
export function engineOptions(
  cls: ClassShape,
  opts: { sizeMiB?: number; dir?: string },
): Record<string, string> {
  if (cls.kind === 'local') return opts.sizeMiB ? { o: `size=${opts.sizeMiB}m` } : {};
  const dir = opts.dir ?? cls.path ?? '/';
  if (cls.kind === 'nfs')
    return { type: 'nfs', o: [`addr=${cls.server}`, ...cls.mountOptions].join(','), device: `:${dir}` };
  const out: Record<string, string> = { type: 'ceph', device: `${cls.server}:${dir}` };
  if (cls.mountOptions.length) out.o = cls.mountOptions.join(',');
  return out;
}

/** Podman's answer when the filesystem under its volumes has no project quotas. */
export function isQuotaUnsupported(message: string): boolean {
  return /project quota|quota.*not supported|size.*not supported/i.test(message);
}

/** A tar stream (as a buffer) holding only directory entries, mode 0755, owned by root. */
export function directoriesTar(dirs: string[]): Buffer {
  const blocks: Buffer[] = [];
  const now = Math.floor(Date.now() / 1000);
  for (const d of dirs) {
    const name = d.replace(/^\/+/, '').replace(/\/*$/, '/');
    if (Buffer.byteLength(name) > 100) throw new Error(`directory name too long for a tar header: ${name}`);
    const h = Buffer.alloc(512);
    h.write(name, 0, 'utf8');
    h.write('0000755\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write('00000000000\0', 124);
    h.write(`${now.toString(8).padStart(11, '0')}\0`, 136);
    h.write('        ', 148);
    h.write('5', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h);
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
