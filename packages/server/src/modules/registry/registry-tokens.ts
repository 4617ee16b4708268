/**
 * Berth is the token server of the embedded registry (distribution's token-auth flow, see
 * docs/registry.md "Authentication and access"). This file holds the signing key and its
 * self-signed certificate (the registry trusts the certificate through `rootcertbundle`), mints
 * the registry's bearer tokens (ES256 JWTs with the certificate in `x5c`, which distribution 2.8
 * verifies against its root bundle), and mints short-lived *credentials* Berth hands to Podman
 * (as X-Registry-Auth) for builds and pulls: a signed ticket, sent as the password of the fixed
 * username below, that the token endpoint turns into a token for the ticket's scopes only.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseImageRef, sameHost } from './image-ref';

/** What a token grants on one resource (`repository` `shop/web` `[pull, push]`). */
export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** The issuer the registry is configured to accept (`auth.token.issuer`). */
export const tokenIssuer = 'berth';
/** Lifetime of the registry's bearer tokens. */
export const registryTokenSeconds = 5 * 60;
/** The username of Berth's own short-lived credentials (any user name is free; this one is fixed). */
export const credentialUsername = 'berth-credential';
const credentialAudience = 'berth:registry-credential';

/** Where the signing key and certificate live: `<dataDir>/registry/auth/`. */
export function tokenKeyPaths(dataDir: string): { dir: string; key: string; cert: string } {
  const dir = path.join(dataDir, 'registry', 'auth');
  return { dir, key: path.join(dir, 'token.key'), cert: path.join(dir, 'token.crt') };
}

/**
 * Generates the P-256 signing key and a self-signed certificate once (argv, never a shell
 * string); later calls find them. Written under temporary names and renamed, so a crash in
 * between never leaves a key without its certificate.
 */
export function ensureTokenKeys(dataDir: string): { key: string; cert: string } {
  const paths = tokenKeyPaths(dataDir);
  if (existsSync(paths.key) && existsSync(paths.cert)) return paths;
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const tmpKey = `${paths.key}.${process.pid}.tmp`;
  const tmpCert = `${paths.cert}.${process.pid}.tmp`;
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        tmpKey,
        '-out',
        tmpCert,
        '-days',
        '3650',
        '-sha256',
        '-subj',
        '/CN=berth registry token signer',
      ],
      { stdio: 'ignore', timeout: 30_000 },
    );
    renameSync(tmpCert, paths.cert);
    renameSync(tmpKey, paths.key);
  } finally {
    rmSync(tmpKey, { force: true });
    rmSync(tmpCert, { force: true });
  }
  return paths;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Signs and checks Berth's registry tokens and credentials with the key of one data dir. */
export class RegistryTokens {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  /** The certificate, DER in standard base64, for the `x5c` header. */
  private readonly certB64: string;

  constructor(
    dataDir: string,
    /** The registry's `auth.token.service` (its host:port); the tokens' audience. */
    readonly service: string,
  ) {
    const paths = ensureTokenKeys(dataDir);
    this.privateKey = createPrivateKey(readFileSync(paths.key));
    this.publicKey = createPublicKey(this.privateKey);
    const pem = readFileSync(paths.cert, 'utf8');
    this.certB64 = pem
      .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
      .replace(/\s+/g, '')
      .trim();
  }

  /** A bearer token for the registry: `access` is exactly what the registry will allow. */
  registryToken(
    subject: string,
    access: AccessEntry[],
  ): { token: string; expiresIn: number; issuedAt: string } {
    const now = Math.floor(Date.now() / 1000);
    const token = this.jwt(
      { alg: 'ES256', typ: 'JWT', x5c: [this.certB64] },
      {
        iss: tokenIssuer,
        sub: subject,
        // distribution 2.8 reads `aud` as one string (later versions accept a string too).
        aud: this.service,
        exp: now + registryTokenSeconds,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(16).toString('hex'),
        access,
      },
    );
    return { token, expiresIn: registryTokenSeconds, issuedAt: new Date(now * 1000).toISOString() };
  }

  /**
   * A short-lived credential for Podman (username `credentialUsername`, this as password): the
   * token endpoint grants at most `access` for it, until it expires.
   */
  credential(
    subject: string,
    access: AccessEntry[],
    ttlSeconds: number,
  ): { username: string; password: string } {
    const now = Math.floor(Date.now() / 1000);
    const password = this.jwt(
      { alg: 'ES256', typ: 'JWT' },
      {
        iss: tokenIssuer,
        sub: subject,
        aud: credentialAudience,
        exp: now + ttlSeconds,
        iat: now,
        jti: randomBytes(12).toString('hex'),
        access,
      },
    );
    return { username: credentialUsername, password };
  }

  /** The subject and scopes of a valid, unexpired credential minted here; null for anything else. */
  openCredential(password: string): { subject: string; access: AccessEntry[] } | null {
    const parts = password.split('.');
    if (parts.length !== 3 || password.length > 8192) return null;
    const [h, p, s] = parts as [string, string, string];
    let ok = false;
    try {
      ok = verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        { key: this.publicKey, dsaEncoding: 'ieee-p1363' },
        Buffer.from(s, 'base64url'),
      );
    } catch {
      return null;
    }
    if (!ok) return null;
    try {
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as {
        aud?: unknown;
        exp?: unknown;
        sub?: unknown;
        access?: unknown;
      };
      if (claims.aud !== credentialAudience || typeof claims.exp !== 'number') return null;
      if (claims.exp < Date.now() / 1000 || typeof claims.sub !== 'string' || !Array.isArray(claims.access))
        return null;
      return { subject: claims.sub, access: claims.access as AccessEntry[] };
    } catch {
      return null;
    }
  }

  private jwt(header: Record<string, unknown>, claims: Record<string, unknown>): string {
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
  }
}

const cache = new Map<string, RegistryTokens>();

/** The token signer of a data dir and service (cached: the key is read once). */
export function registryTokensFor(dataDir: string, service: string): RegistryTokens {
  const key = `${dataDir}\n${service}`;
  let t = cache.get(key);
  if (!t) {
    t = new RegistryTokens(dataDir, service);
    cache.set(key, t);
  }
  return t;
}

/** Parses `repository:shop/web:pull,push` or `registry:catalog:*` (names may hold ':' for ports). */
export function parseScope(scope: string): AccessEntry | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return null;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

/** Convenience for the embedded registry of a config (null when it is off). */
export function tokensOfConfig(config: {
  dataDir: string;
  registryListen: string | null;
}): RegistryTokens | null {
  return config.registryListen ? registryTokensFor(config.dataDir, config.registryListen) : null;
}

/**
 * A two-minute pull credential for an image of the embedded registry (the service controller's
 * pulls), scoped to that one repository; undefined for images elsewhere. Admission already
 * decided that the service may use the image.
 */
export function pullCredentialFor(
  config: { dataDir: string; registryListen: string | null },
  ref: string,
): { username: string; password: string } | undefined {
  const tokens = tokensOfConfig(config);
  const parsed = parseImageRef(ref);
  if (!tokens || !parsed || !config.registryListen || !sameHost(parsed.host, config.registryListen))
    return undefined;
  return tokens.credential(
    'berth-controller',
    [{ type: 'repository', name: parsed.repository, actions: ['pull'] }],
    120,
  );
}
