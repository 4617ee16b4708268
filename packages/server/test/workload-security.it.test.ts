/**
 * Workloads run restricted by default (issue 10), on the real Podman engine: root in every form
 * needs services:exec-root, capabilities need services:capabilities, and every container Berth
 * starts has no capability outside its allowlist, no-new-privileges, a PID limit and (when asked)
 * a read-only root filesystem. Tried as a developer: every attempt is a 403 with an audit event,
 * and nothing is created or changed.
 */
import http from 'node:http';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  eventually,
  makeProject,
  podmanSocket,
  startPlatform,
  TestApi,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';

type Obj = Record<string, unknown>;

interface Inspect {
  Config: { User: string };
  EffectiveCaps: string[] | null;
  BoundingCaps: string[] | null;
  HostConfig: {
    CapAdd: string[] | null;
    SecurityOpt: string[] | null;
    PidsLimit: number;
    ReadonlyRootfs: boolean;
  };
}

/** `podman inspect` of one container, straight from the libpod API. */
function inspectRaw(id: string): Promise<Inspect> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: podmanSocket, path: `/v4.3.1/libpod/containers/${id}/json`, method: 'GET' },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(data) as Inspect) : reject(new Error(data)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const toorImage = `localhost/berth-wsx-toor-${randomBytes(3).toString('hex')}:1`;

describe('workloads run restricted by default', () => {
  let p: TestPlatform;
  let base: string;
  let dev: TestApi;
  let outsider: TestApi;
  let admin: TestApi;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-wsx-'));

  async function user(name: string, role: string, scope: { kind: string; name: string }): Promise<TestApi> {
    assert.equal((await p.api.post('/api/v1/users', { name, password: `${name}-password` })).status, 201);
    const b = await p.api.post('/api/v1/bindings', { user: name, role, scope });
    assert.equal(b.status, 201, JSON.stringify(b.body));
    return TestApi.login(p.url, name, `${name}-password`);
  }

  async function containersOf(service: string): Promise<Inspect[]> {
    const list = await p.api.get<{ items: Obj[] }>(`${base}/${service}/containers`);
    const running = list.body.items.filter((c) => ['ready', 'running'].includes(c.state as string));
    return Promise.all(running.map((c) => inspectRaw(c.id as string)));
  }

  async function healthy(service: string): Promise<void> {
    await eventually(async () => {
      const r = await p.api.get(`${base}/${service}`);
      return r.body.status === 'healthy' ? r : null;
    }, `${service} healthy`);
  }

  before(async () => {
    // An image whose /etc/passwd maps the name "toor" to uid 0 (and whose default user is toor).
    writeFileSync(
      path.join(dir, 'passwd'),
      'root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0:root in disguise:/:/bin/sh\napp:x:1000:1000::/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n',
    );
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      'FROM localhost/berth-busybox:1\nCOPY passwd /etc/passwd\nUSER toor\n',
    );
    p = await startPlatform();
    const ctxTar = spawn('tar', ['-C', dir, '-c', 'Dockerfile', 'passwd'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    for await (const _line of p.engine.buildImage(ctxTar.stdout, { tag: toorImage })) void _line;
    const pub = await p.api.post('/api/v1/registries/local-store/public-repositories', {
      repository: toorImage.slice('localhost/'.length).split(':')[0],
    });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    base = await makeProject(p.api, 'alpha');
    await makeProject(p.api, 'beta');
    dev = await user('dave', 'developer', { kind: 'project', name: 'alpha' });
    outsider = await user('olga', 'developer', { kind: 'project', name: 'beta' });
    admin = await user('tina', 'team-admin', { kind: 'team', name: 'team-alpha' });
  });
  after(async () => {
    await p?.close();
    await p?.engine.removeImage(toorImage).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const rootForms: [string, string][] = [
    ['0', testImageName()],
    ['00', testImageName()],
    ['root', testImageName()],
    ['0:0', testImageName()],
    ['0:1000', testImageName()],
    ['root:root', testImageName()],
    ['4294967296', testImageName()],
    ['toor', toorImage],
    ['toor:1000', toorImage],
  ];
  function testImageName(): string {
    return 'localhost/berth-busybox:1';
  }

  it('refuses every form of root to a developer at create: 403 naming spec.user, audited, nothing created', async () => {
    for (const [i, [u, image]] of rootForms.entries()) {
      const name = `root${i}`;
      const r = await dev.post(base, { name, spec: { ...webSpec('x', 1), image, user: u } });
      assert.equal(r.status, 403, `user ${u}: ${JSON.stringify(r.body)}`);
      const err = r.body.error as Obj;
      assert.match(err.message as string, /spec\.user/, u);
      assert.match(err.message as string, /services:exec-root/, u);
      assert.deepEqual(((err.details as Obj).fields as Obj[])[0]!.path, 'spec.user');
      assert.equal((await p.api.get(`${base}/${name}`)).status, 404, `${name} was not created`);
    }
    const audit = await p.api.get<{ items: Obj[] }>('/api/v1/audit?actor=dave&action=services.create');
    const denied = audit.body.items.filter((a) => a.result === 'denied' && a.statusCode === 403);
    assert.equal(denied.length, rootForms.length);
    const mine = await p.engine.listContainers({ 'berth.instance': p.instanceId, 'berth.project': 'alpha' });
    assert.equal(mine.length, 0, 'no container was started');
  });

  it('refuses a developer of another project outright, and capabilities to a plain developer', async () => {
    const other = await outsider.post(base, { name: 'sneak', spec: { ...webSpec('x', 1), user: '0' } });
    assert.equal(other.status, 404);
    const caps = await dev.post(base, {
      name: 'capped',
      spec: { ...webSpec('x', 1), capabilities: ['NET_BIND_SERVICE'] },
    });
    assert.equal(caps.status, 403, JSON.stringify(caps.body));
    assert.match((caps.body.error as Obj).message as string, /services:capabilities/);
    assert.equal((((caps.body.error as Obj).details as Obj).fields as Obj[])[0]!.path, 'spec.capabilities');
    const bad = await admin.post(base, {
      name: 'sysadmin',
      spec: { ...webSpec('x', 1), capabilities: ['SYS_ADMIN'] },
    });
    assert.equal(bad.status, 400, 'SYS_ADMIN is not a capability a service can ask for');
    assert.equal((await p.api.get(`${base}/capped`)).status, 404);
    assert.equal((await p.api.get(`${base}/sysadmin`)).status, 404);
    const audit = await p.api.get<{ items: Obj[] }>('/api/v1/audit?actor=olga');
    assert.ok(audit.body.items.some((a) => a.result === 'denied'));
  });

  it('runs a developer service restricted: no capabilities, no-new-privileges, PID limit, not root', async () => {
    const r = await dev.post<{ task: Obj }>(base, { name: 'plain', spec: webSpec('plain', 2) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(dev, r.body.task.id as string)).state, 'succeeded');
    const list = await containersOf('plain');
    assert.equal(list.length, 2);
    for (const c of list) {
      assert.deepEqual(c.EffectiveCaps ?? [], []);
      assert.deepEqual(c.BoundingCaps ?? [], []);
      assert.deepEqual(c.HostConfig.CapAdd ?? [], []);
      assert.ok(
        c.HostConfig.SecurityOpt?.includes('no-new-privileges'),
        JSON.stringify(c.HostConfig.SecurityOpt),
      );
      assert.equal(c.HostConfig.PidsLimit, 1024);
      assert.equal(c.HostConfig.ReadonlyRootfs, false);
      assert.equal(c.Config.User, '65534:65534', 'a root image runs as nobody');
    }
    // Updates are checked too: the release stays as it was.
    const up = await dev.put(`${base}/plain`, { spec: { ...webSpec('plain', 2), user: 'root:root' } });
    assert.equal(up.status, 403);
    assert.equal((await p.api.get(`${base}/plain`)).body.release, 1);
    // A non-root uid with group 0 is allowed (documented): group 0 grants no privilege here.
    const gid0 = await dev.put<{ task: Obj }>(`${base}/plain`, {
      spec: { ...webSpec('plain', 1), user: '1000:0' },
    });
    assert.equal(gid0.status, 202, JSON.stringify(gid0.body));
    assert.equal((await waitTask(dev, gid0.body.task.id as string)).state, 'succeeded');
    for (const c of await containersOf('plain')) assert.equal(c.Config.User, '1000:0');
  });

  it('runs an image whose default user is a name for uid 0 as nobody', async () => {
    const r = await dev.post<{ task: Obj }>(base, {
      name: 'toor-default',
      spec: { ...webSpec('t', 1), image: toorImage },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(dev, r.body.task.id as string)).state, 'succeeded');
    for (const c of await containersOf('toor-default')) assert.equal(c.Config.User, '65534:65534');
  });

  it('lets a team admin run as root and keep an allowlisted capability, read-only, with a PID limit', async () => {
    const r = await admin.post<{ task: Obj }>(base, {
      name: 'rooty',
      spec: {
        ...webSpec('r', 1),
        user: '0',
        capabilities: ['NET_BIND_SERVICE'],
        readOnlyRootFilesystem: true,
        resources: { pids: 200 },
      },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(admin, r.body.task.id as string)).state, 'succeeded');
    await healthy('rooty');
    const [c] = await containersOf('rooty');
    assert.ok(c);
    assert.equal(c.Config.User, '0');
    assert.deepEqual(c.EffectiveCaps, ['CAP_NET_BIND_SERVICE']);
    assert.ok(c.HostConfig.SecurityOpt?.includes('no-new-privileges'));
    assert.equal(c.HostConfig.PidsLimit, 200);
    assert.equal(c.HostConfig.ReadonlyRootfs, true);
    const svc = await p.api.get<{ spec: Obj }>(`${base}/rooty`);
    assert.equal(svc.body.spec.runAsRoot, true, 'a permitted root user is recorded as runAsRoot');
    // The team admin moves it off root; a developer may not roll back to the root release.
    const up = await admin.put<{ task: Obj }>(`${base}/rooty`, {
      spec: { ...webSpec('r', 1), user: '1000' },
    });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    await waitTask(admin, up.body.task.id as string);
    const back = await dev.post(`${base}/rooty/rollback`, { release: 1 });
    assert.equal(back.status, 403, JSON.stringify(back.body));
    assert.match((back.body.error as Obj).message as string, /services:exec-root/);
    assert.equal((await p.api.get(`${base}/rooty`)).body.release, 2, 'the rollback did not happen');
  });

  it('refuses at the runner a root release that got past admission (defence in depth)', async () => {
    const r = await admin.post<{ task: Obj; service: Obj }>(base, {
      name: 'legacy',
      spec: { ...webSpec('l', 1), user: '1000' },
    });
    assert.equal(r.status, 202);
    await waitTask(admin, r.body.task.id as string);
    // A release written before these checks existed: user toor (uid 0) without runAsRoot.
    const { id } = await p.server.ctx.db
      .selectFrom('services')
      .select('id')
      .where('project', '=', 'alpha')
      .where('name', '=', 'legacy')
      .executeTakeFirstOrThrow();
    const row = await p.server.ctx.db
      .selectFrom('releases')
      .selectAll()
      .where('service_id', '=', id)
      .where('number', '=', 1)
      .executeTakeFirstOrThrow();
    const spec = { ...(JSON.parse(row.spec) as Obj), user: 'toor', image: toorImage, runAsRoot: false };
    await p.server.ctx.db
      .insertInto('releases')
      .values({ ...row, number: 2, spec: JSON.stringify(spec), state: 'pending', reason: 'legacy' })
      .execute();
    await p.server.ctx.db.updateTable('services').set({ release: 2 }).where('id', '=', id).execute();
    const restart = await p.api.post(`${base}/legacy/restart`, {});
    assert.equal(restart.status, 202);
    const ev = await eventually(async () => {
      const e = await p.api.get<{ items: Obj[] }>(`${base}/legacy/events?type=RootRefused`);
      return e.body.items.length ? e.body.items : null;
    }, 'a RootRefused event');
    assert.match(ev[0]!.message as string, /spec\.user "toor" runs as root/);
    for (const c of await containersOf('legacy'))
      assert.equal(c.Config.User, '1000', 'only the old container runs');
  });
});
