import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createUserWith, testDialects, type Caller, type Json } from './helpers/db';
import { startFakePlatform, type FakePlatform } from './helpers/fake-engine';
import { webWithLedger } from './helpers/container-ledger';
import type { ServiceRow } from '../src/modules/services/services.repository';

const base = '/api/v1/projects/web/envs/test/services';

for (const dialect of testDialects()) {
  describe(`container ledger and actions over a fake engine (${dialect})`, () => {
    let p: FakePlatform;
    let web: ServiceRow;
    let viewer: Caller;

    before(async () => {
      p = await startFakePlatform(dialect);
      web = await webWithLedger(p);
      viewer = await createUserWith(p.admin, 'vera', [
        { role: 'viewer', scope: { kind: 'project', name: 'web' } },
      ]);
    });
    after(async () => {
      await p?.close();
    });

    it('lists the current containers with what the engine says now', async () => {
      p.engine.containers.delete('web-b');
      const res = await viewer.get(`${base}/web/containers`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const byName = new Map<string, Json>(res.body.items.map((c: Json) => [c.name, c]));
      assert.deepEqual([...byName.keys()].sort(), ['web-a', 'web-b']);
      assert.equal(byName.get('web-a').state, 'ready');
      assert.equal(byName.get('web-a').live.state, 'running');
      assert.equal(byName.get('web-b').live.state, 'missing');
      p.engine.add({ name: 'web-b' });
      await p.deps.repo.updateContainer('web-b', { engine_id: p.engine.get('web-b')!.id });
    });

    it('reports an unreachable engine per cluster instead of failing the list', async () => {
      p.engine.down = true;
      const res = await viewer.get(`${base}/web/containers`);
      p.engine.down = false;
      assert.equal(res.status, 200);
      assert.equal(res.body.items.length, 2);
      assert.equal(res.body.items[0].live, null);
      assert.equal(res.body.errors[0].cluster, 'local');
    });

    it('pages the ledger newest first, across containers created in the same millisecond', async () => {
      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const res: Json = await viewer.get(
          `${base}/web/containers/history?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        );
        assert.equal(res.status, 200, JSON.stringify(res.body));
        names.push(...res.body.items.map((c: Json) => c.name));
        cursor = res.body.nextCursor;
      } while (cursor);
      assert.deepEqual(names, ['web-b', 'web-a', 'web-old', 'web-exited']);
      const alive = await viewer.get(`${base}/web/containers/history?since=2025-01-01T00:00:03Z`);
      assert.deepEqual(
        alive.body.items.map((c: Json) => c.name),
        ['web-b', 'web-a', 'web-old'],
      );
      const early = await viewer.get(`${base}/web/containers/history?until=2025-01-01T00:00:00.500%2B00:00`);
      assert.deepEqual(
        early.body.items.map((c: Json) => c.name),
        ['web-old', 'web-exited'],
      );
      const byIp = await viewer.get(`${base}/web/containers/history?ip=10.88.0.1`);
      assert.deepEqual(
        byIp.body.items.map((c: Json) => c.name),
        ['web-a'],
      );
      assert.equal((await viewer.get(`${base}/web/containers/history?since=yesterday`)).status, 400);
    });

    it('takes a container out of rotation and back, with events, kicks and audit', async () => {
      const out = await p.admin.post(`${base}/web/containers/web-a/rotation`, { inRotation: false });
      assert.equal(out.status, 200, JSON.stringify(out.body));
      assert.equal(out.body.inRotation, false);
      assert.equal(out.body.state, 'ready', 'it keeps running');
      assert.ok(p.kicks.includes(web.id));
      const back = await p.admin.post(`${base}/web/containers/web-a/rotation`, { inRotation: true });
      assert.equal(back.body.inRotation, true);
      const events = await viewer.get(`${base}/web/events?container=web-a`);
      assert.deepEqual(
        events.body.items.map((e: Json) => e.type),
        ['InRotation', 'OutOfRotation'],
      );
      assert.match(events.body.items[1].message, /by admin/);
      assert.equal(
        (await viewer.post(`${base}/web/containers/web-a/rotation`, { inRotation: false })).status,
        403,
      );
      assert.equal(
        (await p.admin.post(`${base}/web/containers/web-a/rotation`, { inRotation: 'no' })).status,
        400,
      );
    });

    it('destroys a container: out of rotation now, stopped after confirmation, a Destroyed event naming the actor, a kick, 202', async () => {
      p.kicks.length = 0;
      const res = await p.admin.post(`${base}/web/containers/web-b/destroy`);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.name, 'web-b');
      assert.equal(res.body.state, 'draining');
      // out of rotation now; stopped once every gateway node and endpoint watch confirmed it
      const row = await p.deps.repo.findContainer(web.id, 'web-b');
      assert.ok(row?.left_rotation_at, 'left rotation');
      assert.equal(row.drain_seconds, 0, 'no drain period after the confirmation');
      assert.equal(row.removed_from_gateways_at, null, 'waits for the confirmation');
      assert.deepEqual(p.kicks, [web.id]);
      const events = await viewer.get(`${base}/web/events?type=Destroyed`);
      assert.match(events.body.items[0].message, /web-b destroyed by admin/);
      const audit = await p.admin.get('/api/v1/audit?action=containers.destroy');
      assert.equal(audit.body.items[0].result, 'success');
      await p.addContainer(web, 'web-new', { state: 'creating', engine_id: null });
      const early = await p.admin.post(`${base}/web/containers/web-new/destroy`);
      assert.equal(early.status, 409, 'a container still being created cannot be destroyed yet');
      await p.deps.repo.updateContainer('web-new', { state: 'exited' });
      for (const gone of ['web-old', 'nope']) {
        const miss = await p.admin.post(`${base}/web/containers/${gone}/destroy`);
        assert.equal(miss.status, 404);
        assert.equal(miss.body.error.code, 'CONTAINER_NOT_FOUND');
      }
    });
  });
}
