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
