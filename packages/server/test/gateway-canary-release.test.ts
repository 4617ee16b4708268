import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { labelKeys } from '@berth/engine-api';
import { eventually, makeProject, waitTask, webSpec } from './helpers/platform';
import { startGatewayLoad, viaGateway } from './helpers/gateway-load';
import { grantZone } from './helpers/tenancy';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';

type Obj = Record<string, unknown>;
const host = 'shop.release-canary.test';
const routes = '/api/v1/projects/rc/envs/test/routes';

describe('canary to another release of the same service, through real Nginx', () => {
  let p: GatewayPlatform;
  let base: string;

  before(async () => {
    p = await startGatewayPlatform();
    base = await makeProject(p.api, 'rc');
    await grantZone(p.api, 'release-canary.test', 'rc');
  });
  after(async () => {
    await p?.close();
  });

  /** Canary containers in Podman, in any state (a retired one is stopped, then removed). */
  const canaryContainers = () =>
    p.engine.listContainers({ [labelKeys.instance]: p.instanceId, [labelKeys.canary]: 'true' });
  /** Waits until the canary pool serves (the planner keeps it out of Nginx until it has servers). */
  const canaryServes = (headers: Record<string, string> = {}) =>
    eventually(async () => (await viaGateway(p.listen, host, { headers })).body === 'v1', 'canary serving');

  it('runs release 2 and refuses canaries to a missing or to the current release', async () => {
    const created = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: webSpec('v1', 2) });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal((await waitTask(p.api, created.body.task.id as string)).state, 'succeeded');
    const up = await p.api.put<{ task: Obj }>(`${base}/web`, { spec: webSpec('v2', 2) });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    assert.equal((await waitTask(p.api, up.body.task.id as string)).state, 'succeeded');
    const route = await p.api.post(routes, {
      name: 'shop',
      spec: { host, backends: { service: { name: 'web' } } },
    });
    assert.equal(route.status, 201, JSON.stringify(route.body));

    const missing = await p.api.post<{ error: { message: string } }>(`${routes}/shop/canary`, {
      percent: 10,
      to: { release: 9 },
    });
    assert.equal(missing.status, 422, JSON.stringify(missing.body));
    assert.match(missing.body.error.message, /Release 9 of service 'web' does not exist/);
    const current = await p.api.post<{ error: { message: string } }>(`${routes}/shop/canary`, {
      percent: 10,
      to: { release: 2 },
    });
    assert.equal(current.status, 422, JSON.stringify(current.body));
    assert.match(current.body.error.message, /already runs release 2/);
    const tooMany = await p.api.post(`${routes}/shop/canary`, {
      percent: 10,
      to: { release: 1, replicas: 11 },
    });
    assert.equal(tooMany.status, 400, JSON.stringify(tooMany.body));
    assert.equal((await canaryContainers()).length, 0, 'a refused canary starts no container');
    assert.equal((await viaGateway(p.listen, host)).body, 'v2');
  });

  it('sends 10% ±3% of 2,000 requests to release 1, and exactly the header matches', async () => {
    const c = await p.api.post<{ route: { canary: Obj } }>(`${routes}/shop/canary`, {
      percent: 10,
      to: { release: 1 },
    });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.deepEqual(c.body.route.canary.to, { release: 1 });
    await canaryServes();
    const running = await canaryContainers();
    assert.equal(running.length, 1, 'one canary container of release 1');
    assert.equal(running[0]!.labels[labelKeys.release], '1');
    assert.equal((await p.api.get<Obj>(`${base}/web`)).body.release, 2, 'the service still runs release 2');

    let canary = 0;
    for (let i = 0; i < 2000; i += 1) {
      const r = await viaGateway(p.listen, host);
      assert.equal(r.status, 200);
      assert.ok(r.body === 'v1' || r.body === 'v2', r.body);
      if (r.body === 'v1') canary += 1;
    }
    assert.ok(Math.abs(canary - 200) <= 60, `release 1 got ${canary} of 2000`);

    const h = await p.api.post(`${routes}/shop/canary`, {
      header: { name: 'X-Canary', value: 'on' },
      to: { release: 1 },
    });
    assert.equal(h.status, 200, JSON.stringify(h.body));
    for (let i = 0; i < 150; i += 1) {
      const match = i % 3 === 0;
      const r = await viaGateway(p.listen, host, {
        headers: match ? { 'X-Canary': 'on' } : i % 3 === 1 ? { 'X-Canary': 'off' } : {},
      });
      assert.equal(r.body, match ? 'v1' : 'v2', `request ${i} (header ${match ? 'on' : 'not on'})`);
    }
  });

  it('aborts under load with zero lost requests and removes the canary containers', async () => {
    const half = await p.api.post(`${routes}/shop/canary`, { percent: 50, to: { release: 1 } });
    assert.equal(half.status, 200, JSON.stringify(half.body));
    const load = startGatewayLoad(p.listen, host);
    await eventually(async () => (await viaGateway(p.listen, host)).body === 'v1', 'canary serving');
    await new Promise((res) => setTimeout(res, 300));
    const abort = await p.api.post<{ route: Obj }>(`${routes}/shop/canary/abort`, {});
    assert.equal(abort.status, 200, JSON.stringify(abort.body));
    assert.equal(abort.body.route.canary, null);
    await eventually(
      async () => (await canaryContainers()).length === 0,
      'no canary container left in Podman, running or not',
    );
    const result = await load.stop();
    assert.equal(result.failed, 0, result.errors.slice(0, 5).join('; '));
    assert.ok(result.ok > 20, `enough requests (${result.ok})`);
    assert.ok((result.bodies.get('v1') ?? 0) > 10, 'the canary served part of the load before the abort');
    assert.equal((await viaGateway(p.listen, host, { headers: { 'X-Canary': 'on' } })).body, 'v2');
  });

  it('promotes under load: the service rolls to release 1, then the canary ends, zero lost', async () => {
    const c = await p.api.post(`${routes}/shop/canary`, { percent: 50, to: { release: 1, replicas: 2 } });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    await canaryServes();
    await eventually(async () => (await canaryContainers()).length === 2, 'two canary containers');
    const load = startGatewayLoad(p.listen, host);
    await new Promise((res) => setTimeout(res, 300));
    const promote = await p.api.post<{ route: { canary: Obj | null } }>(`${routes}/shop/canary/promote`, {});
    assert.equal(promote.status, 200, JSON.stringify(promote.body));
    assert.ok(promote.body.route.canary?.promoting, 'the canary stays while the service rolls');
    await eventually(
      async () => (await p.api.get<Obj>(`${routes}/shop`)).body.canary === null,
      'canary cleared after the rollout',
    );
    await eventually(async () => (await canaryContainers()).length === 0, 'canary containers removed');
    const result = await load.stop();
    assert.equal(result.failed, 0, result.errors.slice(0, 5).join('; '));
    assert.equal((await p.api.get<Obj>(`${base}/web`)).body.release, 1, 'the service runs release 1');
    for (let i = 0; i < 20; i += 1) assert.equal((await viaGateway(p.listen, host)).body, 'v1');
    const running = await p.engine.listContainers({ [labelKeys.instance]: p.instanceId });
    assert.equal(running.length, 2, 'just the service’s own two containers');
    assert.ok(running.every((o) => o.labels[labelKeys.release] === '1' && !o.labels[labelKeys.canary]));
  });
  it('a promotion the service does not finish (a newer deploy meanwhile) leaves the canary active, not stuck', async () => {
    const c = await p.api.post(`${routes}/shop/canary`, { percent: 10, to: { release: 2 } });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    await eventually(async () => (await canaryContainers()).length === 1, 'one canary container');
    const promote = await p.api.post<{ route: { canary: Obj | null } }>(`${routes}/shop/canary/promote`, {});
    assert.equal(promote.status, 200, JSON.stringify(promote.body));
    assert.ok(promote.body.route.canary?.promoting);
    // Before the rollout to release 2 completes, someone deploys v3: the service settles on release 3.
    const up = await p.api.put<{ task: Obj }>(`${base}/web`, { spec: webSpec('v3', 2) });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    assert.equal((await waitTask(p.api, up.body.task.id as string)).state, 'succeeded');
    await eventually(async () => {
      const canary = (await p.api.get<{ canary: Obj | null }>(`${routes}/shop`)).body.canary;
      return canary !== null && canary.promoting === undefined && (canary.to as Obj).release === 2;
    }, 'the canary back to active, still to release 2');
    const versions = await p.api.get<{ items: Array<{ reason: string }> }>('/api/v1/gateways/local/versions');
    assert.ok(
      versions.body.items.some((v) => /promotion of the canary of shop did not complete/.test(v.reason)),
      'the reason is recorded as a gateway version',
    );
    const abort = await p.api.post(`${routes}/shop/canary/abort`, {});
    assert.equal(abort.status, 200, JSON.stringify(abort.body));
    await eventually(async () => (await canaryContainers()).length === 0, 'canary containers removed');
    assert.equal((await p.api.get<Obj>(`${base}/web`)).body.release, 3);
  });
});
