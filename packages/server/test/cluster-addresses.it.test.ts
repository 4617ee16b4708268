/**
 * Cluster addresses (issue 11) on real Podman: a cluster whose hosts publish container ports on
 * their own address and reach the embedded registry under another name, as a cluster in another
 * data centre does. On this machine both stay on loopback: cluster c2 publishes on 127.0.0.2 and
 * reaches the registry as localhost:PORT while Berth's registry listens on 127.0.0.1:PORT.
 * - the containers publish on 127.0.0.2 only, answer there, and the ledger (what the gateways and
 *   the prober read) names that address;
 * - the image of the embedded registry is pulled on c2 under the cluster's registry address, with
 *   Berth's short-lived pull credential;
 * - a new publish address replaces the containers rolling: new ones first, the service never
 *   below its ready replicas, the old ones drained and removed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PodmanEngine } from '@berth/engine-podman';
import { startCluster, type FleetCluster } from './helpers/clusters';
import { pushImage, startAuthRegistry, type TestRegistry } from './helpers/local-registry';
import { freePort } from './helpers/net';
import {
  eventually,
  makeProject,
  removeInstanceContainers,
  startPlatform,
  testImage,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';

const run = promisify(execFile);

interface Row {
  name: string;
  cluster: string;
  state: string;
  endpoints: Record<string, string>;
}

/** The status of GET / at an address, or the connection error's code. */
async function answer(address: string): Promise<string> {
  try {
    const res = await fetch(`http://${address}/index.html`, { signal: AbortSignal.timeout(5000) });
    return `${res.status} ${(await res.text()).trim()}`;
  } catch (err) {
    return String((err as { cause?: { code?: string } }).cause?.code ?? err);
  }
}

describe('cluster addresses: publish address and registry address per cluster (real Podman, c2)', () => {
  let p: TestPlatform;
  let c: FleetCluster;
  let engine: PodmanEngine;
  let registry: TestRegistry;
  let dir: string;
  let port: number;
  let base: string;
  let pulledAs: string;
  const replicas = 2;

  const live = async () =>
    (await p.api.get<{ items: Row[] }>(`${base}/web/containers`)).body.items.filter(
      (r) => r.state !== 'exited',
    );

  before(async () => {
    c = await startCluster('c2');
    engine = new PodmanEngine({ socketPath: c.socketPath, cluster: c.name });
    dir = mkdtempSync(path.join(tmpdir(), 'berth-cluster-addresses-'));
    port = await freePort();
    p = await startPlatform({ BERTH_REGISTRY_LISTEN: `127.0.0.1:${port}` });
    registry = await startAuthRegistry(p, dir);
    await pushImage(testImage, registry.host, 'addr/web:1');
    pulledAs = `localhost:${port}/addr/web:1`;
    const r = await p.api.post('/api/v1/clusters', {
      name: c.name,
      endpoint: c.endpoint,
      publishAddress: '127.0.0.2',
      registry: `localhost:${port}`,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const env = await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local', c.name] });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    base = await makeProject(p.api, 'addr');
  });

  after(async () => {
    await p?.close();
    if (engine) await removeInstanceContainers(engine, p.instanceId).catch(() => undefined);
    await run('podman', ['--url', `unix://${c.socketPath}`, 'rmi', '--force', pulledAs]).catch(
      () => undefined,
    );
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('publishes on the cluster’s address and pulls the registry’s image under the cluster’s name for it', async () => {
    const r = await p.api.post<{ task: { id: string } }>(base, {
      name: 'web',
      spec: webSpec('v1', replicas, {
        image: `${registry.host}/addr/web:1`,
        placement: { clusters: [{ name: c.name, weight: 1 }], division: 'weighted' },
      }),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const task = await waitTask(p.api, r.body.task.id);
    assert.equal(task.state, 'succeeded', JSON.stringify(task));

    const rows = await live();
    assert.equal(rows.length, replicas, JSON.stringify(rows));
    for (const row of rows) {
      assert.equal(row.cluster, c.name);
      const endpoint = row.endpoints['8080'] ?? '';
      assert.match(endpoint, /^127\.0\.0\.2:\d+$/, `${row.name} publishes on the cluster's address`);
      assert.equal(await answer(endpoint), '200 v1');
      // not on Berth's own loopback address: only where the cluster says
      const samePort = `127.0.0.1:${endpoint.split(':')[1]}`;
      assert.equal(await answer(samePort), 'ECONNREFUSED', `${samePort} is not published`);
    }
    const onEngine = await engine.listContainers({ 'berth.instance': p.instanceId });
    assert.equal(onEngine.length, replicas);
    for (const o of onEngine) assert.equal(o.image, pulledAs, 'pulled under the cluster’s registry address');
    // the service still names the image as the user wrote it
    const svc = await p.api.get<{ spec: { image: string } }>(`${base}/web`);
    assert.equal(svc.body.spec.image, `${registry.host}/addr/web:1`);
  });

  it('replaces the containers rolling when the publish address changes, never below its ready replicas', async () => {
    const before = new Set((await live()).map((r) => r.name));
    let lowest = Number.POSITIVE_INFINITY;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const ready = (await live()).filter((r) => r.state === 'ready').length;
        lowest = Math.min(lowest, ready);
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    try {
      const patched = await p.api.call('PATCH', `/api/v1/clusters/${c.name}`, {
        publishAddress: '127.0.0.3',
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      await eventually(async () => {
        const rows = await live();
        return (
          rows.length === replicas &&
          rows.every(
            (r) =>
              r.state === 'ready' && !before.has(r.name) && r.endpoints['8080']?.startsWith('127.0.0.3:'),
          )
        );
      }, 'every container replaced by one published on 127.0.0.3');
    } finally {
      watching = false;
      await watch;
    }
    assert.ok(lowest >= replicas, `ready replicas dropped to ${lowest} during the move`);
    for (const r of await live()) assert.equal(await answer(r.endpoints['8080']!), '200 v1');
    const onEngine = await engine.listContainers({ 'berth.instance': p.instanceId });
    assert.deepEqual(
      onEngine.map((o) => o.name).sort(),
      (await live()).map((r) => r.name).sort(),
      'the old containers are removed from the cluster',
    );
  });
});
