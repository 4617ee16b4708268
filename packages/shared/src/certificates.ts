import { z } from 'zod';
import { nameSchema } from './names';

/*
 * The per-project certificate store: PEM certificate chains and their private keys, uploaded by a
 * project's developers and named by routes of that project (`tls: {certificate: NAME}`). Keys are
 * write-only: no response carries one.
 */

/** A PEM certificate chain, leaf first. */
export const certificatePemSchema = z
  .string()
  .min(1, 'must not be empty: paste the PEM certificate chain (-----BEGIN CERTIFICATE-----)')
  .max(65536, 'must be at most 64 KiB');

/** A PEM private key (unencrypted). */
export const privateKeyPemSchema = z
  .string()
  .min(1, 'must not be empty: paste the PEM private key (-----BEGIN PRIVATE KEY-----)')
  .max(16384, 'must be at most 16 KiB');

export const createCertificateRequestSchema = z
  .object({ name: nameSchema, certificate: certificatePemSchema, key: privateKeyPemSchema })
  .strict();
export type CreateCertificateRequest = z.output<typeof createCertificateRequestSchema>;

/** PUT: replaces the certificate and key (a renewal); `version` guards against lost updates. */
export const replaceCertificateRequestSchema = z
  .object({
    version: z.number().int().min(1).optional(),
    certificate: certificatePemSchema,
    key: privateKeyPemSchema,
  })
  .strict();
export type ReplaceCertificateRequest = z.output<typeof replaceCertificateRequestSchema>;

/** A route that uses a certificate; `covered` says whether the certificate's names cover its host. */
export interface CertificateUse {
  env: string;
  route: string;
  host: string;
  covered: boolean;
}

/** A stored certificate as the API returns it (never the key). */
export interface Certificate {
  project: string;
  name: string;
  /** The leaf's subject, e.g. `CN=shop.example.com`. */
  subject: string;
  issuer: string;
  /** The DNS names (subjectAltName) of the leaf; its CN when it has none. */
  sans: string[];
  notBefore: string;
  notAfter: string;
  /** SHA-256 fingerprint of the leaf, colon-separated hex. */
  fingerprint: string;
  /** Certificates in the chain, the leaf included. */
  chainLength: number;
  usedBy: CertificateUse[];
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
  version: number;
}

/** What a certificate renewal re-applied: one entry per gateway whose routes use it. */
export interface CertificateApply {
  gateway: string;
  version: number | null;
  error: string | null;
}

/**
 * Whether a certificate name (a SAN DNS name, possibly `*.zone`) covers a host: exact match, or a
 * wildcard standing for exactly one leftmost label (RFC 6125).
 */
export function nameCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (p === h) return true;
  if (!p.startsWith('*.')) return false;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

export function hostCovered(host: string, sans: readonly string[]): boolean {
  return sans.some((s) => nameCovers(s, host));
}
