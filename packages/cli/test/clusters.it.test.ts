/** `berth clusters …` and `berth envs …` against a real Berth on real Podman. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { platformCli } from './platform-support';
import { makeProject, podmanSocket, waitTask, webSpec } from '../../server/test/helpers/platform';

type Obj = Record<string, unknown>;

describe('berth clusters and berth envs', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-clusters-',
    server: { BERTH_GATEWAY_LISTEN: 'off', BERTH_CLUSTER_SLOW_MS: '20000' },
    setup: 'admin',
  });
  const { dir, berth, json } = cli;

  it('adds a cluster, checks it, filters by label, cordons and drains it', async () => {
    const add = await berth([
      'clusters',
      'add',
      'dc1-a',
      '--endpoint',
      `unix://${podmanSocket}`,
      '--label',
      'dc=dc1',
    ]);
    assert.equal(add.code, 0, add.err);
    assert.match(add.out, /cluster dc1-a added/);

    const check = await berth(['clusters', 'check', 'dc1-a']);
    assert.equal(check.code, 0, check.out + check.err);
    assert.match(check.out, /state:\s+ready/);
    assert.match(check.out, /latency:\s+\d+ ms/);
    assert.match(check.out, /capacity:\s+\d+ cpu/);
    assert.match(check.out, /endpoint:\s+unix:\/\//);
    // the embedded registry (127.0.0.1:5000 here) is not started by this test: not judged, saying so
    assert.match(check.out, /^registry check: (ok|not checked) \(127\.0\.0\.1:5000, \d{4}-/m);

    const list = await berth(['clusters', 'list']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^NAME\s+STATE/m);
    assert.match(list.out, /^local\s/m);
    assert.match(list.out, /^dc1-a\s+ready\s+-\s+\d+ms/m);
    const filtered = await json<{ items: Obj[] }>(['clusters', 'list', '--label', 'dc=dc1']);
    assert.deepEqual(
      filtered.items.map((c) => c.name),
      ['dc1-a'],
    );

    assert.match((await berth(['clusters', 'cordon', 'dc1-a'])).out, /cordoned: no new replicas/);
    assert.match((await berth(['clusters', 'drain', 'dc1-a'])).out, /is draining/);
    const got = await berth(['clusters', 'get', 'dc1-a']);
    assert.match(got.out, /cordoned:\s+yes/);
    assert.match(got.out, /draining:\s+yes/);
    assert.equal((await berth(['clusters', 'uncordon', 'dc1-a'])).code, 0);
    assert.equal((await berth(['clusters', 'undrain', 'dc1-a'])).code, 0);
    const c = await json<Obj>(['clusters', 'get', 'dc1-a']);
    assert.equal(c.cordoned, false);
    assert.equal(c.draining, false);

    const upd = await berth(['clusters', 'update', 'dc1-a', '--label', 'dc-', '--label', 'zone=a']);
    assert.equal(upd.code, 0, upd.err);
    assert.deepEqual((await json<Obj>(['clusters', 'get', 'dc1-a'])).labels, { zone: 'a' });
  });

  it("sets a cluster's publish and registry addresses, shows them, refuses 0.0.0.0 and clears the registry", async () => {
    const add = await berth([
      'clusters',
      'add',
      'dc3',
      '--endpoint',
      `unix://${podmanSocket}`,
      '--publish-address',
      '127.0.0.2',
      '--registry',
      '127.0.0.1:5000',
    ]);
    assert.equal(add.code, 0, add.err);
    const got = await berth(['clusters', 'get', 'dc3']);
    assert.equal(got.code, 0, got.err);
    assert.match(got.out, /^publish:\s+127\.0\.0\.2$/m);
    assert.match(got.out, /^registry:\s+127\.0\.0\.1:5000$/m);
    const stored = await json<Obj>(['clusters', 'get', 'dc3']);
    assert.deepEqual([stored.publishAddress, stored.registry], ['127.0.0.2', '127.0.0.1:5000']);

    // The built-in cluster is on the defaults, and `get` says what they mean.
    const local = await berth(['clusters', 'get', 'local']);
    assert.match(local.out, /^publish:\s+127\.0\.0\.1$/m);
    assert.match(local.out, /^registry:\s+- \(the registry's own address\)$/m);

    const everywhere = await berth(['clusters', 'update', 'dc3', '--publish-address', '0.0.0.0']);
    assert.equal(everywhere.code, 1, everywhere.out);
    assert.match(everywhere.err, /publishAddress: must be one address, not every interface/);
    const named = await berth([
      'clusters',
      'add',
      'dc4',
      '--endpoint',
      `unix://${podmanSocket}`,
      '--registry',
      'https://reg',
    ]);
    assert.equal(named.code, 1, named.out);
    assert.match(named.err, /registry: must be host\[:port\] without a scheme/);
    const both = await berth(['clusters', 'update', 'dc3', '--registry', '127.0.0.1:5001', '--no-registry']);
    assert.equal(both.code, 2);
    assert.match(both.err, /--no-registry cannot be combined with --registry/);
    assert.equal(
      (await json<Obj>(['clusters', 'get', 'dc3'])).publishAddress,
      '127.0.0.2',
      'a refused update changes nothing',
    );

    const upd = await berth(['clusters', 'update', 'dc3', '--publish-address', '127.0.0.3', '--no-registry']);
    assert.equal(upd.code, 0, upd.err);
    const after = await json<Obj>(['clusters', 'get', 'dc3']);
    assert.deepEqual([after.publishAddress, after.registry], ['127.0.0.3', null]);
    assert.match(
      (await berth(['clusters', 'get', 'dc3'])).out,
      /^registry:\s+- \(the registry's own address\)$/m,
    );
    assert.equal((await berth(['clusters', 'remove', 'dc3'])).code, 0);
    const list = await json<{ items: Obj[] }>(['clusters', 'list']);
    assert.equal(
      list.items.find((c) => c.name === 'dc4'),
      undefined,
      'a refused add adds nothing',
    );
  });

  it('reports an unreachable cluster (exit 1) and refuses a bad endpoint with an example', async () => {
    const missing = path.join(dir, 'no-podman.sock');
    assert.equal((await berth(['clusters', 'add', 'ghost', '--endpoint', `unix://${missing}`])).code, 0);
    const check = await berth(['clusters', 'check', 'ghost']);
    assert.equal(check.code, 1);
    assert.match(check.out, /state:\s+unreachable — .*ENOENT/);

    const bad = await berth(['clusters', 'add', 'dc2', '--endpoint', 'http://10.1.2.3:8080']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /endpoint/);
    assert.match(bad.err, /unix:\/\/\/run\/podman\/podman\.sock/);
    const usage = await berth(['clusters', 'add', 'dc2']);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /--endpoint URL is needed/);
    assert.equal((await berth(['clusters', 'remove', 'ghost'])).code, 0);
  });

  it("names an environment's clusters; a named cluster cannot be removed", async () => {
    const set = await berth(['envs', 'set-clusters', 'test', 'local,dc1-a', '--grace', '90']);
    assert.equal(set.code, 0, set.err);
    assert.match(set.out, /environment test runs on local, dc1-a \(failover grace 90s\)/);
    const envs = await berth(['envs', 'list']);
    assert.match(envs.out, /^test\s+local,dc1-a\s+90s/m);
    assert.match(envs.out, /^prod\s+local\s+60s/m);

    const unknown = await berth(['envs', 'set-clusters', 'test', 'local,nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /clusters\[1\]/);

    const refused = await berth(['clusters', 'remove', 'dc1-a']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /in use: environment 'test' names it/);
    assert.equal((await berth(['envs', 'set-clusters', 'test', 'local'])).code, 0);
    const removed = await berth(['clusters', 'remove', 'dc1-a']);
    assert.equal(removed.code, 0, removed.err);
    assert.match(removed.out, /cluster dc1-a removed/);
  });

  it('shows what is placed on a cluster: a running service on local', async () => {
    const base = await makeProject(cli.platform.api, 'shop');
    const created = await cli.platform.api.post<{ task: { id: string } }>(base, {
      name: 'web',
      spec: webSpec('v1', 2),
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal((await waitTask(cli.platform.api, created.body.task.id)).state, 'succeeded');
    const local = await json<{ placed: Obj[] }>(['clusters', 'get', 'local']);
    assert.deepEqual(local.placed, [{ project: 'shop', env: 'test', service: 'web', containers: 2 }]);
    const text = await berth(['clusters', 'get', 'local']);
    assert.match(text.out, /placed:\s+shop\/test\/web ×2/);
    assert.match(text.out, /name:\s+local \(built-in\)/);
  });
});
