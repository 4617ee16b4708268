/**
 * kill -9 of Berth in the middle of a failover (issue 11): a real server process places 4
 * replicas over two Podman clusters of the test fleet; one cluster dies; once the replacements
 * have started on the survivor, Berth is killed with SIGKILL and started again. It must finish the
 * failover from its store and the engines (no duplicate replacements, no orphans on either
 * cluster), and move the share back once the dead cluster returns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PodmanEngine } from '@berth/engine-podman';
import { BerthProcess } from '../../../bench/soak/berth-process';
import { startCluster, stopCluster, type FleetCluster } from './helpers/clusters';
import { freePort } from './helpers/net';
import {
  adminPassword,
  eventually,
  makeProject,
  podmanSocket,
  removeInstanceContainers,
  TestApi,
  waitTask,
  webSpec,
} from './helpers/platform';

interface Row {
  name: string;
  cluster: string;
  state: string;
  createdAt: string;
}

const root = path.resolve(import.meta.dirname, '../../..');

describe('kill -9 of Berth during a failover', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-fleet-crash-'));
  const instanceId = `f${randomBytes(4).toString('hex')}`;
  let server: BerthProcess;
  let api: TestApi;
  let base: string;
  let a: FleetCluster;
  let b: FleetCluster;
  const engines = new Map<string, PodmanEngine>();

  const live = async () =>
    (await api.get<{ items: Row[] }>(`${base}/web/containers`)).body.items.filter(
      (c) => c.state !== 'exited',
    );
  const ready = async (cluster: string) =>
    (await live()).filter((c) => c.cluster === cluster && c.state === 'ready').length;
  /** What runs on a cluster's own engine for this server. */
  const onEngine = async (cluster: string) =>
    (await engines.get(cluster)!.listContainers({ 'berth.instance': instanceId })).map((o) => o.name).sort();

  before(async () => {
    a = await startCluster('c8');
    b = await startCluster('c9');
    for (const c of [a, b])
      engines.set(c.name, new PodmanEngine({ socketPath: c.socketPath, cluster: c.name }));
    const apiPort = await freePort();
    server = new BerthProcess({
      root,
      dataDir,
      apiPort,
      gatewayListen: 'off',
      registryListen: 'off',
      instanceId,
      podmanSocket,
      adminPassword,
      logFile: path.join(dataDir, 'server.log'),
      env: {
        BERTH_CLUSTER_CHECK_SECONDS: '1',
        BERTH_CLUSTER_CHECK_TIMEOUT_MS: '3000',
        BERTH_FAILOVER_STABLE_SECONDS: '5',
      },
    });
    await server.start();
    api = await TestApi.login(server.url, 'admin', adminPassword);
    for (const c of [a, b]) {
      const r = await api.post('/api/v1/clusters', { name: c.name, kind: 'podman', endpoint: c.endpoint });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const env = await api.call('PATCH', '/api/v1/envs/test', {
      clusters: [a.name, b.name],
      failover: { graceSeconds: 10 },
    });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    base = await makeProject(api, 'crash');
  });

  after(async () => {
    await startCluster('c9').catch(() => undefined);
    await server?.stop();
    for (const e of [...engines.values(), new PodmanEngine({ socketPath: podmanSocket })])
      await removeInstanceContainers(e, instanceId).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes the failover after a restart, with no duplicates or orphans, and moves back', async () => {
    const r = await api.post<{ task: { id: string } }>(base, {
      name: 'web',
      spec: webSpec('v1', 4, {
        placement: {
          clusters: [
            { name: a.name, weight: 1 },
            { name: b.name, weight: 1 },
          ],
          division: 'weighted',
        },
      }),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(api, r.body.task.id)).state, 'succeeded');
    // two on each: running ones (a busy machine may fail a readiness check for a moment, so
    // readiness is waited for; a replaced container would show in the events)
    await eventually(
      async () => (await ready(a.name)) === 2 && (await ready(b.name)) === 2,
      '2 ready on each cluster',
      60_000,
    ).catch(async (err: unknown) => {
      const events = await api.get<{ items: { at: string; type: string; message: string }[] }>(
        `${base}/web/events?limit=40`,
      );
      const story = [...events.body.items].reverse().map((e) => `${e.at} ${e.type}: ${e.message}`);
      throw new Error(
        `${(err as Error).message}; containers ${JSON.stringify(await live())}; events ${story.join(' | ')}`,
      );
    });
    for (const c of [a.name, b.name]) assert.equal((await onEngine(c)).length, 2, `${c} runs 2`);

    await stopCluster(b.name);
    // the failover has begun: a replacement exists on the survivor
    await eventually(
      async () => (await live()).filter((c) => c.cluster === a.name).length > 2,
      `a replacement on ${a.name}`,
      120_000,
    );
    await server.kill9();
    await server.start();
    api = await TestApi.login(server.url, 'admin', adminPassword);

    await eventually(async () => (await ready(a.name)) === 4, `4 ready on ${a.name}`, 180_000);
    // exactly the ledger's containers run there: no duplicate replacement, no orphan
    await eventually(async () => {
      const ledger = (await live())
        .filter((c) => c.cluster === a.name)
        .map((c) => c.name)
        .sort();
      const there = await onEngine(a.name);
      return ledger.length === 4 && JSON.stringify(ledger) === JSON.stringify(there);
    }, `${a.name}'s engine runs exactly the ledger's 4`);

    await startCluster(b.name);
    await eventually(
      async () => (await ready(a.name)) === 2 && (await ready(b.name)) === 2 && (await live()).length === 4,
      'back to 2 and 2',
      180_000,
    );
    await eventually(async () => {
      const ledger = (await live())
        .filter((c) => c.cluster === b.name)
        .map((c) => c.name)
        .sort();
      return JSON.stringify(ledger) === JSON.stringify(await onEngine(b.name));
    }, `${b.name}'s engine runs exactly the ledger's 2 (the dead ones removed)`);
  });
});
