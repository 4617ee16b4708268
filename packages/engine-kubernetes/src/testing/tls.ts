/**
 * A self-signed certificate for 127.0.0.1, made with openssl (node:crypto makes keys but no
 * X.509 certificates), once per process: the test API server speaks HTTPS like a real one, and
 * its kubeconfig carries the certificate as `certificate-authority-data`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A key and its certificate, PEM. */
export interface TlsPair {
  key: string;
  cert: string;
}

let cached: Promise<TlsPair> | undefined;

/** The process's certificate for 127.0.0.1 and localhost (made on first use). */
export function localCertificate(): Promise<TlsPair> {
  cached ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-fake-apiserver-'));
    try {
      const key = path.join(dir, 'key.pem');
      const cert = path.join(dir, 'cert.pem');
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=berth-fake-apiserver',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
      ]);
      return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return cached;
}
