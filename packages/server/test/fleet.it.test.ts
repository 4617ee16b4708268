/**
 * The fleet controller (issue 11) on two real Podman clusters of the test fleet: a service's
 * replicas are divided by its placement and run on those clusters' engines; a scale-up places only
 * the new ones; a cluster killed like a dead host is failed over after the environment's grace
 * (not before), its containers written off; when it comes back and stays ready for the stability
 * window, its share returns and the dead containers left on it are removed; a drained cluster's
 * replicas move away and come back when it is undrained. The moves back and away lose no request
 * through Nginx.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PodmanEngine } from '@berth/engine-podman';
import { readFileSync } from 'node:fs';
import { sshCluster, startCluster, stopCluster, type FleetCluster } from './helpers/clusters';
import { startGatewayLoad, viaGateway } from './helpers/gateway-load';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';
import {
  eventually,
  makeProject,
  removeInstanceContainers,
  startPlatform,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';

interface Row {
  name: string;
  cluster: string;
  state: string;
  endpoints: Record<string, string>;
  createdAt: string;
}
interface Event {
  type: string;
  message: string;
  at: string;
}

const grace = 10;
const host = 'web.fleet.test.localhost';

/** Runs load through Nginx while `move` runs; every request must be answered. */
async function noLossWhile(listen: string, move: () => Promise<void>): Promise<number> {
  const load = startGatewayLoad(listen, host);
  try {
    await move();
  } finally {
    await load.stop();
  }
  const result = await load.stop();
  assert.equal(result.failed, 0, `lost requests: ${result.errors.slice(0, 10).join('; ')}`);
  assert.ok(result.ok > 100, `enough requests were sent (${result.ok})`);
  return result.ok;
}

describe('fleet controller: placement, scale, failover and restore on two Podman clusters', () => {
  let p: GatewayPlatform;
  let base: string;
  let a: FleetCluster;
  let b: FleetCluster;
  const engines = new Map<string, PodmanEngine>();

  const containers = async () =>
    (await p.api.get<{ items: Row[] }>(`${base}/web/containers`)).body.items.filter(
      (c) => c.state !== 'exited',
    );
  const perCluster = async () => {
    const count: Record<string, number> = {};
    for (const c of await containers())
      if (c.state === 'ready') count[c.cluster] = (count[c.cluster] ?? 0) + 1;
    return count;
  };
  /** What the cluster's own engine runs for this platform (not what Berth's ledger says). */
  const onEngine = async (cluster: string) =>
    (await engines.get(cluster)!.listContainers({ 'berth.instance': p.instanceId })).filter(
      (o) => o.state === 'running',
    );
  const events = async () =>
    (await p.api.get<{ items: Event[] }>(`${base}/web/events?type=Vanished&limit=100`)).body.items;
  const clusterState = async (name: string) =>
    (await p.api.get<{ state: string }>(`/api/v1/clusters/${name}`)).body.state;

  before(async () => {
    // clusters of their own: other fleet tests use c1…c5
    a = await startCluster('c6');
    b = await startCluster('c7');
    for (const c of [a, b])
      engines.set(c.name, new PodmanEngine({ socketPath: c.socketPath, cluster: c.name }));
    p = await startGatewayPlatform({
      BERTH_CLUSTER_CHECK_SECONDS: '1',
      BERTH_CLUSTER_CHECK_TIMEOUT_MS: '3000',
      BERTH_FAILOVER_STABLE_SECONDS: '5',
    });
    for (const c of [a, b]) {
      const r = await p.api.post('/api/v1/clusters', { name: c.name, kind: 'podman', endpoint: c.endpoint });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const env = await p.api.call('PATCH', '/api/v1/envs/test', {
      clusters: ['local', a.name, b.name],
      failover: { graceSeconds: grace },
    });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    base = await makeProject(p.api, 'fleet');
  });

  after(async () => {
    await startCluster('c7').catch(() => undefined);
    await p?.close();
    for (const e of engines.values()) await removeInstanceContainers(e, p.instanceId).catch(() => undefined);
  });

  it('divides the replicas by the placement and runs them on each cluster’s engine', async () => {
    const placement = {
      clusters: [
        { name: a.name, weight: 1 },
        { name: b.name, weight: 1 },
      ],
      division: 'weighted',
    };
    const r = await p.api.post<{ task: { id: string } }>(base, {
      name: 'web',
      spec: webSpec('v1', 4, { placement }),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const task = await waitTask(p.api, r.body.task.id);
    assert.equal(task.state, 'succeeded', JSON.stringify(task));
    assert.deepEqual(await perCluster(), { [a.name]: 2, [b.name]: 2 });
    // the engines themselves run them, labelled with their cluster; local runs none
    for (const c of [a, b]) {
      const there = await onEngine(c.name);
      assert.equal(there.length, 2, `${c.name} runs 2`);
      assert.ok(there.every((o) => o.labels['berth.cluster'] === c.name));
    }
    const local = await p.engine.listContainers({ 'berth.instance': p.instanceId });
    assert.equal(local.length, 0, 'nothing on local');
    // every replica serves on its published address
    for (const c of await containers()) {
      const body = await (await fetch(`http://${c.endpoints['8080']}/index.html`)).text();
      assert.equal(body.trim(), 'v1');
    }
  });

  it('scales up by placing only the new replicas', async () => {
    const before = new Set((await containers()).map((c) => c.name));
    const r = await p.api.post<{ task?: { id: string } }>(`${base}/web/scale`, { replicas: 6 });
    assert.ok([200, 202].includes(r.status), JSON.stringify(r.body));
    await eventually(async () => {
      const n = await perCluster();
      return n[a.name] === 3 && n[b.name] === 3;
    }, '3 and 3 ready');
    const now = new Set((await containers()).map((c) => c.name));
    for (const name of before) assert.ok(now.has(name), `${name} kept running`);
  });

  it('fails over a dead cluster after the grace period, not before', async () => {
    await stopCluster(b.name);
    await eventually(async () => (await clusterState(b.name)) === 'unreachable', `${b.name} unreachable`);
    const dead = (
      await p.api.get<{ items: { type: string; at: string; toState?: string }[] }>(
        `/api/v1/clusters/${b.name}/events`,
      )
    ).body.items.find((e) => e.type === 'StateChanged');
    assert.ok(dead, 'the state change is recorded');
    const deadAt = Date.parse(dead.at);
    await eventually(
      async () => {
        const n = await perCluster();
        return n[a.name] === 6 && !n[b.name];
      },
      `all 6 on ${a.name}`,
      180_000,
    );
    // the replacements were made only after the grace period
    const rows = await containers();
    const replacements = rows.filter((c) => Date.parse(c.createdAt) > deadAt);
    assert.equal(replacements.length, 3);
    for (const c of replacements)
      assert.ok(
        Date.parse(c.createdAt) - deadAt >= grace * 1000,
        `${c.name} created ${Date.parse(c.createdAt) - deadAt} ms after ${b.name} died (grace ${grace}s)`,
      );
    const written = (await events()).filter((e) => /written off: cluster c7 is unreachable/.test(e.message));
    assert.equal(written.length, 3, JSON.stringify(await events()));
  });

  it('gives the recovered cluster its share back after the stability window and clears what died there', async () => {
    await eventually(async () => (await viaGateway(p.listen, host)).body === 'v1', 'served through Nginx');
    await startCluster(b.name);
    // the move back is a rollout: not one request through the gateway is lost
    const sent = await noLossWhile(p.listen, async () => {
      await eventually(async () => (await clusterState(b.name)) === 'ready', `${b.name} ready again`);
      await eventually(
        async () => {
          const n = await perCluster();
          return n[a.name] === 3 && n[b.name] === 3 && (await containers()).length === 6;
        },
        'back to 3 and 3',
        180_000,
      );
    });
    console.log(`fleet restore: ${sent} requests through Nginx, 0 lost`);
    // the containers killed with the cluster are gone from its engine; the three new ones run
    await eventually(async () => {
      const all = await engines.get(b.name)!.listContainers({ 'berth.instance': p.instanceId });
      return all.length === 3 && all.every((o) => o.state === 'running');
    }, `${b.name} holds only the 3 new containers`);
    const svc = await p.api.get<{ status: string; readyReplicas: number }>(`${base}/web`);
    assert.equal(svc.body.status, 'healthy');
  });

  it('moves replicas off a drained cluster and back when it is undrained', async () => {
    const sent = await noLossWhile(p.listen, async () => {
      assert.equal((await p.api.post(`/api/v1/clusters/${a.name}/drain`, {})).status, 200);
      await eventually(
        async () => {
          const n = await perCluster();
          return n[b.name] === 6 && !n[a.name] && (await containers()).length === 6;
        },
        `all 6 on ${b.name}`,
        180_000,
      );
    });
    console.log(`fleet drain: ${sent} requests through Nginx, 0 lost`);
    assert.equal((await onEngine(a.name)).length, 0, `${a.name} runs nothing`);
    const moved = (await p.api.get<{ items: Event[] }>(`${base}/web/events?type=Draining&limit=100`)).body
      .items;
    assert.ok(moved.some((e) => e.message.includes(`moved off cluster ${a.name} by placement`)));
    assert.equal((await p.api.post(`/api/v1/clusters/${a.name}/undrain`, {})).status, 200);
    await eventually(
      async () => {
        const n = await perCluster();
        return n[a.name] === 3 && n[b.name] === 3 && (await containers()).length === 6;
      },
      'back to 3 and 3',
      180_000,
    );
  });
});

describe('fleet controller over ssh://: a replica on a cluster reached through an ssh tunnel', () => {
  let p: TestPlatform;
  let base: string;
  let remote: Awaited<ReturnType<typeof sshCluster>>;
  let engine: PodmanEngine;

  before(async () => {
    remote = await sshCluster({ cluster: 'c4' });
    // the cluster's own socket, as its host sees it (the test fleet lives on this machine)
    engine = new PodmanEngine({ socketPath: remote.socketPath, cluster: remote.name });
    p = await startPlatform({ BERTH_CLUSTER_CHECK_SECONDS: '1' });
    const r = await p.api.post('/api/v1/clusters', {
      name: 'remote',
      kind: 'podman',
      endpoint: remote.endpoint,
      credentials: remote.credentials,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const env = await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local', 'remote'] });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    base = await makeProject(p.api, 'far');
  });
  after(async () => {
    await p?.close();
    await removeInstanceContainers(engine, p.instanceId).catch(() => undefined);
  });

  it('runs it there, keeps it while new credentials fail, and serves it', async () => {
    const r = await p.api.post<{ task: { id: string } }>(base, {
      name: 'web',
      spec: webSpec('far', 1, {
        placement: { clusters: [{ name: 'remote', weight: 1 }], division: 'weighted' },
      }),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(p.api, r.body.task.id)).state, 'succeeded');
    const rows = (await p.api.get<{ items: Row[] }>(`${base}/web/containers`)).body.items;
    assert.deepEqual(
      rows.map((c) => [c.cluster, c.state]),
      [['remote', 'ready']],
    );
    const there = await engine.listContainers({ 'berth.instance': p.instanceId });
    assert.deepEqual(
      there.map((o) => o.name),
      [rows[0]!.name],
      'the remote engine runs it',
    );
    assert.equal(
      (await (await fetch(`http://${rows[0]!.endpoints['8080']}/index.html`)).text()).trim(),
      'far',
    );

    // credentials that no longer match the host key: the connection is reopened with them and
    // fails, the cluster is unreachable, and its container is left alone (nothing is known of it)
    const otherKey = `[127.0.0.1]:${remote.ssh.port} ${readFileSync(`${remote.ssh.keyFile}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}`;
    const bad = await p.api.call('PATCH', '/api/v1/clusters/remote', {
      credentials: { privateKey: remote.credentials.privateKey, knownHosts: otherKey },
    });
    assert.equal(bad.status, 200, JSON.stringify(bad.body));
    await eventually(
      async () =>
        (await p.api.get<{ state: string }>('/api/v1/clusters/remote')).body.state === 'unreachable',
      'unreachable with the wrong host key',
    );
    const events = await p.api.get<{ items: { type: string }[] }>(`${base}/web/events?limit=100`);
    assert.ok(!events.body.items.some((e) => e.type === 'Vanished'), 'not taken for gone');
    assert.equal((await engine.listContainers({ 'berth.instance': p.instanceId })).length, 1);
    const good = await p.api.call('PATCH', '/api/v1/clusters/remote', { credentials: remote.credentials });
    assert.equal(good.status, 200, JSON.stringify(good.body));
    await eventually(
      async () => (await p.api.get<{ state: string }>('/api/v1/clusters/remote')).body.state === 'ready',
      'ready again',
    );
    const after = (await p.api.get<{ items: Row[] }>(`${base}/web/containers`)).body.items;
    assert.deepEqual(
      after.map((c) => [c.name, c.state]),
      [[rows[0]!.name, 'ready']],
      'the same container serves on',
    );
  });
});
