/**
 * Config files on the real Podman (docs/configs.md): versions, diffs and rollback; a change with
 * rolling-restart under steady load (every replica serves the new file, zero failed requests);
 * service rollback brings the old file back; deletion refused while mounted; a signal refresh
 * updates the files in place (container start times unchanged); another project's developer can
 * neither read, mount nor delete a config.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  eventually,
  makeProject,
  startPlatform,
  TestApi,
  testImage,
  waitTask,
  type TestPlatform,
} from './helpers/platform';
import { startLoad } from './helpers/load';
import { ConfigMounts } from '../src/modules/configs/config-mounts';
import { ConfigsService } from '../src/modules/configs/configs.service';
import { singleEngine } from '../src/runtime/engines';

type Obj = Record<string, unknown>;
const configs = '/api/v1/projects/cfg/configs';

function httpGet(address: string, path = '/index.html'): Promise<string> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: address.slice(0, i), port: Number(address.slice(i + 1)), path, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body.trim()));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** busybox httpd serving the mounted config directory (index.html comes from the config). */
function siteSpec(extra: Obj = {}): Obj {
  return {
    image: testImage,
    command: ['httpd', '-f', '-p', '8080', '-h', '/srv/site'],
    ports: [{ containerPort: 8080 }],
    readiness: { type: 'http', path: '/index.html', periodSeconds: 1 },
    rollout: {
      maxSurge: 1,
      maxUnavailable: 0,
      drainSeconds: 2,
      stopGraceSeconds: 5,
      progressDeadlineSeconds: 300,
    },
    mounts: [{ config: 'site', path: '/srv/site' }],
    replicas: 3,
    ...extra,
  };
}

describe('config files', () => {
  let p: TestPlatform;
  let base: string;
  let dev: TestApi;
  let outsider: TestApi;

  async function user(name: string, project: string, role = 'developer'): Promise<TestApi> {
    assert.equal((await p.api.post('/api/v1/users', { name, password: `${name}-password` })).status, 201);
    const b = await p.api.post('/api/v1/bindings', {
      user: name,
      role,
      scope: { kind: 'project', name: project },
    });
    assert.equal(b.status, 201, JSON.stringify(b.body));
    return TestApi.login(p.url, name, `${name}-password`);
  }

  /** What every serving replica of a service answers. */
  async function served(service: string, path = '/index.html'): Promise<string[]> {
    const eps = await p.api.get<{ items: { address: string }[] }>(`${base}/${service}/endpoints`);
    return Promise.all(eps.body.items.map((e) => httpGet(e.address, path)));
  }

  async function settled(service: string, release: number, replicas: number): Promise<void> {
    await eventually(
      async () => {
        const s = await p.api.get<Obj>(`${base}/${service}`);
        const c = await p.api.get<{ items: Obj[] }>(`${base}/${service}/containers`);
        const live = c.body.items.filter((x) => !['exited', 'removed'].includes(x.state as string));
        return (
          s.body.release === release &&
          s.body.status === 'healthy' &&
          live.length === replicas &&
          live.every((x) => x.release === release && x.state === 'ready')
        );
      },
      `${service} settled on release ${release}`,
      240_000,
    );
  }

  before(async () => {
    p = await startPlatform();
    base = await makeProject(p.api, 'cfg');
    await makeProject(p.api, 'other');
    dev = await user('dora', 'cfg');
    outsider = await user('otto', 'other');
  });
  after(async () => {
    const vols = await p?.engine.listVolumes({ 'berth.instance': p.instanceId }).catch(() => []);
    await p?.close();
    for (const v of vols ?? []) await p.engine.removeVolume(v.name).catch(() => undefined);
  });

  it('keeps numbered versions with author, reason and per-file diffs; rolls back to any version; refuses bad files', async () => {
    const c = await dev.post<Obj>(configs, {
      name: 'app',
      files: { 'app.conf': 'a = 1\nb = 2\n', 'conf.d/extra.conf': 'x\n' },
      reason: 'first',
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(c.body.version, 1);
    const up = await dev.put<{ config: Obj; changed: boolean }>(`${configs}/app`, {
      files: { 'app.conf': 'a = 1\nb = 3\n', 'new.txt': 'hi\n' },
      reason: 'b to 3',
      expectedVersion: 1,
    });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal(up.body.config.version, 2);
    // the same files again: no new version
    const same = await dev.put<{ config: Obj; changed: boolean }>(`${configs}/app`, {
      files: { 'app.conf': 'a = 1\nb = 3\n', 'new.txt': 'hi\n' },
    });
    assert.equal(same.body.changed, false);
    assert.equal(same.body.config.version, 2);
    // a stale edit is refused
    const stale = await dev.put(`${configs}/app`, { files: { 'app.conf': 'z' }, expectedVersion: 1 });
    assert.equal(stale.status, 409);
    const v2 = await dev.get<{ createdBy: string; reason: string; changes: Obj[] }>(
      `${configs}/app/versions/2`,
    );
    assert.equal(v2.body.createdBy, 'dora');
    assert.equal(v2.body.reason, 'b to 3');
    const byPath = Object.fromEntries(v2.body.changes.map((ch) => [ch.path, ch]));
    assert.equal((byPath['app.conf'] as Obj).change, 'modified');
    assert.match((byPath['app.conf'] as Obj).diff as string, /- b = 2\n\+ b = 3/);
    assert.equal((byPath['conf.d/extra.conf'] as Obj).change, 'removed');
    assert.equal((byPath['new.txt'] as Obj).change, 'added');
    const rb = await dev.post<{ config: Obj }>(`${configs}/app/rollback`, { version: 1 });
    assert.equal(rb.status, 200, JSON.stringify(rb.body));
    assert.equal(rb.body.config.version, 3);
    assert.deepEqual(rb.body.config.content, { 'app.conf': 'a = 1\nb = 2\n', 'conf.d/extra.conf': 'x\n' });
    const versions = await dev.get<{ items: Obj[] }>(`${configs}/app/versions`);
    assert.deepEqual(
      versions.body.items.map((v) => [v.number, v.rolledBackFrom]),
      [
        [3, 1],
        [2, null],
        [1, null],
      ],
    );
    const diff = await dev.get<{ changes: Obj[] }>(`${configs}/app/diff?from=2&to=3`);
    assert.equal(diff.body.changes.length, 3);

    // bad input: a path with "..", a file too large, a file that is also a directory; nothing written
    for (const [files, field] of [
      [{ '../etc/passwd': 'x' }, 'files.../etc/passwd'],
      [{ 'big.txt': 'x'.repeat(256 * 1024 + 1) }, 'files.big.txt'],
      [{ a: '1', 'a/b': '2' }, 'files.a'],
      [{ '/abs': '1' }, 'files./abs'],
    ] as const) {
      const bad = await dev.put<{ error: { details: { fields: { path: string }[] } } }>(`${configs}/app`, {
        files,
      });
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      assert.ok(
        bad.body.error.details.fields.some((f) => f.path === field),
        `${field}: ${JSON.stringify(bad.body)}`,
      );
    }
    assert.equal((await dev.get<Obj>(`${configs}/app`)).body.version, 3);
  });

  it("is a wall between projects: another project's developer cannot read, change, mount or delete it", async () => {
    assert.equal((await outsider.get(`${configs}/app`)).status, 404);
    assert.equal((await outsider.get(configs)).status, 404);
    assert.equal((await outsider.put(`${configs}/app`, { files: { x: 'y' } })).status, 404);
    assert.equal((await outsider.delete(`${configs}/app`)).status, 404);
    assert.equal((await outsider.post(`${configs}/app/rollback`, { version: 1 })).status, 404);
    // mounting it from their own project: it does not exist there (400 at the field)
    const svc = await outsider.post<{ error: { details: { fields: { path: string }[] } } }>(
      '/api/v1/projects/other/envs/test/services',
      {
        name: 'thief',
        spec: { ...siteSpec({ replicas: 1 }), mounts: [{ config: 'app', path: '/etc/app' }] },
      },
    );
    assert.equal(svc.status, 400, JSON.stringify(svc.body));
    assert.equal(svc.body.error.details.fields[0]!.path, 'spec.mounts.0.config');
    assert.equal((await dev.get<Obj>(`${configs}/app`)).body.version, 3);
    // a viewer of the project reads it but cannot change, roll back or delete it (403)
    const viewer = await user('vera', 'cfg', 'viewer');
    assert.equal((await viewer.get(`${configs}/app`)).status, 200);
    assert.equal((await viewer.put(`${configs}/app`, { files: { x: 'y' } })).status, 403);
    assert.equal((await viewer.post(`${configs}/app/rollback`, { version: 1 })).status, 403);
    assert.equal((await viewer.delete(`${configs}/app`)).status, 403);
    // a version that does not exist is refused too
    const v = await dev.post<{ error: { details: { fields: { path: string }[] } } }>(base, {
      name: 'v9',
      spec: { ...siteSpec({ replicas: 1 }), mounts: [{ config: 'app', path: '/etc/app', version: 9 }] },
    });
    assert.equal(v.status, 400, JSON.stringify(v.body));
    assert.equal(v.body.error.details.fields[0]!.path, 'spec.mounts.0.version');
  });

  it('rolls a config change out with zero failed requests; service rollback brings the old file back; delete refused while mounted', async () => {
    assert.equal(
      (await dev.post(configs, { name: 'site', files: { 'index.html': 'site-v1\n', 'conf/a.txt': 'a\n' } }))
        .status,
      201,
    );
    const r = await dev.post<{ task: Obj }>(base, { name: 'web', spec: siteSpec() });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
    await settled('web', 1, 3);
    assert.deepEqual(await served('web'), ['site-v1', 'site-v1', 'site-v1']);
    assert.deepEqual(await served('web', '/conf/a.txt'), ['a', 'a', 'a']);

    const load = startLoad(p.api, `${base}/web/endpoints`);
    let refreshed: Obj[];
    try {
      await eventually(async () => (await served('web')).length === 3, 'load started', 5000);
      const up = await dev.put<{ config: Obj; refreshed: Obj[] }>(`${configs}/site`, {
        files: { 'index.html': 'site-v2\n', 'conf/a.txt': 'a2\n' },
        reason: 'new page',
      });
      assert.equal(up.status, 200, JSON.stringify(up.body));
      refreshed = up.body.refreshed;
      assert.equal(refreshed.length, 1, JSON.stringify(refreshed));
      assert.equal(refreshed[0]!.refresh, 'rolling-restart');
      assert.equal(refreshed[0]!.release, 2);
      const task = await waitTask(p.api, refreshed[0]!.task as string);
      assert.equal(task.state, 'succeeded', JSON.stringify(task));
      await settled('web', 2, 3);
    } finally {
      const result = await load.stop();
      assert.equal(result.failed, 0, result.errors.slice(0, 10).join('\n'));
      assert.ok(result.ok > 20, `only ${result.ok} requests`);
      assert.ok((result.bodies.get('site-v2') ?? 0) > 0, JSON.stringify([...result.bodies]));
    }
    assert.deepEqual(await served('web'), ['site-v2', 'site-v2', 'site-v2']);
    assert.deepEqual(await served('web', '/conf/a.txt'), ['a2', 'a2', 'a2']);
    // one engine volume per config version, labelled; the running release's is never collected
    const v2 = await p.engine.listVolumes({ 'berth.instance': p.instanceId, 'berth.config-version': '2' });
    assert.equal(v2.length, 1, JSON.stringify(v2));
    const rel = await p.api.get<{ items: Obj[] }>(`${base}/web/releases`);
    assert.equal(rel.body.items.find((x) => x.number === 2)?.reason, 'config site version 2');

    // the usage graph: both releases, each at the version it runs
    const usage = await dev.get<{ uses: Obj[] }>(`${configs}/site/usage`);
    assert.deepEqual(
      usage.body.uses.map((u) => [u.service, u.release, u.version, u.current]),
      [
        ['web', 2, 2, true],
        ['web', 1, 1, false],
      ],
    );

    // rolling the service back rolls the config back too
    const back = await dev.post<{ task: Obj }>(`${base}/web/rollback`, { release: 1 });
    assert.equal(back.status, 202, JSON.stringify(back.body));
    assert.equal((await waitTask(p.api, back.body.task.id as string)).state, 'succeeded');
    await settled('web', 1, 3);
    assert.deepEqual(await served('web'), ['site-v1', 'site-v1', 'site-v1']);

    // deleting is refused, naming the service
    const del = await dev.delete<{ error: { code: string; message: string; details: { uses: Obj[] } } }>(
      `${configs}/site`,
    );
    assert.equal(del.status, 409, JSON.stringify(del.body));
    assert.equal(del.body.error.code, 'CONFIG_IN_USE');
    assert.match(del.body.error.message, /test\/web/);
    assert.ok(del.body.error.details.uses.length >= 2);
    // once nothing mounts it (the service deleted), it goes
    const gone = await dev.delete<{ task: Obj }>(`${base}/web`);
    assert.equal(gone.status, 202, JSON.stringify(gone.body));
    await eventually(async () => (await p.api.get(`${base}/web`)).status === 404, 'web deleted', 120_000);
    await eventually(
      async () => (await dev.get<{ uses: Obj[] }>(`${configs}/site/usage`)).body.uses.length === 0,
      'no release mounts site',
      60_000,
    );
    assert.equal((await dev.delete(`${configs}/site`)).status, 204);
    assert.equal((await dev.get(`${configs}/site`)).status, 404);
    // its volumes leave the engine in the clean-up pass (the platform's own pass runs every minute)
    const labels = { 'berth.instance': p.instanceId, 'berth.config-volume': 'true' };
    const collector = new ConfigMounts(
      p.server.ctx,
      new ConfigsService(p.server.ctx),
      singleEngine(p.engine),
      () => Promise.resolve(null),
      0,
    );
    await collector.collect();
    assert.deepEqual(await p.engine.listVolumes(labels), []);
  });

  it('signal refresh: the files change in place and the app reloads on SIGHUP, its container not restarted', async () => {
    const js = [
      "const fs = require('fs'); const http = require('http');",
      "let msg = fs.readFileSync('/etc/app/msg.txt', 'utf8').trim();",
      "process.on('SIGHUP', () => { msg = fs.readFileSync('/etc/app/msg.txt', 'utf8').trim(); });",
      'http.createServer((q, s) => s.end(msg)).listen(8080);',
    ].join('\n');
    assert.equal((await dev.post(configs, { name: 'msg', files: { 'msg.txt': 'hello-1\n' } })).status, 201);
    const r = await dev.post<{ task: Obj }>(base, {
      name: 'sig',
      spec: {
        image: 'localhost/berth-node:20',
        command: ['node', '-e', js],
        ports: [{ containerPort: 8080 }],
        readiness: { type: 'http', path: '/', periodSeconds: 1 },
        mounts: [{ config: 'msg', path: '/etc/app', refresh: 'signal', signal: 'SIGHUP' }],
        replicas: 2,
      },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
    await settled('sig', 1, 2);
    assert.deepEqual(await served('sig', '/'), ['hello-1', 'hello-1']);
    const before = await p.api.get<{ items: Obj[] }>(`${base}/sig/containers`);
    const startedBefore = new Map(
      before.body.items.filter((c) => c.state === 'ready').map((c) => [c.name as string, c.id as string]),
    );
    const inspectStarted = async (id: string) => {
      const raw = await p.engine.inspectContainer(id);
      return raw?.startedAt ?? null;
    };
    const startTimes = new Map<string, string | null>();
    for (const [name, id] of startedBefore) startTimes.set(name, await inspectStarted(id));

    const up = await dev.put<{ refreshed: Obj[] }>(`${configs}/msg`, { files: { 'msg.txt': 'hello-2\n' } });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.deepEqual(
      up.body.refreshed.map((x) => [x.service, x.refresh, x.release, x.signalled]),
      [['sig', 'signal', 1, 2]],
    );
    await eventually(
      async () => (await served('sig', '/')).every((b) => b === 'hello-2'),
      'both replicas serve hello-2',
      30_000,
    );
    // the same containers, not restarted, no new release
    const after = await p.api.get<{ items: Obj[] }>(`${base}/sig/containers`);
    const ready = after.body.items.filter((c) => c.state === 'ready');
    assert.deepEqual(ready.map((c) => c.name).sort(), [...startedBefore.keys()].sort());
    for (const c of ready)
      assert.equal(await inspectStarted(c.id as string), startTimes.get(c.name as string));
    assert.equal((await p.api.get<Obj>(`${base}/sig`)).body.release, 1);
    const usage = await dev.get<{ uses: Obj[] }>(`${configs}/msg/usage`);
    assert.deepEqual(
      usage.body.uses.map((u) => [u.service, u.release, u.version, u.refresh]),
      [['sig', 1, 2, 'signal']],
    );
  });
});
