import {
  ConflictError,
  NotFoundError,
  hostCovered,
  type Certificate,
  type CertificateApply,
  type CreateCertificateRequest,
  type ReplaceCertificateRequest,
} from '@berth/shared';
import type { SecretBox } from '../../crypto/secret-box';
import { newId, nowIso } from '../../util';
import { isUniqueViolation } from '../identity/store-errors';
import type { CertificateRouteUse } from '../gateways/route-certificates';
import type { CertificateFiles } from './certificate-files';
import { parseCertificateUpload, type ParsedCertificate } from './certificate-pem';
import type { CertificateRow, CertificatesRepository } from './certificates.repository';

/** What the certificates API needs from the routes (the gateways module implements it). */
export interface CertificateUsage {
  usedBy(project: string, name?: string): Promise<CertificateRouteUse[]>;
  /** Re-applies the gateways whose routes use the certificate (after a renewal). */
  reapply(project: string, name: string, author: string): Promise<CertificateApply[]>;
}

function toCertificate(row: CertificateRow, uses: CertificateRouteUse[]): Certificate {
  const sans = JSON.parse(row.sans) as string[];
  return {
    project: row.project,
    name: row.name,
    subject: row.subject,
    issuer: row.issuer,
    sans,
    notBefore: row.not_before,
    notAfter: row.not_after,
    fingerprint: row.fingerprint,
    chainLength: row.chain_length,
    usedBy: uses
      .filter((u) => u.certificate === row.name)
      .map((u) => ({ env: u.env, route: u.route, host: u.host, covered: hostCovered(u.host, sans) })),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
    updatedBy: row.updated_by,
    version: row.version,
  };
}

const notFound = (project: string, name: string) =>
  new NotFoundError(
    'NOT_FOUND',
    `Certificate '${name}' does not exist in project '${project}'; list them with \`berth certificates list -p ${project}\`.`,
  );

/** The parsed facts of an upload as columns (the key sealed). */
function columns(p: ParsedCertificate, secrets: SecretBox) {
  return {
    certificate: p.chainPem,
    key_sealed: secrets.seal(p.keyPem),
    fingerprint: p.fingerprint,
    subject: p.subject,
    issuer: p.issuer,
    sans: JSON.stringify(p.sans),
    chain_length: p.chainLength,
    not_before: p.notBefore,
    not_after: p.notAfter,
  };
}

/**
 * The per-project certificate store: upload, list, renew, delete. Keys are sealed before they
 * are stored and never leave through the API; a certificate in use by a route cannot be deleted.
 */
export class CertificatesService {
  constructor(
    private readonly repo: CertificatesRepository,
    private readonly secrets: SecretBox,
    private readonly files: CertificateFiles,
    private readonly certDir: string,
    private readonly usage: CertificateUsage,
  ) {}

  async list(project: string, after: string | undefined, limit: number) {
    const rows = await this.repo.list(project, after, limit);
    const uses = await this.usage.usedBy(project);
    return { rows, present: (r: CertificateRow) => toCertificate(r, uses) };
  }

  async get(project: string, name: string): Promise<Certificate> {
    const row = await this.repo.find(project, name);
    if (!row) throw notFound(project, name);
    return toCertificate(row, await this.usage.usedBy(project, name));
  }

  async create(project: string, body: CreateCertificateRequest, author: string): Promise<Certificate> {
    if (!(await this.repo.projectExists(project)))
      throw new NotFoundError('PROJECT_NOT_FOUND', `Project '${project}' does not exist.`);
    const exists = () =>
      new ConflictError(
        `Certificate '${body.name}' already exists in project '${project}'; renew it with PUT (\`berth certificates renew ${body.name}\`).`,
        undefined,
        'ALREADY_EXISTS',
      );
    if (await this.repo.find(project, body.name)) throw exists();
    const parsed = parseCertificateUpload(body.certificate, body.key);
    const now = nowIso();
    const row: CertificateRow = {
      id: newId(),
      project,
      name: body.name,
      ...columns(parsed, this.secrets),
      created_at: now,
      updated_at: now,
      created_by: author,
      updated_by: author,
      version: 1,
    };
    try {
      await this.repo.insert(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw exists();
      throw err;
    }
    return toCertificate(row, []);
  }

  /** A renewal: new chain and key; the gateways whose routes use it apply the new files. */
  async replace(
    project: string,
    name: string,
    body: ReplaceCertificateRequest,
    author: string,
  ): Promise<Certificate & { gateways: CertificateApply[] }> {
    const row = await this.repo.find(project, name);
    if (!row) throw notFound(project, name);
    const stale = () =>
      new ConflictError(
        'The certificate changed since you read it; read it again and retry with its current version.',
        { currentVersion: row.version },
        'VERSION_CONFLICT',
      );
    if (body.version !== undefined && body.version !== row.version) throw stale();
    const parsed = parseCertificateUpload(body.certificate, body.key);
    const next: CertificateRow = {
      ...row,
      ...columns(parsed, this.secrets),
      updated_at: nowIso(),
      updated_by: author,
      version: row.version + 1,
    };
    if (!(await this.repo.replace(next, row.version))) throw stale();
    const gateways = await this.usage.reapply(project, name, author);
    return { ...toCertificate(next, await this.usage.usedBy(project, name)), gateways };
  }

  async remove(project: string, name: string, version: number | undefined): Promise<void> {
    const row = await this.repo.find(project, name);
    if (!row) throw notFound(project, name);
    if (version !== undefined && version !== row.version)
      throw new ConflictError(
        'The certificate changed since you read it; read it again and retry with its current version.',
        { currentVersion: row.version },
        'VERSION_CONFLICT',
      );
    const uses = await this.usage.usedBy(project, name);
    if (uses.length > 0)
      throw new ConflictError(
        `Certificate '${name}' is used by route${uses.length > 1 ? 's' : ''} ${uses.map((u) => `'${u.route}' (env ${u.env})`).join(', ')}; point ${uses.length > 1 ? 'them' : 'it'} at another certificate or remove TLS first.`,
        { usedBy: uses.map((u) => ({ env: u.env, route: u.route, host: u.host })) },
        'CONFLICT',
      );
    await this.repo.delete(row.id);
    await this.files.forget(this.certDir, project, name);
  }
}
