import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDialects } from './helpers/db';
import {
  eventually,
  makeProject,
  startPlatform,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';

type Obj = Record<string, unknown>;

// One dialect: PostgreSQL when it runs (the other real-Podman suites run on SQLite, so the
// controller's queries meet both), else SQLite. The store suites cover both dialects each.
for (const dialect of testDialects().slice(-1))
  describe(`services on the real Podman engine (${dialect})`, () => {
    let p: TestPlatform;
    let base: string;

    before(async () => {
      p = await startPlatform({}, { dialect });
      base = await makeProject(p.api, 'shop');
    });
    after(async () => {
      await p?.close();
    });

    async function healthy(name: string, replicas: number): Promise<Obj> {
      return eventually(async () => {
        const r = await p.api.get(`${base}/${name}`);
        return r.body.status === 'healthy' && r.body.readyReplicas === replicas ? r.body : null;
      }, `${name} healthy with ${replicas}`);
    }

    async function pageOf(name: string): Promise<string[]> {
      const eps = await p.api.get<{ items: { address: string }[] }>(`${base}/${name}/endpoints`);
      return Promise.all(
        eps.body.items.map(async (e) =>
          (await (await fetch(`http://${e.address}/index.html`)).text()).trim(),
        ),
      );
    }

    it('creates a 3-replica service that serves on its published loopback ports', async () => {
      const r = await p.api.post<{ service: Obj; task: Obj }>(base, { name: 'web', spec: webSpec('v1') });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.service.release, 1);
      const task = await waitTask(p.api, r.body.task.id as string);
      assert.equal(task.state, 'succeeded', JSON.stringify(task));
      await healthy('web', 3);
      const containers = await p.api.get<{ items: Obj[] }>(`${base}/web/containers`);
      assert.equal(containers.body.items.length, 3);
      for (const c of containers.body.items) {
        assert.equal(c.state, 'ready');
        assert.match(String(c.ip), /^\d+\.\d+\.\d+\.\d+$/);
        assert.match(String((c.endpoints as Obj)['8080']), /^127\.0\.0\.1:\d+$/);
        assert.match(String(c.imageDigest), /^sha256:/);
      }
      // On a starved machine a readiness probe can time out three times running and take a
      // container out of the list for a moment (a NotReady event); it returns once it passes.
      const pages = await eventually(async () => {
        const got = await pageOf('web');
        return got.length === 3 ? got : null;
      }, 'all three replicas listed as endpoints');
      assert.deepEqual(pages, ['v1', 'v1', 'v1']);
      const log = await p.api.get<{ items: { line: string }[] }>(
        `/api/v1/tasks/${r.body.task.id as string}/log`,
      );
      assert.ok(log.body.items.length >= 2, 'the task has a log');
    });

    it('runs containers as a non-root user by default', async () => {
      const containers = await p.api.get<{ items: Obj[] }>(`${base}/web/containers`);
      const name = containers.body.items[0]!.name as string;
      const res = await p.engine.execRun(name, ['id', '-u'], { timeoutMs: 5000 });
      assert.equal(res.stdout.trim(), '65534');
    });

    it('rejects invalid specs with field errors and changes nothing', async () => {
      const bad = await p.api.post(base, {
        name: 'Bad_Name',
        spec: { ...webSpec('v1'), replicas: -1, unknownField: 1 },
      });
      assert.equal(bad.status, 400);
      const fields = ((bad.body.error as Obj).details as { fields: { path: string }[] }).fields.map(
        (f) => f.path,
      );
      assert.ok(fields.includes('name'), fields.join());
      assert.ok(
        fields.some((f) => f.startsWith('spec')),
        fields.join(),
      );
      const missing = await p.api.post(base, {
        name: 'ghost',
        spec: { ...webSpec('v1'), image: 'localhost/does-not-exist:1' },
      });
      assert.equal(missing.status, 422);
      assert.match((missing.body.error as Obj).message as string, /not in the local image store/);
      const list = await p.api.get<{ items: Obj[] }>(base);
      assert.deepEqual(
        list.body.items.map((s) => s.name),
        ['web'],
      );
    });

    it('updates to a new release, rolls back, and refuses a stale version', async () => {
      const cur = await p.api.get(`${base}/web`);
      const up = await p.api.put<{ service: Obj; task: Obj }>(`${base}/web`, {
        spec: webSpec('v2'),
        version: cur.body.version,
      });
      assert.equal(up.status, 202, JSON.stringify(up.body));
      assert.equal(up.body.service.release, 2);
      assert.equal((await waitTask(p.api, up.body.task.id as string)).state, 'succeeded');
      await healthy('web', 3);
      assert.deepEqual(await pageOf('web'), ['v2', 'v2', 'v2']);

      const stale = await p.api.put(`${base}/web`, { spec: webSpec('v3'), version: cur.body.version });
      assert.equal(stale.status, 409);
      assert.equal((stale.body.error as Obj).code, 'VERSION_CONFLICT');

      const rb = await p.api.post<{ service: Obj; task: Obj }>(`${base}/web/rollback`, {});
      assert.equal(rb.status, 202);
      assert.equal(rb.body.service.release, 1);
      assert.equal((await waitTask(p.api, rb.body.task.id as string)).state, 'succeeded');
      assert.deepEqual(await pageOf('web'), ['v1', 'v1', 'v1']);
      const releases = await p.api.get<{ items: Obj[] }>(`${base}/web/releases`);
      assert.deepEqual(
        releases.body.items.map((r) => r.number),
        [2, 1],
      );
    });

    it('scales out and in, stops and starts', async () => {
      const out = await p.api.post<{ task: Obj }>(`${base}/web/scale`, { replicas: 5 });
      assert.equal((await waitTask(p.api, out.body.task.id as string)).state, 'succeeded');
      assert.equal((await p.api.get<{ items: Obj[] }>(`${base}/web/containers`)).body.items.length, 5);
      const inn = await p.api.post<{ task: Obj }>(`${base}/web/scale`, { replicas: 2 });
      assert.equal((await waitTask(p.api, inn.body.task.id as string)).state, 'succeeded');
      await eventually(
        async () => (await p.api.get<{ items: Obj[] }>(`${base}/web/containers`)).body.items.length === 2,
        'scale in to 2',
      );
      const live = await p.engine.listContainers({ 'berth.instance': p.instanceId });
      assert.equal(live.length, 2, 'the engine has exactly the containers the ledger lists');

      const stop = await p.api.post<{ task: Obj }>(`${base}/web/stop`, {});
      assert.equal((await waitTask(p.api, stop.body.task.id as string)).state, 'succeeded');
      assert.equal((await p.api.get(`${base}/web`)).body.status, 'stopped');
      assert.equal((await p.engine.listContainers({ 'berth.instance': p.instanceId })).length, 0);
      const start = await p.api.post<{ task: Obj }>(`${base}/web/start`, {});
      assert.equal((await waitTask(p.api, start.body.task.id as string)).state, 'succeeded');
      await healthy('web', 2);
    });

    it('restarts every container in a rolling way', async () => {
      const before = (await p.api.get<{ items: Obj[] }>(`${base}/web/containers`)).body.items.map(
        (c) => c.name,
      );
      const r = await p.api.post<{ task: Obj }>(`${base}/web/restart`, {});
      assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
      const now = (await p.api.get<{ items: Obj[] }>(`${base}/web/containers`)).body.items.map((c) => c.name);
      assert.equal(now.length, 2);
      assert.ok(
        now.every((n) => !before.includes(n)),
        'all containers were replaced',
      );
    });

    it('promotes a release to prod', async () => {
      const r = await p.api.post<{ service: Obj; task: Obj }>(`${base}/web/promote`, { toEnv: 'prod' });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.service.env, 'prod');
      assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
      const prod = await p.api.get('/api/v1/projects/shop/envs/prod/services/web');
      assert.equal(prod.body.status, 'healthy');
      assert.equal(((prod.body.spec as Obj).env as Obj[])[0]!.value, 'v1');
    });

    it('rolls back automatically when a new release never becomes ready', async () => {
      const bad = webSpec('v9', 2, {
        readiness: { type: 'http', path: '/nope', periodSeconds: 1 },
        rollout: {
          maxSurge: 1,
          maxUnavailable: 0,
          drainSeconds: 1,
          stopGraceSeconds: 2,
          progressDeadlineSeconds: 6,
        },
      });
      const r = await p.api.put<{ service: Obj; task: Obj }>(`${base}/web`, { spec: bad });
      const task = await waitTask(p.api, r.body.task.id as string);
      assert.equal(task.state, 'failed');
      assert.match(String(task.error), /rolled back to release 1/);
      await healthy('web', 2);
      const svc = await p.api.get(`${base}/web`);
      assert.equal(svc.body.release, 1);
      assert.deepEqual(await pageOf('web'), ['v1', 'v1']);
      const events = await p.api.get<{ items: Obj[] }>(`${base}/web/events?type=RolledBack`);
      assert.equal(events.body.items.length, 1);
      const releases = await p.api.get<{ items: Obj[] }>(`${base}/web/releases`);
      assert.equal(releases.body.items.find((x) => x.number === 3)?.state, 'failed');
    });

    it('recreates a crashed container and records an OOM kill in the ledger', async () => {
      const r = await p.api.post<{ task: Obj }>(base, {
        name: 'hog',
        spec: {
          image: 'localhost/berth-busybox:1',
          command: ['sh', '-c', 'sleep 2; x=a; while true; do x=$x$x; done'],
          resources: { memoryMiB: 16 },
          replicas: 1,
        },
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const ledger = await eventually(
        async () => {
          const h = await p.api.get<{ items: Obj[] }>(`${base}/hog/containers/history`);
          return h.body.items.some((c) => c.exitReason === 'OOMKilled') ? h.body.items : null;
        },
        'an OOM kill in the ledger',
        60_000,
      );
      const oom = ledger.find((c) => c.exitReason === 'OOMKilled')!;
      assert.equal(oom.exitCode, 137);
      await eventually(
        async () =>
          (await p.api.get<{ items: Obj[] }>(`${base}/hog/events?type=OOMKilled`)).body.items.length > 0,
        'OOMKilled event',
      );
      await eventually(
        async () =>
          (await p.api.get<{ items: Obj[] }>(`${base}/hog/containers`)).body.items.some(
            (c) => (c.restarts as number) >= 1,
          ),
        'a replacement container',
      );
      const del = await p.api.delete<{ task: Obj }>(`${base}/hog`);
      assert.equal(del.status, 202);
      assert.equal((await waitTask(p.api, del.body.task.id as string)).state, 'succeeded');
      assert.equal((await p.api.get(`${base}/hog`)).status, 404);
    });

    it('recreates a container whose liveness check fails', async () => {
      const r = await p.api.post<{ task: Obj }>(base, {
        name: 'sick',
        spec: webSpec('s1', 1, {
          liveness: {
            type: 'exec',
            command: ['test', '!', '-f', '/tmp/sick'],
            periodSeconds: 1,
            failureThreshold: 2,
          },
        }),
      });
      await waitTask(p.api, r.body.task.id as string);
      const first = (await p.api.get<{ items: Obj[] }>(`${base}/sick/containers`)).body.items[0]!;
      await p.engine.execRun(first.name as string, ['touch', '/tmp/sick'], { timeoutMs: 5000 });
      await eventually(async () => {
        const cs = (await p.api.get<{ items: Obj[] }>(`${base}/sick/containers`)).body.items;
        return cs.length === 1 && cs[0]!.name !== first.name && cs[0]!.state === 'ready';
      }, 'a replacement for the unhealthy container');
      const events = await p.api.get<{ items: Obj[] }>(`${base}/sick/events?type=Unhealthy`);
      assert.equal(events.body.items.length >= 1, true);
    });

    it('keeps secrets out of responses and the audit log, but gives them to the container', async () => {
      const spec = webSpec('k1', 1, {
        env: [
          { name: 'VERSION', value: 'k1' },
          { name: 'API_KEY', value: 's3cr3t-value', secret: true },
        ],
      });
      const r = await p.api.post<{ service: Obj; task: Obj }>(base, { name: 'keys', spec });
      const env = (r.body.service.spec as Obj).env as Obj[];
      assert.deepEqual(
        env.find((e) => e.name === 'API_KEY'),
        { name: 'API_KEY', value: null, secret: true, isSet: true },
      );
      await waitTask(p.api, r.body.task.id as string);
      const c = (await p.api.get<{ items: Obj[] }>(`${base}/keys/containers`)).body.items[0]!;
      const out = await p.engine.execRun(c.name as string, ['sh', '-c', 'echo $API_KEY'], {
        timeoutMs: 5000,
      });
      assert.equal(out.stdout.trim(), 's3cr3t-value');
      const audit = await p.api.get('/api/v1/audit?action=services.create&limit=50');
      assert.doesNotMatch(JSON.stringify(audit.body), /s3cr3t-value/);
      const stored = await p.server.ctx.db.selectFrom('releases').select('spec').execute();
      assert.ok(
        stored.some((r) => r.spec.includes('API_KEY')),
        'the release is stored',
      );
      assert.doesNotMatch(JSON.stringify(stored), /s3cr3t-value/, 'stored sealed, not in clear');
      const { existsSync, readFileSync } = await import('node:fs');
      for (const f of ['berth.sqlite', 'berth.sqlite-wal']) {
        const file = `${p.dataDir}/${f}`;
        if (existsSync(file)) assert.doesNotMatch(readFileSync(file).toString('latin1'), /s3cr3t-value/, f);
      }
    });
  });
