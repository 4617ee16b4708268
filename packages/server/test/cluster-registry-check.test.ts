/**
 * How the registry check reads Podman's answers to an image search (issue 11). The cases the real
 * test (cluster-registry-check.it.test.ts, c20) cannot produce cheaply — the token server not
 * reached from the cluster, a name that does not resolve, a registry answering the search, an
 * engine that does not answer — are replayed here as Podman 4.3.1 gave them (docs/runtime-notes.md)
 * by a libpod stand-in on a unix socket; the request Berth sends is checked too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LibpodClient } from '@berth/engine-podman';
import { checkRegistryReach, isLoopbackHost } from '../src/modules/clusters/cluster-registry-check';

/** libpod's 500 body around one error chain. */
const failure = (message: string, cause: string) =>
  JSON.stringify({ cause, message: `1 error occurred:\n\t* ${message}\n\n`, response: 500 });

const answers: Record<string, { status: number; body: string; delayMs?: number }> = {
  'open.example.net:5000': { status: 200, body: '[]' },
  'token.example.net:5000': {
    status: 500,
    body: failure(
      'couldn\'t search registry "token.example.net:5000": unable to retrieve auth token: invalid username/password: errors:\ndenied: requested access to the resource is denied\nunauthorized: authentication required\n',
      'unable to retrieve auth token: invalid username/password',
    ),
  },
  '127.0.0.1:5999': {
    status: 500,
    body: failure(
      'couldn\'t search registry "127.0.0.1:5999": pinging container registry 127.0.0.1:5999: Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused',
      'connection refused',
    ),
  },
  'registry.dc9.example.net:5000': {
    status: 500,
    body: failure(
      'couldn\'t search registry "registry.dc9.example.net:5000": pinging container registry registry.dc9.example.net:5000: Get "https://registry.dc9.example.net:5000/v2/": dial tcp: lookup registry.dc9.example.net on 10.0.0.53:53: no such host',
      'no such host',
    ),
  },
  'realm.example.net:5000': {
    status: 500,
    body: failure(
      'couldn\'t search registry "realm.example.net:5000": Get "http://berth.example.net:7080/api/v1/registry/token?service=127.0.0.1%3A5000": dial tcp 10.0.0.7:7080: connect: connection refused',
      'connection refused',
    ),
  },
  'odd.example.net:5000': { status: 500, body: failure('something else went wrong', 'odd') },
  'slow.example.net:5000': { status: 200, body: '[]', delayMs: 3000 },
};

describe('the registry check reads Podman’s search answers', () => {
  let dir: string;
  let server: http.Server;
  let client: LibpodClient;
  const asked: URLSearchParams[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-registry-check-'));
    const socket = path.join(dir, 'podman.sock');
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://podman');
      if (!url.pathname.endsWith('/libpod/images/search')) {
        res.statusCode = 404;
        return res.end();
      }
      asked.push(url.searchParams);
      const registry = (url.searchParams.get('term') ?? '').split('/')[0]!;
      const a = answers[registry] ?? { status: 500, body: failure('unexpected', 'unexpected') };
      setTimeout(() => {
        if (res.destroyed) return;
        res.statusCode = a.status;
        res.setHeader('content-type', 'application/json');
        res.end(a.body);
      }, a.delayMs ?? 0);
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    client = new LibpodClient(socket, 5000);
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for one result of a repository under the address, skipping TLS only for loopback', async () => {
    await checkRegistryReach(client, '127.0.0.1:5999', 2000);
    await checkRegistryReach(client, 'token.example.net:5000', 2000);
    const [loop, far] = asked.slice(-2);
    assert.equal(loop!.get('term'), '127.0.0.1:5999/berth-registry-check');
    assert.equal(loop!.get('limit'), '1');
    assert.equal(loop!.get('tlsVerify'), 'false');
    assert.equal(far!.get('tlsVerify'), null, 'TLS as the host’s registries.conf says');
    assert.equal(isLoopbackHost('localhost:5000'), true);
    assert.equal(isLoopbackHost('127.9.0.1'), true);
    assert.equal(isLoopbackHost('[::1]:5000'), true);
    assert.equal(isLoopbackHost('registry.local:5000'), false);
  });

  it('reachable: a search answered, or credentials asked for', async () => {
    const open = await checkRegistryReach(client, 'open.example.net:5000', 2000);
    assert.equal(open.ok, true);
    const token = await checkRegistryReach(client, 'token.example.net:5000', 2000);
    assert.equal(token.ok, true);
    assert.match(token.message, /asked for credentials/);
  });

  it('not reachable: refused, a name that does not resolve, the token server out of reach', async () => {
    const refused = await checkRegistryReach(client, '127.0.0.1:5999', 2000);
    assert.equal(refused.ok, false);
    assert.match(refused.message, /^Podman on the cluster cannot reach the registry at 127\.0\.0\.1:5999: /);
    assert.match(refused.message, /connect: connection refused\.$/);
    assert.doesNotMatch(refused.message, /error occurred/);
    const unresolved = await checkRegistryReach(client, 'registry.dc9.example.net:5000', 2000);
    assert.equal(unresolved.ok, false);
    assert.match(
      unresolved.message,
      /cannot reach the registry at registry\.dc9\.example\.net:5000: .*no such host/,
    );
    const realm = await checkRegistryReach(client, 'realm.example.net:5000', 2000);
    assert.equal(realm.ok, false);
    assert.match(
      realm.message,
      /reached the registry at realm\.example\.net:5000 but not its token server http:\/\/berth\.example\.net:7080\/api\/v1\/registry\/token \(Berth's API\)/,
    );
    const odd = await checkRegistryReach(client, 'odd.example.net:5000', 2000);
    assert.equal(odd.ok, false);
    assert.match(
      odd.message,
      /could not use the registry at odd\.example\.net:5000: something else went wrong\./,
    );
  });

  it('no answer in time: not reachable, saying how long it waited', async () => {
    const slow = await checkRegistryReach(client, 'slow.example.net:5000', 500);
    assert.equal(slow.ok, false);
    assert.match(slow.message, /gave no answer to a search of slow\.example\.net:5000 within 1 s/);
  });
});
