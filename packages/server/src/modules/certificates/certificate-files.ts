import { chmod, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dnsLabelPattern, type GatewayAgentCertificate } from '@berth/shared';
import type { SecretBox } from '../../crypto/secret-box';
import type {
  CertificateFacts,
  CertificateFileRef,
  CertificateRef,
  CertificateStore,
} from '../gateways/route-certificates';
import { fileIdOf } from './certificate-pem';
import type { CertificateRow, CertificatesRepository } from './certificates.repository';

/** `<dir>/<project>/<name>.<id>.<ext>`; every part is a checked DNS label or hex id. */
export function certificateFile(dir: string, f: CertificateFileRef, ext: 'crt' | 'key'): string {
  if (!dnsLabelPattern.test(f.project) || !dnsLabelPattern.test(f.name) || !/^[0-9a-f]{16}$/.test(f.id))
    throw new Error(`not a certificate file reference: ${f.project}/${f.name}`);
  return path.join(dir, f.project, `${f.name}.${f.id}.${ext}`);
}

async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  if ((await readFile(file, 'utf8').catch(() => null)) === text) return;
  const tmp = `${file}.next`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

/**
 * The gateways' view of the store: lookups, the files local Nginx nodes read (keys 0600, written
 * next to their target and renamed), and the bundles agent nodes get. Files are named by the
 * leaf's fingerprint, so a renewal writes new files and the files a running Nginx uses never
 * change under it.
 */
export class CertificateFiles implements CertificateStore {
  constructor(
    private readonly repo: CertificatesRepository,
    private readonly secrets: SecretBox,
    readonly isPlatformAdmin: (user: string) => Promise<boolean>,
  ) {}

  private async rows(refs: CertificateRef[]): Promise<Map<string, CertificateRow>> {
    const wanted = new Set(refs.map((r) => `${r.project}/${r.name}`));
    const rows = await this.repo.ofProjects([...new Set(refs.map((r) => r.project))]);
    return new Map(
      rows.filter((r) => wanted.has(`${r.project}/${r.name}`)).map((r) => [`${r.project}/${r.name}`, r]),
    );
  }

  async lookup(refs: CertificateRef[]): Promise<Map<string, CertificateFacts>> {
    const out = new Map<string, CertificateFacts>();
    for (const [k, r] of await this.rows(refs))
      out.set(k, { fileId: fileIdOf(r.fingerprint), sans: JSON.parse(r.sans) as string[] });
    return out;
  }

  async materialize(dir: string, refs: CertificateRef[]): Promise<void> {
    for (const r of (await this.rows(refs)).values()) {
      const f = { project: r.project, name: r.name, id: fileIdOf(r.fingerprint) };
      await mkdir(path.join(dir, r.project), { recursive: true, mode: 0o700 });
      await writeAtomic(certificateFile(dir, f, 'crt'), r.certificate, 0o644);
      await writeAtomic(certificateFile(dir, f, 'key'), this.secrets.open(r.key_sealed), 0o600);
    }
  }

  /** The store's current certificate when its id matches; else the files on disk (a renewed one). */
  async bundle(dir: string, files: CertificateFileRef[]): Promise<GatewayAgentCertificate[]> {
    const rows = await this.rows(files);
    const out: GatewayAgentCertificate[] = [];
    for (const f of files) {
      const row = rows.get(`${f.project}/${f.name}`);
      if (row && fileIdOf(row.fingerprint) === f.id) {
        out.push({ ...f, certificate: row.certificate, key: this.secrets.open(row.key_sealed) });
        continue;
      }
      const [certificate, key] = await Promise.all(
        (['crt', 'key'] as const).map((ext) =>
          readFile(certificateFile(dir, f, ext), 'utf8').catch(() => null),
        ),
      );
      if (certificate && key) out.push({ ...f, certificate, key });
    }
    return out;
  }

  /** Removes every file of a deleted certificate. */
  async forget(dir: string, project: string, name: string): Promise<void> {
    const pdir = path.join(dir, project);
    const names = await readdir(pdir).catch(() => [] as string[]);
    const re = new RegExp(`^${name}\\.[0-9a-f]{16}\\.(crt|key)(\\.next)?$`);
    for (const n of names) if (re.test(n)) await rm(path.join(pdir, n), { force: true });
  }
}
