/**
 * Placement (issue 11): spec.placement is validated with field errors and admitted against the
 * environment's clusters; a multi-cluster placement runs where it says; the previews answer per
 * cluster from the service's running containers. Real Podman, on
 * SQLite and PostgreSQL.
 */
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

type Obj = Record<string, unknown>;
interface Preview {
  items: { cluster: string; replicas: number; current: number; reason: string | null }[];
  replicas: number;
  unplaced: number;
  refused: string | null;
  placement: Obj;
}
interface ErrorBody {
  error: { code: string; message: string; details?: { fields?: { path: string; message: string }[] } };
}

const local = { clusters: [{ name: 'local', weight: 1 }], division: 'weighted' };

for (const dialect of testDialects())
  describe(`placement (${dialect})`, () => {
    let p: TestPlatform;
    let base: string;
    let viewer: TestApi;
    let outsider: TestApi;

    before(async () => {
      p = await startPlatform({}, { dialect });
      base = await makeProject(p.api, 'shop');
      for (const name of ['vera', 'otto']) {
        const u = await p.api.post('/api/v1/users', { name, password: `${name}-password` });
        assert.equal(u.status, 201, JSON.stringify(u.body));
      }
      const b = await p.api.post('/api/v1/bindings', {
        user: 'vera',
        role: 'viewer',
        scope: { kind: 'project', name: 'shop' },
      });
      assert.equal(b.status, 201, JSON.stringify(b.body));
      viewer = await TestApi.login(p.url, 'vera', 'vera-password');
      outsider = await TestApi.login(p.url, 'otto', 'otto-password');
    });
    after(async () => {
      await p?.close();
    });

    it('refuses invalid placements with a field error at the field', async () => {
      const bad = await p.api.post<ErrorBody>(base, {
        name: 'bad',
        spec: webSpec('v1', 1, {
          placement: {
            clusters: [
              { name: 'local', weight: 1 },
              { name: 'local2', weight: 0 },
            ],
          },
        }),
      });
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      assert.deepEqual(
        bad.body.error.details?.fields?.map((f) => f.path),
        ['spec.placement.clusters.1.weight'],
      );
      const dup = await p.api.post<ErrorBody>(base, {
        name: 'bad',
        spec: webSpec('v1', 1, {
          placement: { clusters: [{ name: 'local' }, { name: 'local' }], division: 'spread' },
        }),
      });
      assert.equal(dup.status, 400);
      const fields = dup.body.error.details?.fields ?? [];
      assert.ok(
        fields.some(
          (f) => f.path === 'spec.placement.division' && /weighted, capacity, duplicated/.test(f.message),
        ),
      );
      const word = await p.api.post<ErrorBody>(base, {
        name: 'bad',
        spec: webSpec('v1', 1, { placement: { clusters: 'everywhere' } }),
      });
      assert.equal(word.status, 400);
      assert.match(word.body.error.details?.fields?.[0]?.message ?? '', /"all" or a list of clusters/);
    });

    it('refuses a cluster that does not exist, at its name, and creates nothing', async () => {
      const r = await p.api.post<ErrorBody>(base, {
        name: 'elsewhere',
        spec: webSpec('v1', 1, {
          placement: {
            clusters: [
              { name: 'local', weight: 2 },
              { name: 'dc9', weight: 1 },
            ],
          },
        }),
      });
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.error.details?.fields?.[0]?.path, 'spec.placement.clusters.1.name');
      assert.match(r.body.error.message, /cluster "dc9" does not exist/);
      assert.equal((await p.api.get(`${base}/elsewhere`)).status, 404);
    });

    it('creates a service placed on local; the preview shows its replicas where they run', async () => {
      const r = await p.api.post<{ service: { spec: Obj }; task: { id: string } }>(base, {
        name: 'web',
        spec: webSpec('v1', 2, { placement: local }),
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal((await waitTask(p.api, r.body.task.id)).state, 'succeeded');
      const got = await p.api.get<{ spec: Obj }>(`${base}/web`);
      assert.deepEqual(got.body.spec.placement, local);

      // the service's own placement and count: both replicas run on local
      const own = await viewer.post<Preview>(`${base}/web/placement-preview`, {});
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.deepEqual(own.body.items, [{ cluster: 'local', replicas: 2, current: 2, reason: null }]);
      assert.equal(own.body.refused, null);
      assert.equal(own.body.unplaced, 0);

      // a what-if scale: the two stay, three more on local
      const five = await viewer.post<Preview>(`${base}/web/placement-preview`, { replicas: 5 });
      assert.deepEqual(five.body.items, [{ cluster: 'local', replicas: 5, current: 2, reason: null }]);

      // "all" and duplicated over an environment of one cluster
      const all = await viewer.post<Preview>(`${base}/web/placement-preview`, {
        placement: { clusters: 'all', division: 'duplicated' },
        replicas: 3,
      });
      assert.equal(all.status, 200, JSON.stringify(all.body));
      assert.deepEqual(all.body.items, [{ cluster: 'local', replicas: 3, current: 2, reason: null }]);

      // a cluster that does not exist: the same answer as admission
      const nope = await viewer.post<ErrorBody>(`${base}/web/placement-preview`, {
        placement: { clusters: [{ name: 'nope', weight: 1 }] },
      });
      assert.equal(nope.status, 422);
      assert.equal(nope.body.error.details?.fields?.[0]?.path, 'placement.clusters.0.name');

      // out-of-range replicas
      const many = await viewer.post<ErrorBody>(`${base}/web/placement-preview`, { replicas: 101 });
      assert.equal(many.status, 400);
      assert.equal(many.body.error.details?.fields?.[0]?.path, 'replicas');
    });

    it('an update to placement "all" is admitted (the environment has only local)', async () => {
      const cur = await p.api.get<{ spec: Obj; version: number }>(`${base}/web`);
      const r = await p.api.put<{ service: { spec: Obj; release: number }; task: { id: string } }>(
        `${base}/web`,
        {
          spec: { ...cur.body.spec, placement: { clusters: 'all', division: 'weighted' } },
          version: cur.body.version,
        },
      );
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.deepEqual(r.body.service.spec.placement, { clusters: 'all', division: 'weighted' });
      // a changed placement is a new release, rolled out like any other
      assert.equal(r.body.service.release, 2);
      assert.equal((await waitTask(p.api, r.body.task.id)).state, 'succeeded');
    });

    it('runs a multi-cluster placement where it says (a cluster not of the environment is refused at its name); the preview shows the division', async () => {
      // dc2 and dc3 reach the test's Podman too; each sees only the containers made on it
      const add = (name: string) =>
        p.api.post('/api/v1/clusters', { name, kind: 'podman', endpoint: `unix://${podmanSocket}` });
      assert.equal((await add('dc2')).status, 201);
      assert.equal((await add('dc3')).status, 201);
      const env = await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local', 'dc2'] });
      assert.equal(env.status, 200, JSON.stringify(env.body));
      const two = {
        clusters: [
          { name: 'local', weight: 2 },
          { name: 'dc2', weight: 1 },
        ],
        division: 'weighted',
      };

      const r = await p.api.post<{ task: { id: string } }>(base, {
        name: 'spread',
        spec: webSpec('v1', 3, { placement: two }),
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal((await waitTask(p.api, r.body.task.id)).state, 'succeeded');
      const ran = await p.api.get<{ items: { cluster: string; state: string }[] }>(
        `${base}/spread/containers`,
      );
      assert.deepEqual(ran.body.items.map((c) => c.cluster).sort(), ['dc2', 'local', 'local']);
      const spread = await viewer.post<Preview>(`${base}/spread/placement-preview`, {});
      assert.deepEqual(
        spread.body.items.map((i) => [i.cluster, i.replicas, i.current]),
        [
          ['local', 2, 2],
          ['dc2', 1, 1],
        ],
      );
      assert.equal(spread.body.refused, null);
      assert.equal((await p.api.delete(`${base}/spread`)).status, 202);

      // a registered cluster the environment does not name: refused at its name
      const dc3 = await p.api.post<ErrorBody>(base, {
        name: 'elsewhere',
        spec: webSpec('v1', 1, { placement: { clusters: [{ name: 'dc3', weight: 1 }] } }),
      });
      assert.equal(dc3.status, 422);
      assert.equal(dc3.body.error.details?.fields?.[0]?.path, 'spec.placement.clusters.0.name');
      assert.match(
        dc3.body.error.details?.fields?.[0]?.message ?? '',
        /not one of environment "test"'s clusters \(local, dc2\)/,
      );
      assert.equal((await p.api.get(`${base}/elsewhere`)).status, 404, 'nothing created');

      // the preview of a changed placement divides from scratch
      const pv = await viewer.post<Preview>(`${base}/web/placement-preview`, { placement: two, replicas: 3 });
      assert.equal(pv.status, 200, JSON.stringify(pv.body));
      assert.deepEqual(
        pv.body.items.map((i) => [i.cluster, i.replicas, i.current]),
        [
          ['local', 2, 2],
          ['dc2', 1, 0],
        ],
      );

      // a cordoned cluster gets no new replicas, and the preview says so
      assert.equal((await p.api.post('/api/v1/clusters/dc2/cordon', {})).status, 200);
      const cordoned = await viewer.post<Preview>(`${base}/web/placement-preview`, {
        placement: two,
        replicas: 3,
      });
      assert.deepEqual(
        cordoned.body.items.map((i) => [i.cluster, i.replicas, i.reason]),
        [
          ['local', 3, null],
          ['dc2', 0, 'cordoned: gets no new replicas'],
        ],
      );
      // back to one cluster for the tests after this one
      assert.equal((await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local'] })).status, 200);
    });

    it('previews a service not created yet, for the create form', async () => {
      const url = '/api/v1/projects/shop/envs/test/placement-preview';
      const r = await viewer.post<Preview>(url, { replicas: 4, service: 'new-one' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.items, [{ cluster: 'local', replicas: 4, current: 0, reason: null }]);
      assert.deepEqual(r.body.placement, local, 'the default placement');
      const noEnv = await viewer.post<ErrorBody>('/api/v1/projects/shop/envs/nowhere/placement-preview', {
        replicas: 1,
      });
      assert.equal(noEnv.status, 404);
      assert.equal(noEnv.body.error.code, 'ENV_NOT_FOUND');
      const missing = await viewer.post<ErrorBody>(url, {});
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.details?.fields?.[0]?.path, 'replicas');
    });

    it('previews need services:read in the project: an outsider learns nothing and is audited', async () => {
      const r = await outsider.post<ErrorBody>(`${base}/web/placement-preview`, {});
      assert.equal(r.status, 404);
      assert.doesNotMatch(JSON.stringify(r.body), /local/);
      const n = await outsider.post('/api/v1/projects/shop/envs/test/placement-preview', { replicas: 1 });
      assert.equal(n.status, 404);
      const audit = await p.api.get<{ items: { actor: string; action: string; result: string }[] }>(
        '/api/v1/audit?actor=otto',
      );
      const mine = audit.body.items.filter((e) => e.actor === 'otto');
      assert.ok(
        mine.some((e) => e.action === 'services.placementPreview' && e.result === 'denied'),
        JSON.stringify(mine),
      );
    });
  });
