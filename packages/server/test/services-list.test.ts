/**
 * GET …/services, the list's read path (issue 12): one query pages the services in name order
 * with their current release's spec. Paging by cursor walks every service once; a service with
 * several releases shows its current one; services being deleted are left out without leaving
 * short pages; the name and status filters page too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seedServices } from '../../../e2e/helpers/seed-services';
import { buildServer, type BerthServer } from '../src/server';
import {
  createTestDatabase,
  createUserWith,
  loginAs,
  testConfig,
  testDialects,
  type Caller,
  type TestDatabase,
} from './helpers/db';
import { FakeEngine } from './helpers/fake-engine';

const adminPassword = 'admin-password-services-list';
const count = 1_200;
const base = '/api/v1/projects/a/envs/test/services';

interface Page {
  items: Array<{ name: string; status: string; release: number; spec: { image: string; replicas: number } }>;
  nextCursor: string | null;
}

for (const dialect of testDialects()) {
  void describe(`service list read path (${dialect})`, () => {
    let db: TestDatabase;
    let server: BerthServer;
    let viewer: Caller;

    before(async () => {
      db = await createTestDatabase(dialect);
      // An engine for the services module's routes; the controllers stay off (no containers).
      server = await buildServer(testConfig(db, { BERTH_ADMIN_PASSWORD: adminPassword }), {
        engine: new FakeEngine(),
        controllers: false,
      });
      const admin = await loginAs(server.app, 'admin', adminPassword);
      for (const [p, body] of [
        ['/api/v1/teams', { name: 'alpha' }],
        ['/api/v1/projects', { name: 'a', team: 'alpha' }],
        ['/api/v1/projects', { name: 'b', team: 'alpha' }],
      ] as const)
        assert.equal((await admin.post(p, body)).status, 201);
      viewer = await createUserWith(admin, 'viewer-a', [
        { role: 'viewer', scope: { kind: 'project', name: 'a' } },
      ]);
      const store = server.ctx.db;
      await seedServices(store, 'a', 'test', count);
      await seedServices(store, 'b', 'test', 10); // another project's: never listed under a
      // svc-00007 is at release 2 (release 1 stays stored); svc-00001…00003 are being deleted.
      const id = 'seeda000007';
      const one = await store
        .selectFrom('releases')
        .selectAll()
        .where('service_id', '=', id)
        .executeTakeFirstOrThrow();
      const spec = { ...(JSON.parse(one.spec) as object), image: 'localhost/berth-busybox:2' };
      await store
        .insertInto('releases')
        .values({ ...one, number: 2, spec: JSON.stringify(spec) })
        .execute();
      await store.updateTable('services').set({ release: 2 }).where('id', '=', id).execute();
      await store
        .updateTable('services')
        .set({ deleting: 1 })
        .where('id', 'in', ['seeda000001', 'seeda000002', 'seeda000003'])
        .execute();
    });
    after(async () => {
      await server?.close();
      await db?.drop();
    });

    const get = async (url: string): Promise<Page> => {
      const res = await viewer.get(url);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as Page;
    };

    /** Every item, following nextCursor from the first page. */
    const walk = async (query: string): Promise<{ names: string[]; pages: Page[] }> => {
      const pages: Page[] = [];
      let cursor: string | null = null;
      do {
        const page = await get(`${base}?${query}${cursor ? `&cursor=${cursor}` : ''}`);
        pages.push(page);
        cursor = page.nextCursor;
      } while (cursor);
      return { names: pages.flatMap((p) => p.items.map((i) => i.name)), pages };
    };

    it('pages every service once in name order, full pages, without those being deleted', async () => {
      const { names, pages } = await walk('limit=500');
      assert.equal(names.length, count - 3);
      assert.deepEqual(names, [...names].sort());
      assert.equal(new Set(names).size, names.length);
      for (const gone of ['svc-00001', 'svc-00002', 'svc-00003']) assert.ok(!names.includes(gone), gone);
      assert.deepEqual(
        pages.map((p) => p.items.length),
        [500, 500, count - 3 - 1000],
      );
      const first = await get(`${base}?limit=50`);
      assert.equal(first.items.length, 50);
      assert.deepEqual(
        first.items.slice(0, 3).map((i) => i.name),
        ['svc-00000', 'svc-00004', 'svc-00005'],
      );
    });

    it("shows each service's current release and its spec", async () => {
      const page = await get(`${base}?limit=50`);
      const seventh = page.items.find((i) => i.name === 'svc-00007');
      assert.ok(seventh);
      assert.equal(seventh.release, 2);
      assert.equal(seventh.spec.image, 'localhost/berth-busybox:2');
      assert.equal(seventh.spec.replicas, 2);
      assert.equal(page.items.find((i) => i.name === 'svc-00008')?.spec.image, 'localhost/berth-busybox:1');
    });

    it('filters by name and status on the server, and pages the filtered list', async () => {
      const near = await get(`${base}?limit=50&q=${encodeURIComponent('svc-0119')}`);
      assert.deepEqual(
        near.items.map((i) => i.name),
        Array.from({ length: 10 }, (_, i) => `svc-0119${i}`),
      );
      assert.equal(near.nextCursor, null);
      // LIKE's wildcards in q are dropped, not interpreted: svc_0119% looks for svc0119 (none).
      assert.equal((await get(`${base}?limit=5&q=${encodeURIComponent('svc_0119%')}`)).items.length, 0);
      const degraded = await walk('limit=37&status=degraded');
      // The seed makes every sixth service (n % 6 === 4) degraded.
      assert.equal(degraded.names.length, count / 6);
      assert.ok(degraded.pages.flatMap((p) => p.items).every((i) => i.status === 'degraded'));
      assert.deepEqual(degraded.names.slice(0, 2), ['svc-00004', 'svc-00010']);
    });

    it('refuses a cursor it did not hand out, saying what to do', async () => {
      const res = await viewer.get(`${base}?limit=50&cursor=`);
      assert.equal(res.status, 400);
      assert.match(JSON.stringify(res.body), /nextCursor/);
    });
  });
}
