import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { SearchHit } from '@berth/shared';
import type { ContainersTable, ServicesTable } from '../src/db/schema';
import {
  createTestDatabase,
  startTwoTeams,
  testDialects,
  type TestDatabase,
  type TwoTeams,
} from './helpers/db';

const adminPassword = 'admin-password-for-search-tests';
const serviceCount = 10_000;

function serviceRow(i: number, project: string, name: string): ServicesTable {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString();
  return {
    id: `svc${String(i).padStart(6, '0')}`,
    project,
    env: i % 2 === 0 ? 'test' : 'prod',
    name,
    display_name: name,
    replicas: 1,
    stopped: 0,
    release: 1,
    stable_release: 1,
    status: 'healthy',
    ready_replicas: 1,
    message: null,
    generation: 1,
    rollout_task: null,
    rollout_started_at: null,
    restart_nonce: 0,
    deleting: 0,
    created_at: at,
    updated_at: at,
    created_by: 'admin',
    updated_by: 'admin',
    version: 1,
  };
}

function containerRow(name: string, serviceId: string, over: Partial<ContainersTable>): ContainersTable {
  return {
    name,
    service_id: serviceId,
    release: 1,
    restart_nonce: 0,
    engine_id: null,
    cluster: 'local',
    node: 'local',
    ip: null,
    endpoints: '{}',
    image: 'localhost/berth-busybox:1',
    image_digest: null,
    state: 'ready',
    ready: 1,
    in_rotation: 1,
    restarts: 0,
    created_at: '2026-01-01T00:00:00.000Z',
    started_at: null,
    stopped_at: null,
    drain_until: null,
    left_rotation_at: null,
    drain_seconds: null,
    drain_gates: null,
    removed_from_gateways_at: null,
    exit_code: null,
    exit_reason: null,
    ...over,
  };
}

for (const dialect of testDialects()) {
  void describe(`global search (${dialect})`, () => {
    let db: TestDatabase;
    let t: TwoTeams;

    before(async () => {
      db = await createTestDatabase(dialect);
      t = await startTwoTeams(db, adminPassword);
      const store = t.server.ctx.db;
      // 10,000 services over the two projects: web-00000 … in a, api-… in b, plus named ones.
      const rows: ServicesTable[] = [];
      for (let i = 0; i < serviceCount; i++) {
        const inA = i % 2 === 0;
        rows.push(serviceRow(i, inA ? 'a' : 'b', `${inA ? 'web' : 'api'}-${String(i).padStart(5, '0')}`));
      }
      rows.push(serviceRow(serviceCount, 'a', 'checkout'));
      rows.push(serviceRow(serviceCount + 1, 'b', 'checkout-beta'));
      for (let i = 0; i < rows.length; i += 500)
        await store
          .insertInto('services')
          .values(rows.slice(i, i + 500))
          .execute();
      const checkoutA = `svc${String(serviceCount).padStart(6, '0')}`;
      const checkoutB = `svc${String(serviceCount + 1).padStart(6, '0')}`;
      await store
        .insertInto('containers')
        .values([
          containerRow('checkout-1-abcde', checkoutA, {
            engine_id: '3f9a1c2b7d4e5f60',
            ip: '10.88.0.17',
            image: 'registry:5000/shop/checkout:2.1',
          }),
          containerRow('checkout-beta-1-zzzzz', checkoutB, {
            engine_id: '3f9aeeeeeeee0000',
            ip: '10.88.0.18',
            image: 'registry:5000/shop/checkout:2.1',
          }),
          // A container of the ledger that is gone: never a search hit.
          containerRow('checkout-1-old00', checkoutA, {
            engine_id: '3f9a000000000000',
            ip: '10.88.0.19',
            state: 'removed',
          }),
        ])
        .execute();
      if (dialect === 'postgres') await sql`analyze`.execute(store);
    });
    after(async () => {
      await t?.server.close();
      await db?.drop();
    });

    const search = async (who: keyof Omit<TwoTeams, 'server'>, q: string, limit?: number) => {
      const res = await t[who].get(
        `/api/v1/search?q=${encodeURIComponent(q)}${limit ? `&limit=${limit}` : ''}`,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.items as SearchHit[];
    };

    void it('finds services by name prefix, only in projects the caller may read', async () => {
      const admin = await search('admin', 'checkout');
      assert.deepEqual(
        admin.filter((h) => h.kind === 'service').map((h) => `${h.project}/${h.service}`),
        ['a/checkout', 'b/checkout-beta'],
      );
      const viewer = await search('viewerA', 'checkout');
      assert.deepEqual(
        viewer.filter((h) => h.kind === 'service').map((h) => `${h.project}/${h.service}`),
        ['a/checkout'],
      );
      assert.ok(
        viewer.every((h) => h.project === 'a'),
        `a viewer of project a sees nothing of b: ${JSON.stringify(viewer)}`,
      );
      assert.deepEqual(await search('viewerA', 'api-'), [], "b's services stay hidden from a's viewer");
      const leadBeta = await search('leadBeta', 'api-000', 5);
      assert.equal(leadBeta.length, 5);
      assert.ok(leadBeta.every((h) => h.project === 'b' && h.service.startsWith('api-000')));
    });

    void it('finds live containers by id prefix, IP prefix and name, and services by image', async () => {
      const byId = await search('admin', '3F9A');
      assert.deepEqual(
        byId.filter((h) => h.kind === 'container').map((h) => [h.match, h.container]),
        [
          ['id', 'checkout-1-abcde'],
          ['id', 'checkout-beta-1-zzzzz'],
        ],
        'upper case is folded; the removed container is not listed',
      );
      const byIp = await search('viewerA', '10.88.0.1');
      assert.deepEqual(
        byIp.map((h) => h.kind === 'container' && [h.match, h.container, h.ip]),
        [['ip', 'checkout-1-abcde', '10.88.0.17']],
      );
      const byImage = await search('devA', 'registry:5000/shop/check');
      assert.deepEqual(
        byImage.map((h) => [h.kind, h.match, h.service]),
        [['service', 'image', 'checkout']],
      );
    });

    void it('treats % and _ as text and rejects an empty or unknown query parameter', async () => {
      assert.deepEqual(await search('admin', 'web_'), []);
      assert.deepEqual(await search('admin', '%'), []);
      const empty = await t.admin.get('/api/v1/search?q=%20');
      assert.equal(empty.status, 400);
      assert.match(JSON.stringify(empty.body.error.details), /q/);
      const unknown = await t.admin.get('/api/v1/search?q=web&project=a');
      assert.equal(unknown.status, 400);
      const anonymous = await t.server.app.inject({ method: 'GET', url: '/api/v1/search?q=web' });
      assert.equal(anonymous.statusCode, 401);
    });

    void it(`answers in milliseconds over ${serviceCount} services (index range scans)`, async () => {
      for (const q of ['web-0', 'web-0999', '10.88', '3f9a']) await search('admin', q); // warm up
      const started = performance.now();
      const rounds = 20;
      for (let i = 0; i < rounds; i++) {
        const hits = await search('admin', `web-0${i % 10}`);
        assert.equal(hits.length, 20);
      }
      const perQuery = (performance.now() - started) / rounds;
      console.log(`search over ${serviceCount} services (${dialect}): ${perQuery.toFixed(1)} ms per query`);
      assert.ok(perQuery < 50, `a search takes ${perQuery.toFixed(1)} ms`);
      const store = t.server.ctx.db;
      if (dialect === 'sqlite') {
        const plan = await sql<{ detail: string }>`explain query plan
          select name from services where name >= ${'web-0'} and name < ${'web-0\u{10FFFF}'} order by name limit 20`.execute(
          store,
        );
        assert.ok(
          plan.rows.some((r) => /USING (COVERING )?INDEX services_name_search_idx/.test(r.detail)),
          JSON.stringify(plan.rows),
        );
      } else {
        const plan = await sql<{ 'QUERY PLAN': string }>`explain
          select name from services where name collate "C" >= ${'web-0'} and name collate "C" < ${'web-0\u{10FFFF}'}
          order by name collate "C" limit 20`.execute(store);
        assert.ok(
          plan.rows.some((r) => /services_name_search_idx/.test(r['QUERY PLAN'])),
          JSON.stringify(plan.rows),
        );
      }
    });
  });
}
