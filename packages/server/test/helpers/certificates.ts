import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import tls from 'node:tls';

const run = promisify(execFile);

/** A PEM certificate and key made by openssl (argv only), with the leaf's SHA-256 fingerprint. */
export interface TestCert {
  certificate: string;
  key: string;
  fingerprint: string;
}

/**
 * A self-signed EC certificate for `names` (the first is the CN, all are SANs) in dir/file.*;
 * `expired` backdates it (notAfter one day before notBefore's day); `rsaBits` makes an RSA key.
 */
export async function makeCert(
  dir: string,
  file: string,
  names: string[],
  opts: { expired?: boolean; rsaBits?: number } = {},
): Promise<TestCert> {
  const keyFile = path.join(dir, `${file}.key`);
  const certFile = path.join(dir, `${file}.crt`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    ...(opts.rsaBits ? [`rsa:${opts.rsaBits}`] : ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256']),
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${names[0]}`,
    '-addext',
    `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  if (opts.expired)
    await run('openssl', ['x509', '-in', certFile, '-signkey', keyFile, '-days', '-1', '-out', certFile]);
  const certificate = readFileSync(certFile, 'utf8');
  return {
    certificate,
    key: readFileSync(keyFile, 'utf8'),
    fingerprint: new X509Certificate(certificate).fingerprint256,
  };
}

/** The base64 body of a PEM block without line breaks: what a leak of the key would contain. */
export function pemBody(pem: string): string {
  return pem
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('');
}

/** Connects with TLS and SNI to HOST:PORT and returns the SHA-256 fingerprint of the served leaf. */
export function servedFingerprint(listen: string, servername: string): Promise<string> {
  const i = listen.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: listen.slice(0, i),
      port: Number(listen.slice(i + 1)),
      servername,
      rejectUnauthorized: false,
    });
    s.setTimeout(5000, () => s.destroy(new Error(`TLS to ${listen} timed out`)));
    s.once('secureConnect', () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.once('error', reject);
  });
}
