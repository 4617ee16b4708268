/**
 * The fleet controller (issue 11) on three real Podman clusters of the test fleet (each its own
 * Podman service, storage, run root and network), load through one Nginx in front of all:
 * - weights 2:1:1 and 8 replicas run 4/2/2 on the clusters' own engines, as the preview said
 *   beforehand; scale to 9 puts the new one where Webster says and moves none;
 * - a secret change rolls out to every cluster, with zero lost requests;
 * - a container removed behind Berth's back is recreated on its cluster;
 * - a cluster killed like a dead host is failed over after the environment's grace (not before)
 *   and within grace + 30 s; the requests lost meanwhile are counted; its containers are written
 *   off; when it comes back and stays ready for the stability window, the division returns by
 *   itself with zero lost requests and the dead containers left there are removed;
 * - cordon + drain moves a cluster's replicas away with zero lost requests; undrain brings them back;
 * - a changed placement (2:1:1 → 1:0:2) is a rolling move to the previewed 3/0/6 with zero lost requests.
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
  TestApi,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';

interface Row {
  name: string;
  id: string | null;
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
interface Move {
  project: string;
  service: string;
  targets: Record<string, number>;
  current: Record<string, number>;
  failedOver: string[];
}
interface Preview {
  items: { cluster: string; replicas: number; current: number }[];
}

const grace = 10;
/** Equal replica counts per cluster, whatever the order of the keys. */
const sameCounts = (x: Record<string, number>, y: Record<string, number>) =>
  JSON.stringify(Object.entries(x).sort()) === JSON.stringify(Object.entries(y).sort());
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

describe('fleet controller on three Podman clusters behind one gateway', () => {
  let p: GatewayPlatform;
  let base: string;
  let a: FleetCluster;
  let b: FleetCluster;
  let c: FleetCluster;
  const engines = new Map<string, PodmanEngine>();
  const placement = () => ({
    clusters: [
      { name: a.name, weight: 2 },
      { name: b.name, weight: 1 },
      { name: c.name, weight: 1 },
    ],
    division: 'weighted',
  });
  const spec = (version: string, token: string, replicas: number) =>
    webSpec(version, replicas, {
      env: [
        { name: 'VERSION', value: version },
        { name: 'TOKEN', value: token, secret: true },
      ],
      placement: placement(),
    });

  const containers = async () =>
    (await p.api.get<{ items: Row[] }>(`${base}/web/containers`)).body.items.filter(
      (x) => x.state !== 'exited',
    );
  /** Ready replicas per cluster (clusters with none left out). */
  const perCluster = async () => {
    const count: Record<string, number> = {};
    for (const x of await containers())
      if (x.state === 'ready') count[x.cluster] = (count[x.cluster] ?? 0) + 1;
    return count;
  };
  const division = (na: number, nb: number, nc: number) => {
    const out: Record<string, number> = {};
    if (na) out[a.name] = na;
    if (nb) out[b.name] = nb;
    if (nc) out[c.name] = nc;
    return out;
  };
  /** Waits until the ready replicas are divided so, and no other container is left. */
  const divided = async (na: number, nb: number, nc: number) => {
    try {
      await eventually(
        async () =>
          sameCounts(await perCluster(), division(na, nb, nc)) &&
          (await containers()).length === na + nb + nc,
        `${na}/${nb}/${nc}`,
        180_000,
      );
    } catch (err) {
      // say what there was instead
      const rows = (await containers()).map((x) => `${x.name}@${x.cluster}:${x.state}`);
      const last = (await p.api.get<{ items: Event[] }>(`${base}/web/events?limit=15`)).body.items;
      throw new Error(
        `${(err as Error).message}; containers: ${rows.join(', ')}; events: ${last.map((e) => `${e.type}: ${e.message}`).join(' | ')}`,
      );
    }
  };
  /** What the cluster's own engine runs for this platform (not what Berth's ledger says). */
  const onEngine = async (cluster: string) =>
    (await engines.get(cluster)!.listContainers({ 'berth.instance': p.instanceId })).filter(
      (o) => o.state === 'running',
    );
  const events = async (type: string) =>
    (await p.api.get<{ items: Event[] }>(`${base}/web/events?type=${type}&limit=100`)).body.items;
  /** The service's latest events, oldest first, for failure messages. */
  const story = async () =>
    (await p.api.get<{ items: Event[] }>(`${base}/web/events?limit=40`)).body.items
      .reverse()
      .map((e) => `${e.at.slice(11, 23)} ${e.type}: ${e.message}`)
      .join(' | ');
  const clusterState = async (name: string) =>
    (await p.api.get<{ state: string }>(`/api/v1/clusters/${name}`)).body.state;

  before(async () => {
    // clusters of their own: other fleet tests use c1…c5 and c8…c15
    a = await startCluster('c6');
    b = await startCluster('c7');
    c = await startCluster('c16');
    for (const x of [a, b, c])
      engines.set(x.name, new PodmanEngine({ socketPath: x.socketPath, cluster: x.name }));
    p = await startGatewayPlatform({
      BERTH_CLUSTER_CHECK_SECONDS: '1',
      BERTH_CLUSTER_CHECK_TIMEOUT_MS: '3000',
      BERTH_FAILOVER_STABLE_SECONDS: '5',
    });
    for (const x of [a, b, c]) {
      const r = await p.api.post('/api/v1/clusters', { name: x.name, kind: 'podman', endpoint: x.endpoint });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const env = await p.api.call('PATCH', '/api/v1/envs/test', {
      clusters: ['local', a.name, b.name, c.name],
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

  it('runs 2:1:1 with 8 replicas as 4/2/2 on the clusters’ own engines, as previewed', async () => {
    const preview = await p.api.post<Preview>('/api/v1/projects/fleet/envs/test/placement-preview', {
      placement: placement(),
      replicas: 8,
      service: 'web',
    });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.deepEqual(
      preview.body.items.map((i) => [i.cluster, i.replicas]),
      [
        [a.name, 4],
        [b.name, 2],
        [c.name, 2],
      ],
    );
    const r = await p.api.post<{ task: { id: string } }>(base, { name: 'web', spec: spec('v1', 's1', 8) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const task = await waitTask(p.api, r.body.task.id);
    assert.equal(task.state, 'succeeded', JSON.stringify(task));
    assert.ok(sameCounts(await perCluster(), division(4, 2, 2)), JSON.stringify(await perCluster()));
    // the engines themselves run them, labelled with their cluster; local runs none
    for (const [x, n] of [
      [a, 4],
      [b, 2],
      [c, 2],
    ] as const) {
      const there = await onEngine(x.name);
      const ledger = (await containers())
        .filter((r) => r.cluster === x.name)
        .map((r) => `${r.name}:${r.state}`);
      const all = await engines.get(x.name)!.listContainers({ 'berth.instance': p.instanceId });
      assert.equal(
        there.length,
        n,
        `${x.name} runs ${n}: ledger ${ledger.join(', ')}; engine ${all.map((o) => `${o.name}:${o.state}`).join(', ')}; events ${await story()}`,
      );
      assert.ok(there.every((o) => o.labels['berth.cluster'] === x.name));
    }
    assert.equal(
      (await p.engine.listContainers({ 'berth.instance': p.instanceId })).length,
      0,
      'none on local',
    );
    for (const x of await containers()) {
      const body = await (await fetch(`http://${x.endpoints['8080']}/index.html`)).text();
      assert.equal(body.trim(), 'v1');
    }
    await eventually(async () => (await viaGateway(p.listen, host)).body === 'v1', 'served through Nginx');
  });

  it('scales to 9 where the preview said, moving none', async () => {
    const preview = await p.api.post<Preview>(`${base}/web/placement-preview`, { replicas: 9 });
    assert.deepEqual(
      preview.body.items.map((i) => [i.cluster, i.replicas, i.current]),
      [
        [a.name, 5, 4],
        [b.name, 2, 2],
        [c.name, 2, 2],
      ],
    );
    const before = (await containers()).map((x) => x.name);
    const r = await p.api.post(`${base}/web/scale`, { replicas: 9 });
    assert.ok([200, 202].includes(r.status), JSON.stringify(r.body));
    await divided(5, 2, 2);
    const now = new Set((await containers()).map((x) => x.name));
    for (const name of before) assert.ok(now.has(name), `${name} kept running`);
  });

  it('rolls a secret change out to every cluster without losing a request', async () => {
    const sent = await noLossWhile(p.listen, async () => {
      const cur = await p.api.get<{ version: number }>(`${base}/web`);
      const r = await p.api.put<{ task: { id: string } }>(`${base}/web`, {
        spec: spec('v2', 's2', 9),
        version: cur.body.version,
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal((await waitTask(p.api, r.body.task.id)).state, 'succeeded');
      await divided(5, 2, 2);
    });
    console.log(`fleet secret rollout: ${sent} requests through Nginx, 0 lost`);
    for (const x of [a, b, c]) {
      const there = await onEngine(x.name);
      assert.ok(there.length > 0);
      for (const o of there) {
        // busybox has no printenv
        const env = await engines.get(x.name)!.execRun(o.id, ['env'], { timeoutMs: 10_000 });
        assert.match(env.stdout, /^TOKEN=s2$/m, `${o.name} on ${x.name} has the new secret`);
      }
    }
  });

  it('recreates a container removed behind its back on the same cluster', async () => {
    const victim = (await containers()).find((x) => x.cluster === b.name)!;
    await engines.get(b.name)!.removeContainer(victim.id!);
    // `rm -f` kills, then removes: a pass that lists the container in between sees it exited
    // (Crashed, "Killed") and reaps it; one after sees it gone (Vanished). Either way it is replaced.
    await eventually(
      async () =>
        [...(await events('Vanished')), ...(await events('Crashed'))].some((e) =>
          e.message.includes(victim.name),
        ),
      'the removal noticed',
    );
    await divided(5, 2, 2);
    assert.ok(!(await containers()).some((x) => x.name === victim.name));
  });

  it('fails over a dead cluster after the grace period and within grace + 30 s', async () => {
    const load = startGatewayLoad(p.listen, host);
    const killed = Date.now();
    let lost = 0;
    try {
      await stopCluster(b.name);
      await eventually(async () => (await clusterState(b.name)) === 'unreachable', `${b.name} unreachable`);
      // b's 2 go where Webster says from the current 5/·/2: c, then a
      await divided(6, 0, 3);
    } finally {
      const result = await load.stop();
      lost = result.failed;
      console.log(
        `fleet failover: ${result.ok + result.failed} requests through Nginx, ${lost} failed (in flight to the dead cluster)${lost ? `: ${result.errors.slice(0, 5).join('; ')}` : ''}`,
      );
    }
    const tookMs = Date.now() - killed;
    assert.ok(tookMs <= (grace + 30) * 1000, `all replicas ran elsewhere ${tookMs} ms after the death`);
    const dead = (
      await p.api.get<{ items: { type: string; at: string }[] }>(
        `/api/v1/clusters/${b.name}/events?limit=500`,
      )
    ).body.items;
    const down = dead.find((e) => e.type === 'StateChanged');
    assert.ok(down, 'the state change is recorded');
    assert.ok(
      dead.some((e) => e.type === 'FailoverStarted'),
      'the failover is a cluster event',
    );
    const replacements = (await containers()).filter((x) => Date.parse(x.createdAt) > Date.parse(down.at));
    assert.equal(replacements.length, 2);
    for (const x of replacements)
      assert.ok(
        Date.parse(x.createdAt) - Date.parse(down.at) >= grace * 1000,
        `${x.name} created ${Date.parse(x.createdAt) - Date.parse(down.at)} ms after ${b.name} went down (grace ${grace} s)`,
      );
    await eventually(
      async () =>
        (await events('Vanished')).filter((e) => /written off: cluster c7 is unreachable/.test(e.message))
          .length === 2,
      'two written off',
    );
    // the fleet view lists the service as moved off the failed cluster while it stays down
    const moves = (await p.api.get<{ items: Move[] }>('/api/v1/fleet/moves')).body.items;
    const web = moves.find((m) => m.project === 'fleet' && m.service === 'web');
    assert.ok(web, `the fleet view lists web: ${JSON.stringify(moves)}`);
    assert.deepEqual(web.failedOver, [b.name]);
    assert.deepEqual([web.targets[a.name], web.targets[b.name] ?? 0, web.targets[c.name]], [6, 0, 3]);
    assert.equal(web.current[b.name] ?? 0, 0);
    // a developer of another project sees none of it
    await makeProject(p.api, 'fleet-other');
    assert.equal(
      (await p.api.post('/api/v1/users', { name: 'outsider', password: 'pw-outsider-1' })).status,
      201,
    );
    const bound = await p.api.post('/api/v1/bindings', {
      user: 'outsider',
      role: 'developer',
      scope: { kind: 'project', name: 'fleet-other' },
    });
    assert.equal(bound.status, 201, JSON.stringify(bound.body));
    const outsider = await TestApi.login(p.url, 'outsider', 'pw-outsider-1');
    assert.deepEqual((await outsider.get<{ items: Move[] }>('/api/v1/fleet/moves')).body.items, []);
  });

  it('restores the division by itself once the cluster is back and stable, losing nothing', async () => {
    await startCluster(b.name);
    const sent = await noLossWhile(p.listen, async () => {
      await eventually(async () => (await clusterState(b.name)) === 'ready', `${b.name} ready again`);
      await divided(5, 2, 2);
    });
    console.log(`fleet restore: ${sent} requests through Nginx, 0 lost`);
    const log = (
      await p.api.get<{ items: { type: string }[] }>(`/api/v1/clusters/${b.name}/events?limit=500`)
    ).body.items;
    assert.ok(
      log.some((e) => e.type === 'Restoring'),
      'the move back is a cluster event',
    );
    // the containers killed with the cluster are gone from its engine; the two new ones run
    await eventually(async () => {
      const all = await engines.get(b.name)!.listContainers({ 'berth.instance': p.instanceId });
      return all.length === 2 && all.every((o) => o.state === 'running');
    }, `${b.name} holds only the 2 new containers`);
    assert.equal((await p.api.get<{ status: string }>(`${base}/web`)).body.status, 'healthy');
    await eventually(
      async () => (await p.api.get<{ items: Move[] }>('/api/v1/fleet/moves')).body.items.length === 0,
      'the fleet view is empty once the division is back',
    );
  });

  it('moves replicas off a cordoned, drained cluster without losing a request, and back', async () => {
    const sent = await noLossWhile(p.listen, async () => {
      assert.equal((await p.api.post(`/api/v1/clusters/${c.name}/cordon`, {})).status, 200);
      assert.equal((await p.api.post(`/api/v1/clusters/${c.name}/drain`, {})).status, 200);
      // c's 2 go where Webster says from the current 5/2/·: b, then a
      await divided(6, 3, 0);
    });
    console.log(`fleet drain: ${sent} requests through Nginx, 0 lost`);
    assert.equal((await onEngine(c.name)).length, 0, `${c.name} runs nothing`);
    const moved = await events('Draining');
    assert.ok(moved.some((e) => e.message.includes(`moved off cluster ${c.name} by placement`)));
    for (const action of ['undrain', 'uncordon'])
      assert.equal((await p.api.post(`/api/v1/clusters/${c.name}/${action}`, {})).status, 200);
    await divided(5, 2, 2);
  });

  it('changes the placement as a rolling move, where the preview said, losing nothing', async () => {
    const moved = {
      clusters: [
        { name: a.name, weight: 1 },
        { name: c.name, weight: 2 },
      ],
      division: 'weighted',
    };
    const preview = await p.api.post<Preview>(`${base}/web/placement-preview`, { placement: moved });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    const wanted = preview.body.items.filter((i) => i.replicas > 0).map((i) => [i.cluster, i.replicas]);
    assert.deepEqual(wanted, [
      [a.name, 3],
      [c.name, 6],
    ]);
    const sent = await noLossWhile(p.listen, async () => {
      const cur = await p.api.get<{ version: number }>(`${base}/web`);
      const r = await p.api.put<{ task: { id: string } }>(`${base}/web`, {
        spec: { ...spec('v3', 's2', 9), placement: moved },
        version: cur.body.version,
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal((await waitTask(p.api, r.body.task.id)).state, 'succeeded', await story());
      await divided(3, 0, 6);
    });
    console.log(`fleet placement change: ${sent} requests through Nginx, 0 lost`);
    assert.equal((await onEngine(b.name)).length, 0, `${b.name}, no longer placed, runs nothing`);
    await eventually(async () => (await viaGateway(p.listen, host)).body === 'v3', 'v3 served through Nginx');
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

describe('fleet controller: a health check that times out does not stop placement', () => {
  let p: TestPlatform;

  before(async () => {
    // one check at start, then none for an hour: the test sets what the last one "found"
    p = await startPlatform({ BERTH_CLUSTER_CHECK_SECONDS: '3600' });
  });
  after(async () => {
    await p?.close();
  });

  it('places replicas on a cluster the controller can list, whatever its last check said', async () => {
    await eventually(
      async () => (await p.api.get<{ state: string }>('/api/v1/clusters/local')).body.state === 'ready',
      'the first check done',
    );
    // a ping that timed out on a busy host, long ago
    await p.server.ctx.db
      .updateTable('clusters')
      .set({ state: 'unreachable', message: 'the ping timed out', state_since: new Date(0).toISOString() })
      .where('name', '=', 'local')
      .execute();
    assert.equal((await p.api.get<{ state: string }>('/api/v1/clusters/local')).body.state, 'unreachable');
    const base = await makeProject(p.api, 'busy');
    const r = await p.api.post<{ task: { id: string } }>(base, { name: 'web', spec: webSpec('v1', 2) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(p.api, r.body.task.id)).state, 'succeeded');
    const rows = (await p.api.get<{ items: Row[] }>(`${base}/web/containers`)).body.items;
    assert.deepEqual(
      rows.map((c) => [c.cluster, c.state]),
      [
        ['local', 'ready'],
        ['local', 'ready'],
      ],
    );
  });
});
