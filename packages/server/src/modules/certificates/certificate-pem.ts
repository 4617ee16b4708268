import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { InvalidError, type FieldError } from '@berth/shared';

/** The facts Berth keeps about an uploaded certificate (the leaf's, plus the normalised chain). */
export interface ParsedCertificate {
  /** The chain re-encoded from the parsed certificates: nothing but CERTIFICATE blocks. */
  chainPem: string;
  /** The private key as PKCS#8 PEM. */
  keyPem: string;
  subject: string;
  issuer: string;
  sans: string[];
  notBefore: string;
  notAfter: string;
  fingerprint: string;
  /** The first 16 hex digits of the leaf's SHA-256: the id in the files' names. */
  fileId: string;
  chainLength: number;
}

const blockRe = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** The DNS names of a leaf: its subjectAltName DNS entries, or its CN when it has none. */
export function dnsNames(x: X509Certificate): string[] {
  const san = x.subjectAltName;
  if (san) {
    const names = san
      .split(/,\s*/)
      .filter((e) => e.startsWith('DNS:'))
      .map((e) => e.slice(4).replace(/^"|"$/g, '').toLowerCase());
    if (names.length > 0) return names;
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/** One line per RDN, as Node gives them, joined with ", " (e.g. `CN=shop.example.com, O=Shop`). */
function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

function parseChain(text: string, errors: FieldError[]): X509Certificate[] {
  const blocks = [...text.matchAll(blockRe)];
  if (blocks.some((b) => b[1]!.includes('PRIVATE KEY'))) {
    errors.push({
      path: 'certificate',
      message: 'contains a private key: put only certificates here and the key in the "key" field',
    });
    return [];
  }
  const certs = blocks.filter((b) => b[1] === 'CERTIFICATE');
  if (certs.length === 0) {
    errors.push({
      path: 'certificate',
      message: 'is not a PEM certificate: expected -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----',
    });
    return [];
  }
  const out: X509Certificate[] = [];
  for (const [i, b] of certs.entries()) {
    try {
      out.push(new X509Certificate(b[0]));
    } catch {
      errors.push({
        path: 'certificate',
        message: `certificate ${i + 1} of the chain does not parse (damaged base64 or not X.509)`,
      });
      return [];
    }
  }
  return out;
}

function parseKey(text: string, errors: FieldError[]): KeyObject | null {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
    errors.push({
      path: 'key',
      message:
        'is encrypted with a passphrase; upload it unencrypted (openssl pkey -in key.pem -out plain.pem)',
    });
    return null;
  }
  if (!/-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/.test(text)) {
    errors.push({
      path: 'key',
      message: 'is not a PEM private key: expected -----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----',
    });
    return null;
  }
  try {
    const key = createPrivateKey({ key: text, format: 'pem' });
    const weak = weakness(key);
    if (weak) {
      errors.push({ path: 'key', message: weak });
      return null;
    }
    return key;
  } catch {
    errors.push({
      path: 'key',
      message: 'does not parse as a private key (damaged base64 or unsupported type)',
    });
    return null;
  }
}

/** Curves Nginx (OpenSSL) serves and clients accept for TLS certificates. */
const tlsCurves = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/** Why a key is too weak or of a kind TLS cannot use, or null (RSA ≥ 2048 bits, EC P-256/384/521). */
function weakness(key: KeyObject): string | null {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = details.modulusLength ?? 0;
    return bits < 2048
      ? `is an RSA key of ${bits} bits, too weak to protect traffic; issue the certificate with a key of 2048 bits or more`
      : null;
  }
  if (type === 'ec')
    return tlsCurves.has(details.namedCurve ?? '')
      ? null
      : `uses the curve ${details.namedCurve ?? 'unknown'}; use P-256, P-384 or P-521`;
  return `is a ${type ?? 'unknown'} key; TLS certificates here need an RSA (2048 bits or more) or EC (P-256, P-384, P-521) key`;
}

/**
 * Validates an upload with Node's X.509 and key parsers: the chain parses, the key parses and
 * matches the leaf (the chain's first certificate), the leaf has not expired. Throws a 400 with
 * field errors (`certificate`, `key`) that never quote the key.
 */
export function parseCertificateUpload(
  certificate: string,
  key: string,
  now = new Date(),
): ParsedCertificate {
  const errors: FieldError[] = [];
  const chain = parseChain(certificate, errors);
  const keyObject = parseKey(key, errors);
  const leaf = chain[0];
  if (leaf) {
    const notAfter = new Date(leaf.validTo);
    if (notAfter.getTime() <= now.getTime())
      errors.push({
        path: 'certificate',
        message: `expired on ${notAfter.toISOString()}; upload a renewed certificate`,
      });
    if (keyObject && keyObject.type === 'private' && !leaf.checkPrivateKey(keyObject))
      errors.push({
        path: 'key',
        message:
          'does not match the certificate: it is not the private key of the first certificate of the chain',
      });
  }
  if (errors.length > 0 || !leaf || !keyObject) {
    const first = errors[0];
    throw new InvalidError(
      `The certificate upload is not valid.${first ? ` ${first.path}: ${first.message}` : ''}`,
      errors,
    );
  }
  const fingerprint = leaf.fingerprint256;
  return {
    chainPem: chain.map((c) => c.toString().trim()).join('\n') + '\n',
    keyPem: keyObject.export({ type: 'pkcs8', format: 'pem' }).toString(),
    subject: oneLine(leaf.subject),
    issuer: oneLine(leaf.issuer),
    sans: dnsNames(leaf),
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
    fingerprint,
    fileId: fileIdOf(fingerprint),
    chainLength: chain.length,
  };
}

/** The id of a certificate's files: the first 16 hex digits of its SHA-256 fingerprint. */
export function fileIdOf(fingerprint: string): string {
  return fingerprint.replace(/:/g, '').toLowerCase().slice(0, 16);
}
