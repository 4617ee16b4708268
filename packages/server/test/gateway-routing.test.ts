import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, makeProject, waitTask, webSpec } from './helpers/platform';
import { startGatewayLoad, viaGateway } from './helpers/gateway-load';
import { grantZone } from './helpers/tenancy';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';

type Obj = Record<string, unknown>;
// 8 here (the three-node suite runs 20 through the same path); `npm run soak -- rolling N` runs more
const updates = Number(process.env.BERTH_TEST_GATEWAY_UPDATES ?? 8);
const host = 'web.shop.test.localhost';
const routes = '/api/v1/projects/shop/envs/test/routes';

describe('gateway routing through real Nginx', () => {
  let p: GatewayPlatform;
  let base: string;

  before(async () => {
    p = await startGatewayPlatform();
    base = await makeProject(p.api, 'shop');
    await grantZone(p.api, 'example.test', 'shop');
  });
  after(async () => {
    await p?.close();
  });

  const deploy = async (name: string, version: string, replicas: number) => {
    const r = await p.api.post<{ task: Obj }>(base, { name, spec: webSpec(version, replicas) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
  };

  it('serves a 3-replica service at its wildcard domain', async () => {
    await deploy('web', 'v0', 3);
    const r = await eventually(async () => {
      const res = await viaGateway(p.listen, host);
      return res.status === 200 && res.body === 'v0' ? res : null;
    }, 'web at its wildcard domain');
    assert.equal(r.body, 'v0');
    const unknown = await viaGateway(p.listen, 'nope.shop.test.localhost');
    assert.equal(unknown.status, 404);
    const versions = await p.api.get<{ items: Obj[] }>('/api/v1/gateways/local/versions');
    assert.ok(versions.body.items.length > 0);
    assert.ok(versions.body.items.every((v) => v.author === 'system' && v.state === 'applied'));
  });

  it(`loses zero requests through Nginx over ${updates} rolling updates`, async () => {
    const load = startGatewayLoad(p.listen, host);
    try {
      await new Promise((res) => setTimeout(res, 500));
      for (let i = 1; i <= updates; i += 1) {
        const up = await p.api.put<{ task: Obj }>(`${base}/web`, { spec: webSpec(`v${i}`) });
        assert.equal(up.status, 202, JSON.stringify(up.body));
        const task = await waitTask(p.api, up.body.task.id as string);
        assert.equal(task.state, 'succeeded', `update ${i}: ${JSON.stringify(task)}`);
      }
      await new Promise((res) => setTimeout(res, 1500));
    } finally {
      // a failed update must not leave the load running (the test process would never end)
      await load.stop();
    }
    const result = await load.stop();
    console.log(`nginx: ${result.ok + result.failed} requests, ${result.failed} failed`);
    assert.equal(result.failed, 0, `lost requests: ${result.errors.slice(0, 10).join('; ')}`);
    const unconfirmed = await p.api.get<{ items: Obj[] }>(`${base}/web/events?type=DrainUnconfirmed`);
    assert.deepEqual(unconfirmed.body.items, [], 'every removal was confirmed by the gateway');
    assert.ok(result.ok > updates * 20, `enough requests were sent (${result.ok})`);
    assert.ok(result.bodies.has(`v${updates}`), 'the last release served traffic');
    const endpoints = await p.api.get<{ items: Obj[] }>(
      '/api/v1/gateways/local/versions?kind=endpoints&limit=500',
    );
    assert.ok(endpoints.body.items.length >= updates, 'endpoint changes were recorded as versions');
  });

  it('sends 10% ±3% of 2,000 requests to a canary, and exactly the header matches', async () => {
    await deploy('next', 'canary', 1);
    const created = await p.api.post<{ route: Obj }>(routes, {
      name: 'shop',
      spec: { host: 'shop.example.test', backends: { service: { name: 'web' } } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const c = await p.api.post<{ route: Obj }>(`${routes}/shop/canary`, {
      percent: 10,
      to: { service: 'next' },
    });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    let canary = 0;
    for (let i = 0; i < 2000; i += 1) {
      const r = await viaGateway(p.listen, 'shop.example.test');
      assert.equal(r.status, 200);
      if (r.body === 'canary') canary += 1;
    }
    assert.ok(Math.abs(canary - 200) <= 60, `canary got ${canary} of 2000`);

    const h = await p.api.post(`${routes}/shop/canary`, {
      header: { name: 'X-Canary', value: 'on' },
      to: { service: 'next' },
    });
    assert.equal(h.status, 200, JSON.stringify(h.body));
    for (let i = 0; i < 200; i += 1) {
      const match = i % 3 === 0;
      const r = await viaGateway(p.listen, 'shop.example.test', {
        headers: match ? { 'X-Canary': 'on' } : i % 3 === 1 ? { 'X-Canary': 'off' } : {},
      });
      assert.equal(r.body === 'canary', match, `request ${i} (header ${match ? 'on' : 'not on'}): ${r.body}`);
    }
  });

  it('aborts and promotes a canary without dropping requests', async () => {
    const load = startGatewayLoad(p.listen, 'shop.example.test');
    await new Promise((res) => setTimeout(res, 300));
    const abort = await p.api.post<{ route: Obj }>(`${routes}/shop/canary/abort`, {});
    assert.equal(abort.status, 200, JSON.stringify(abort.body));
    assert.equal(abort.body.route.canary, null);
    await new Promise((res) => setTimeout(res, 300));
    const aborted = await load.stop();
    assert.equal(aborted.failed, 0, aborted.errors.slice(0, 5).join('; '));
    assert.equal(
      (await viaGateway(p.listen, 'shop.example.test', { headers: { 'X-Canary': 'on' } })).body,
      `v${updates}`,
    );

    await p.api.post(`${routes}/shop/canary`, { percent: 50, to: { service: 'next' } });
    const load2 = startGatewayLoad(p.listen, 'shop.example.test');
    await new Promise((res) => setTimeout(res, 300));
    const promote = await p.api.post<{ route: { spec: { backends: Obj }; canary: unknown } }>(
      `${routes}/shop/canary/promote`,
      {},
    );
    assert.equal(promote.status, 200, JSON.stringify(promote.body));
    assert.deepEqual(promote.body.route.spec.backends.service, { name: 'next' });
    await new Promise((res) => setTimeout(res, 300));
    const promoted = await load2.stop();
    assert.equal(promoted.failed, 0, promoted.errors.slice(0, 5).join('; '));
    for (let i = 0; i < 20; i += 1)
      assert.equal((await viaGateway(p.listen, 'shop.example.test')).body, 'canary');
  });
});
