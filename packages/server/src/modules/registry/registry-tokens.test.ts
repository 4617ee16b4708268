import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RegistryTokens, parseScope, tokenKeyPaths } from './registry-tokens';

function withTokens(fn: (t: RegistryTokens, dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-tokens-'));
  try {
    fn(new RegistryTokens(dir, '127.0.0.1:5000'), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pushWeb = [{ type: 'repository', name: 'web/hello', actions: ['pull', 'push'] }];

test('the signing key is generated once, private, and tokens carry the certificate and the claims', () => {
  withTokens((t, dir) => {
    const { key, cert } = tokenKeyPaths(dir);
    assert.equal(statSync(key).mode & 0o077, 0, 'the key is readable by its owner only');
    const again = new RegistryTokens(dir, '127.0.0.1:5000');
    const [h, p] = again.registryToken('alice', pushWeb).token.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString()) as { alg: string; x5c: string[] };
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(header.alg, 'ES256');
    assert.ok(statSync(cert).size > 0 && header.x5c[0]!.length > 100);
    assert.equal(claims.aud, '127.0.0.1:5000');
    assert.equal(claims.iss, 'berth');
    assert.deepEqual(claims.access, pushWeb);
  });
});

test('a credential opens only as minted: tampered, expired or a registry token are refused', () => {
  withTokens((t) => {
    const c = t.credential('build:web/hello', pushWeb, 600);
    assert.equal(c.username, 'berth-credential');
    assert.deepEqual(t.openCredential(c.password), { subject: 'build:web/hello', access: pushWeb });
    const [h, p, s] = c.password.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const widened = Buffer.from(
      JSON.stringify({ ...claims, access: [{ type: 'repository', name: 'other/app', actions: ['push'] }] }),
    ).toString('base64url');
    assert.equal(t.openCredential(`${h}.${widened}.${s}`), null, 'a changed payload fails the signature');
    assert.equal(t.openCredential(t.credential('x', pushWeb, -1).password), null, 'expired');
    assert.equal(t.openCredential(t.registryToken('alice', pushWeb).token), null, 'not a credential');
    assert.equal(t.openCredential('berth_not-a-jwt'), null);
    withTokens((other) => {
      assert.equal(other.openCredential(c.password), null, 'another key did not sign it');
    });
  });
});

test('scopes parse with ports and slashes in names', () => {
  assert.deepEqual(parseScope('repository:web/hello:pull,push'), {
    type: 'repository',
    name: 'web/hello',
    actions: ['pull', 'push'],
  });
  assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  assert.equal(parseScope('nonsense'), null);
});
