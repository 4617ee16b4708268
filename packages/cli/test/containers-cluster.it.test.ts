/**
 * `--cluster NAME` on `berth containers` (and `--history`), `berth events` and `berth logs`, and
 * the CLUSTER column, against a real Berth whose service runs one replica on `local` and one on a
 * second Podman cluster of the test fleet.
 */
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PodmanEngine } from '@berth/engine-podman';
import { platformCli } from './platform-support';
import { startCluster, type FleetCluster } from '../../server/test/helpers/clusters';
import { removeInstanceContainers, waitTask, webSpec } from '../../server/test/helpers/platform';

type Obj = Record<string, unknown>;

/** A cluster of its own (the server's tests use c1…c12). */
const clusterName = 'c13';

describe('berth containers / events / logs --cluster', () => {
  let c: FleetCluster;
  const cli = platformCli({
    dirPrefix: 'berth-cli-xc-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
    prepare: async () => {
      c = await startCluster(clusterName);
    },
  });
  const { berth, json } = cli;
  let remoteName = '';
  let localName = '';

  before(async () => {
    const api = cli.platform.api;
    const r = await api.post('/api/v1/clusters', { name: c.name, kind: 'podman', endpoint: c.endpoint });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const env = await api.call('PATCH', '/api/v1/envs/test', { clusters: ['local', c.name] });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    const spec = webSpec('v1', 2, {
      placement: {
        clusters: [
          { name: 'local', weight: 1 },
          { name: c.name, weight: 1 },
        ],
        division: 'weighted',
      },
    });
    spec.command = [
      'sh',
      '-c',
      'echo "hello from $(hostname)"; mkdir -p /tmp/www && echo v1 > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
    ];
    const created = await api.post<{ task: { id: string } }>('/api/v1/projects/web/envs/test/services', {
      name: 'xc',
      spec,
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const task = await waitTask(api, created.body.task.id);
    assert.equal(task.state, 'succeeded', JSON.stringify(task));
  });

  after(async () => {
    const engine = new PodmanEngine({ socketPath: c.socketPath, cluster: c.name });
    await removeInstanceContainers(engine, cli.platform.instanceId).catch(() => undefined);
  });

  it('shows a CLUSTER column and filters the containers and their history by --cluster', async () => {
    const text = await berth(['containers', 'xc', '-p', 'web']);
    assert.equal(text.code, 0, text.err);
    const lines = text.out.trim().split('\n');
    assert.match(lines[0]!, /\bCLUSTER\b/);
    const col = lines[0]!.indexOf('CLUSTER');
    const clusters = lines.slice(1).map((l) => l.slice(col).split(/\s+/)[0]);
    assert.deepEqual(clusters.sort(), [c.name, 'local'].sort(), text.out);

    const all = await json<{ items: Obj[] }>(['containers', 'xc', '-p', 'web']);
    remoteName = String(all.items.find((x) => x.cluster === c.name)?.name);
    localName = String(all.items.find((x) => x.cluster === 'local')?.name);

    const only = await json<{ items: Obj[] }>(['containers', 'xc', '-p', 'web', '--cluster', c.name]);
    assert.deepEqual(
      only.items.map((x) => x.name),
      [remoteName],
    );
    const history = await json<{ items: Obj[] }>([
      'containers',
      'xc',
      '-p',
      'web',
      '--history',
      '--cluster',
      'local',
    ]);
    assert.ok(history.items.length >= 1);
    assert.ok(history.items.every((x) => x.cluster === 'local'));
    const historyText = await berth(['containers', 'xc', '-p', 'web', '--history', '--cluster', c.name]);
    assert.match(historyText.out, /^NAME\s+STATE\s+RELEASE\s+CLUSTER/m);
    assert.ok(historyText.out.includes(remoteName));
    assert.ok(!historyText.out.includes(localName));
  });

  it('filters events and service logs by --cluster', async () => {
    const events = await json<{ items: Obj[] }>(['events', 'xc', '-p', 'web', '--cluster', c.name]);
    assert.ok(events.items.length > 0);
    assert.ok(events.items.every((e) => e.cluster === c.name && e.container === remoteName));
    const table = await berth(['events', 'xc', '-p', 'web', '--cluster', c.name]);
    assert.match(table.out, /\bCONTAINER\s+CLUSTER\s+SOURCE\s+MESSAGE\b/);
    assert.match(table.out, new RegExp(`${remoteName}\\s+${c.name}\\s`));

    const logs = await berth(['logs', 'xc', '-p', 'web', '--cluster', c.name]);
    assert.equal(logs.code, 0, logs.err);
    assert.match(logs.out, new RegExp(`^\\[${remoteName}\\] hello from `, 'm'));
    assert.ok(!logs.out.includes(`[${localName}]`), logs.out);

    // stats of that cluster's container only, once the sampler has sampled it
    let stats: { items: Obj[] } = { items: [] };
    for (let i = 0; i < 100 && stats.items.length === 0; i++) {
      stats = await json<{ items: Obj[] }>(['stats', 'xc', '-p', 'web', '--cluster', c.name]);
      if (stats.items.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(stats.items.length > 0, 'samples of the second cluster');
    assert.ok(stats.items.every((s) => s.container === remoteName));
  });

  it('refuses an unknown cluster with the registered ones, and a malformed name before asking', async () => {
    for (const args of [
      ['containers', 'xc', '-p', 'web', '--cluster', 'nope'],
      ['events', 'xc', '-p', 'web', '--cluster', 'nope'],
      ['logs', 'xc', '-p', 'web', '--cluster', 'nope'],
    ]) {
      const r = await berth(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.err, /no cluster 'nope' is registered/);
      assert.match(r.err, /local, c13/);
    }
    const bad = await berth(['containers', 'xc', '-p', 'web', '--cluster', 'Not_A_Name']);
    assert.equal(bad.code, 2, bad.err);
    assert.match(bad.err, /--cluster: "Not_A_Name" must be a DNS label/);
  });
});
