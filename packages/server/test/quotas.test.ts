/**
 * Project quotas (issue 10): limits, usage, admission refusals that say how much is left, the
 * project's per-container defaults applied to containers, and concurrent scale-ups that cannot
 * both pass. On the real Podman engine, on SQLite and PostgreSQL.
 */
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDialects } from './helpers/db';
import {
  makeProject,
  podmanSocket,
  startPlatform,
  TestApi,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';
import { grantZone } from './helpers/tenancy';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';

type Obj = Record<string, unknown>;

function inspectHost(id: string): Promise<{ Memory: number; CpuQuota: number; CpuPeriod: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: podmanSocket, path: `/v4.3.1/libpod/containers/${id}/json`, method: 'GET' },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(data));
          resolve(
            (JSON.parse(data) as { HostConfig: { Memory: number; CpuQuota: number; CpuPeriod: number } })
              .HostConfig,
          );
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

for (const dialect of testDialects())
  describe(`project quotas (${dialect})`, () => {
    let p: TestPlatform;
    let base: string;
    let dev: TestApi;
    const quotaUrl = '/api/v1/projects/shop/quota';

    before(async () => {
      p = await startPlatform({}, { dialect });
      base = await makeProject(p.api, 'shop');
      assert.equal(
        (await p.api.post('/api/v1/users', { name: 'dora', password: 'dora-password' })).status,
        201,
      );
      const b = await p.api.post('/api/v1/bindings', {
        user: 'dora',
        role: 'developer',
        scope: { kind: 'project', name: 'shop' },
      });
      assert.equal(b.status, 201);
      dev = await TestApi.login(p.url, 'dora', 'dora-password');
    });
    after(async () => {
      await p?.close();
    });

    async function quota(): Promise<Obj & { usage: Obj; remaining: Obj; limits: Obj }> {
      const r = await dev.get<Obj & { usage: Obj; remaining: Obj; limits: Obj }>(quotaUrl);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    }

    it('starts unlimited; only a platform admin may set it (a developer is refused and audited)', async () => {
      const q = await quota();
      assert.deepEqual(q.limits, { cpu: null, memoryMiB: null, replicas: null, volumesGiB: null });
      assert.deepEqual(q.usage, { cpu: 0, memoryMiB: 0, replicas: 0, volumesGiB: 0 });
      const denied = await dev.put(quotaUrl, { cpu: 100 });
      assert.equal(denied.status, 403);
      const audit = await p.api.get<{ items: Obj[] }>('/api/v1/audit?actor=dora&action=quotas.set');
      assert.equal(audit.body.items[0]?.result, 'denied');
      const bad = await p.api.put(quotaUrl, { cpu: 1, defaults: { cpu: 2 } });
      assert.equal(bad.status, 400);
      assert.equal((((bad.body.error as Obj).details as Obj).fields as Obj[])[0]!.path, 'defaults.cpu');
      const set = await p.api.put(quotaUrl, {
        cpu: 2,
        memoryMiB: 1024,
        replicas: 5,
        volumesGiB: 10,
        defaults: { cpu: 0.25, memoryMiB: 128 },
      });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      const q2 = await quota();
      assert.deepEqual(q2.limits, { cpu: 2, memoryMiB: 1024, replicas: 5, volumesGiB: 10 });
      assert.deepEqual(q2.defaults, { cpu: 0.25, memoryMiB: 128 });
      assert.equal((await p.api.get(`/api/v1/projects/nope/quota`)).status, 404);
    });

    it('counts usage and starts containers that set no limits with the project defaults', async () => {
      const r = await dev.post<{ task: Obj }>(base, { name: 'web', spec: webSpec('v1', 2) });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal((await waitTask(dev, r.body.task.id as string)).state, 'succeeded');
      const q = await quota();
      assert.deepEqual(q.usage, { cpu: 0.5, memoryMiB: 256, replicas: 2, volumesGiB: 0 });
      assert.deepEqual(q.remaining, { cpu: 1.5, memoryMiB: 768, replicas: 3, volumesGiB: 10 });
      const list = await p.api.get<{ items: Obj[] }>(`${base}/web/containers`);
      const live = list.body.items.filter((c) => c.state === 'ready');
      assert.equal(live.length, 2);
      for (const c of live) {
        const host = await inspectHost(c.id as string);
        assert.equal(host.Memory, 128 * 1024 * 1024);
        assert.equal(host.CpuQuota / host.CpuPeriod, 0.25);
      }
    });

    it('refuses a scale beyond the quota with 422 QUOTA_EXCEEDED saying what is left', async () => {
      const r = await dev.post(`${base}/web/scale`, { replicas: 9 });
      assert.equal(r.status, 422, JSON.stringify(r.body));
      const err = r.body.error as Obj;
      assert.equal(err.code, 'QUOTA_EXCEEDED');
      assert.match(
        err.message as string,
        /Project 'shop' has 2 of 2 CPU cores left; this change needs 2\.25 \(9 replicas × 0\.25 cores\)\. Lower the replicas or CPU, or ask a platform admin to raise the quota\./,
      );
      assert.match(err.message as string, /has 5 of 5 replicas left; this change needs 9/);
      assert.match(err.message as string, /has 1024 of 1024 MiB of memory left; this change needs 1152 MiB/);
      const paths = new Set(((err.details as Obj).fields as Obj[]).map((f) => f.path));
      assert.deepEqual([...paths].sort(), [
        'spec.replicas',
        'spec.resources.cpu',
        'spec.resources.memoryMiB',
      ]);
      assert.equal((await p.api.get(`${base}/web`)).body.replicas, 2, 'nothing changed');
      const audit = await p.api.get<{ items: Obj[] }>('/api/v1/audit?actor=dora&action=services.scale');
      assert.equal(audit.body.items[0]?.statusCode, 422);
    });

    it('refuses a create whose own limits do not fit, naming the per-container amount', async () => {
      const r = await dev.post(base, { name: 'big', spec: { ...webSpec('b', 2), resources: { cpu: 1 } } });
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.match(
        (r.body.error as Obj).message as string,
        /has 1\.5 of 2 CPU cores left; this change needs 2 \(2 replicas × 1 core\)/,
      );
      assert.equal((await p.api.get(`${base}/big`)).status, 404);
      const update = await dev.put(`${base}/web`, {
        spec: { ...webSpec('v1', 2), resources: { memoryMiB: 600 } },
      });
      assert.equal(update.status, 422);
      assert.match(
        (update.body.error as Obj).message as string,
        /1024 of 1024 MiB of memory left; this change needs 1200 MiB \(2 replicas × 600 MiB\)/,
      );
      assert.equal((await p.api.get(`${base}/web`)).body.release, 1);
    });

    it('counts a duplicated placement once per cluster it runs on', async () => {
      // a second cluster on the test's Podman, in the environment for this test only
      const dc2 = await p.api.post('/api/v1/clusters', {
        name: 'dc2',
        kind: 'podman',
        endpoint: `unix://${podmanSocket}`,
      });
      assert.equal(dc2.status, 201, JSON.stringify(dc2.body));
      assert.equal(
        (await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local', 'dc2'] })).status,
        200,
      );
      try {
        // web runs 2 of 5; 2 replicas on each of 2 clusters are 4 more
        const r = await dev.post(base, {
          name: 'everywhere',
          spec: webSpec('d', 2, { placement: { clusters: 'all', division: 'duplicated' } }),
        });
        assert.equal(r.status, 422, JSON.stringify(r.body));
        assert.match(
          (r.body.error as Obj).message as string,
          /has 3 of 5 replicas left; this change needs 4/,
        );
        assert.equal((await p.api.get(`${base}/everywhere`)).status, 404, 'nothing created');
      } finally {
        assert.equal((await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local'] })).status, 200);
        assert.equal((await p.api.delete('/api/v1/clusters/dc2')).status, 204);
      }
    });

    it('lets only one of two concurrent scale-ups through when both do not fit', async () => {
      const r = await dev.post<{ task: Obj }>(base, { name: 'api', spec: webSpec('a', 1) });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      // web 2 + api 1 = 3 of 5 replicas: web→3 fits alone (4), api→3 fits alone (5), both do not (6).
      const [a, b] = await Promise.all([
        dev.post(`${base}/web/scale`, { replicas: 3 }),
        dev.post(`${base}/api/scale`, { replicas: 3 }),
      ]);
      const statuses = [a.status, b.status].sort();
      assert.deepEqual(statuses, [202, 422], JSON.stringify([a.body, b.body]));
      const q = await quota();
      assert.ok((q.usage.replicas as number) <= 5, JSON.stringify(q.usage));
    });

    it('refuses a start that no longer fits, and always allows going down', async () => {
      const stop = await dev.post<{ task: Obj }>(`${base}/api/stop`, {});
      assert.equal(stop.status, 202);
      const q = await quota();
      assert.equal(q.usage.replicas, (await p.api.get(`${base}/web`)).body.replicas);
      assert.equal(
        (await p.api.put(quotaUrl, { replicas: 2, defaults: { cpu: 0.25, memoryMiB: 128 } })).status,
        200,
      );
      const start = await dev.post(`${base}/api/start`, {});
      assert.equal(start.status, 422, JSON.stringify(start.body));
      assert.match((start.body.error as Obj).message as string, /replicas left/);
      const down = await dev.post(`${base}/web/scale`, { replicas: 1 });
      assert.equal(down.status, 202, 'scaling down passes even when over a lowered quota');
      assert.equal((await p.api.put(quotaUrl, {})).status, 200);
      const q2 = await quota();
      assert.deepEqual(q2.remaining, { cpu: null, memoryMiB: null, replicas: null, volumesGiB: null });
    });
  });

describe('project quotas: a release canary is admitted against the quota', () => {
  let p: GatewayPlatform;
  let base: string;
  const routes = '/api/v1/projects/cq/envs/test/routes';

  before(async () => {
    p = await startGatewayPlatform();
    base = await makeProject(p.api, 'cq');
    await grantZone(p.api, 'canary-quota.test', 'cq');
  });
  after(async () => {
    await p?.close();
  });

  it('refuses canary replicas beyond the quota at canary.to.replicas, and admits what fits', async () => {
    const created = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: webSpec('v1', 2) });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitTask(p.api, created.body.task.id as string);
    const up = await p.api.put<{ task: Obj }>(`${base}/web`, { spec: webSpec('v2', 2) });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    await waitTask(p.api, up.body.task.id as string);
    const route = await p.api.post(routes, {
      name: 'shop',
      spec: { host: 'shop.canary-quota.test', backends: { service: { name: 'web' } } },
    });
    assert.equal(route.status, 201, JSON.stringify(route.body));
    assert.equal((await p.api.put('/api/v1/projects/cq/quota', { replicas: 3 })).status, 200);
    const tooMany = await p.api.post(`${routes}/shop/canary`, {
      percent: 10,
      to: { release: 1, replicas: 2 },
    });
    assert.equal(tooMany.status, 422, JSON.stringify(tooMany.body));
    const err = tooMany.body.error as Obj;
    assert.equal(err.code, 'QUOTA_EXCEEDED');
    assert.match(err.message as string, /Project 'cq' has 1 of 3 replicas left; this change needs 2/);
    assert.equal(((err.details as Obj).fields as Obj[])[0]!.path, 'canary.to.replicas');
    assert.equal(((await p.api.get(`${routes}/shop`)).body as Obj).canary, null, 'no canary was set');
    const fits = await p.api.post(`${routes}/shop/canary`, { percent: 10, to: { release: 1, replicas: 1 } });
    assert.equal(fits.status, 200, JSON.stringify(fits.body));
    const q = await p.api.get<{ usage: Obj }>('/api/v1/projects/cq/quota');
    assert.equal(q.body.usage.replicas, 3, 'the canary counts');
  });
});
