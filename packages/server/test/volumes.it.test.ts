import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testDialects } from './helpers/db';
import {
  eventually,
  makeProject,
  podmanSocket,
  startPlatform,
  testImage,
  userWithRole,
  type TestApi,
  waitTask,
  type TestPlatform,
} from './helpers/platform';
import { digests, exportVolume, importVolume, readTar, volumeAppSpec } from './helpers/volumes';

type Obj = Record<string, unknown>;
const envBase = (project: string) => `/api/v1/projects/${project}/envs/test`;

const fieldPaths = (body: unknown) =>
  (((body as Obj).error as Obj).details as { fields?: { path: string }[] } | undefined)?.fields?.map(
    (f) => f.path,
  ) ?? [];
const message = (body: unknown) => ((body as Obj).error as Obj).message as string;

for (const dialect of testDialects())
  describe(`volume classes and volumes: store, API, tenancy (${dialect})`, () => {
    let p: TestPlatform;
    let devB: TestApi;
    let viewerA: TestApi;
    const vols = `${envBase('vola')}/volumes`;

    before(async () => {
      p = await startPlatform({}, { dialect });
      await makeProject(p.api, 'vola');
      await makeProject(p.api, 'volb');
      devB = await userWithRole(p, 'bob', 'developer', 'volb');
      viewerA = await userWithRole(p, 'vic', 'viewer', 'vola');
    });
    after(async () => {
      for (const v of (await p.engine.listVolumes({ 'berth.instance': p.instanceId }).catch(() => [])) ?? [])
        await p.engine.removeVolume(v.name).catch(() => undefined);
      await p?.close();
    });

    it('lets platform admins define classes, checks them, and shows them to everyone', async () => {
      const denied = await devB.put('/api/v1/volume-classes/fast', { kind: 'local' });
      assert.equal(denied.status, 403);
      const noServer = await p.api.put('/api/v1/volume-classes/nas', { kind: 'nfs', path: '/exports' });
      assert.equal(noServer.status, 400);
      assert.deepEqual(fieldPaths(noServer.body), ['server']);
      const addr = await p.api.put('/api/v1/volume-classes/nas', {
        kind: 'nfs',
        server: '127.0.0.1',
        path: '/exports/berth',
        mountOptions: ['addr=10.0.0.1'],
      });
      assert.equal(addr.status, 400);
      assert.deepEqual(fieldPaths(addr.body), ['mountOptions.0']);
      assert.equal(
        (await p.api.put('/api/v1/volume-classes/fast', { kind: 'local', maxSizeMiB: 4096 })).status,
        200,
      );
      const nas = await p.api.put('/api/v1/volume-classes/nas', {
        kind: 'nfs',
        server: '127.0.0.1',
        path: '/exports/berth',
        mountOptions: ['nfsvers=4.1', 'soft', 'timeo=10', 'retrans=1'],
      });
      assert.equal(nas.status, 200, JSON.stringify(nas.body));
      assert.equal(nas.body.shared, true);
      const list = await devB.get<{ items: Obj[] }>('/api/v1/volume-classes');
      assert.deepEqual(
        list.body.items.map((c) => [c.name, c.kind]),
        [
          ['fast', 'local'],
          ['nas', 'nfs'],
        ],
      );
    });

    it('creates a local volume, reports honestly whether its size is enforced, and refuses bad input', async () => {
      const bad = await p.api.post(vols, { name: 'x', class: 'nope', sizeMiB: 10 });
      assert.equal(bad.status, 422);
      assert.match(message(bad.body), /fast, nas/);
      const big = await p.api.post(vols, { name: 'x', class: 'fast', sizeMiB: 8192 });
      assert.equal(big.status, 422);
      assert.deepEqual(fieldPaths(big.body), ['sizeMiB']);
      const badName = await p.api.post(vols, { name: 'Bad_Name', class: 'fast', sizeMiB: 10 });
      assert.equal(badName.status, 400);

      const made = await p.api.post(vols, { name: 'data', class: 'fast', sizeMiB: 64 });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assert.equal(made.body.cluster, 'local');
      const info = await p.engine.inspectVolume(made.body.engineName as string);
      assert.ok(info, 'the engine volume exists');
      assert.equal(info.labels['berth.project'], 'vola');
      // enforced exactly when podman kept the size option (XFS with project quotas)
      assert.equal(made.body.sizeEnforced, info.options.o === 'size=64m', JSON.stringify(info.options));
      if (!made.body.sizeEnforced) assert.match(made.body.sizeNote as string, /project quotas/);

      const dup = await p.api.post(vols, { name: 'data', class: 'fast', sizeMiB: 64 });
      assert.equal(dup.status, 409);
      const list = await p.api.get<{ items: Obj[] }>(vols);
      assert.deepEqual(
        list.body.items.map((v) => [v.name, v.class, v.sizeMiB, typeof v.usageBytes]),
        [['data', 'fast', 64, 'number']],
      );
      // a viewer reads, but cannot create
      assert.equal((await viewerA.get(`${vols}/data`)).status, 200);
      assert.equal((await viewerA.post(vols, { name: 'v2', class: 'fast', sizeMiB: 1 })).status, 403);
    });

    it('keeps a developer of another project out: cannot see, mount, export, import or delete it', async () => {
      assert.equal((await devB.get(vols)).status, 404);
      assert.equal((await devB.get(`${vols}/data`)).status, 404);
      assert.equal((await devB.post(vols, { name: 'mine', class: 'fast', sizeMiB: 1 })).status, 404);
      const exp = await fetch(`${p.url}${vols}/data/export`, {
        headers: { Authorization: `Bearer ${devB.token}` },
      });
      assert.equal(exp.status, 404);
      assert.equal((await importVolume(devB, `${vols}/data`, Buffer.alloc(1024))).status, 404);
      assert.equal((await devB.delete(`${vols}/data`)).status, 404);
      // a mount names a volume of the service's own project and env: "data" is not volb's
      const svc = await devB.post(`${envBase('volb')}/services`, {
        name: 'thief',
        spec: { image: testImage, command: ['sleep', '1000'], mounts: [{ volume: 'data', path: '/data' }] },
      });
      assert.equal(svc.status, 400, JSON.stringify(svc.body));
      assert.deepEqual(fieldPaths(svc.body), ['spec.mounts.0.volume']);
      assert.equal((await devB.get(`${envBase('volb')}/services/thief`)).status, 404, 'nothing was created');
      assert.equal((await p.api.get(`${vols}/data`)).status, 200, 'still there');
    });

    it('generates nfs options and fails clearly when the server cannot be mounted, recording nothing', async () => {
      const r = await p.api.post(vols, { name: 'shared', class: 'nas', sizeMiB: 100 });
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.match(
        message(r.body),
        /nfs server of class 'nas' \(127\.0\.0\.1:\/exports\/berth\) could not be mounted/,
      );
      // podman's own mount error is passed on (no nfs helper on this host, or nothing listens)
      assert.match(message(r.body), /mount/i);
      assert.equal((await p.api.get(`${vols}/shared`)).status, 404);
      const left = await p.engine.listVolumes({ 'berth.volume-class': 'nas' });
      assert.deepEqual(left, [], 'the class root volume is removed again');
    });

    it('counts volumes against the project quota (volumesGiB)', async () => {
      assert.equal((await p.api.put('/api/v1/projects/vola/quota', { volumesGiB: 1 })).status, 200);
      const q = await p.api.get<{ usage: Obj; remaining: Obj }>('/api/v1/projects/vola/quota');
      assert.equal(q.body.usage.volumesGiB, 0.063, 'the 64 MiB volume "data"');
      assert.equal(q.body.remaining.volumesGiB, 0.937);
      const over = await p.api.post(vols, { name: 'huge', class: 'fast', sizeMiB: 1000 });
      assert.equal(over.status, 422);
      assert.equal(((over.body as Obj).error as Obj).code, 'QUOTA_EXCEEDED');
      assert.deepEqual(fieldPaths(over.body), ['sizeMiB']);
      assert.equal((await p.api.put('/api/v1/projects/vola/quota', {})).status, 200);
    });

    it('deletes an unused volume and its engine volume; a class with volumes cannot be deleted', async () => {
      assert.equal((await p.api.delete('/api/v1/volume-classes/fast')).status, 409);
      const v = await p.api.get(`${vols}/data`);
      assert.equal((await p.api.delete(`${vols}/data`)).status, 204);
      assert.equal(await p.engine.inspectVolume(v.body.engineName as string), null);
      assert.equal((await p.api.delete('/api/v1/volume-classes/fast')).status, 204);
    });
  });

describe('volume data: services, rolling updates, restarts, export and import (sqlite, real Podman)', () => {
  let p: TestPlatform;
  const project = 'voldata';
  const vols = `${envBase(project)}/volumes`;
  const services = `${envBase(project)}/services`;

  const appSpec = (version: string) => volumeAppSpec(version);

  const files = async (name: string) => readTar(await exportVolume(p.api, `${vols}/${name}`));
  const logLines = async () =>
    (await files('data')).get('log')?.content.toString('utf8').trim().split('\n') ?? [];

  before(async () => {
    p = await startPlatform();
    await makeProject(p.api, project);
    assert.equal((await p.api.put('/api/v1/volume-classes/fast', { kind: 'local' })).status, 200);
    assert.equal((await p.api.post(vols, { name: 'data', class: 'fast', sizeMiB: 64 })).status, 201);
  });
  after(async () => {
    await p?.close();
    for (const v of await p.engine.listVolumes({ 'berth.instance': p.instanceId }).catch(() => []))
      await p.engine.removeVolume(v.name).catch(() => undefined);
  });

  it('refuses a placement that cannot reach the cluster a local volume lives on (400)', async () => {
    // a second cluster name for the same Podman: the volume lives on "twin"
    const c = await p.api.post('/api/v1/clusters', {
      name: 'twin',
      kind: 'podman',
      endpoint: `unix://${podmanSocket}`,
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(
      (await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local', 'twin'] })).status,
      200,
    );
    assert.equal(
      (await p.api.post(vols, { name: 'pinned', class: 'fast', sizeMiB: 8, cluster: 'twin' })).status,
      201,
    );
    const spec = {
      image: testImage,
      command: ['sleep', '1000'],
      replicas: 0,
      mounts: [{ volume: 'pinned', path: '/p' }],
    };
    const onLocal = await p.api.post(services, { name: 'pinned-a', spec });
    assert.equal(onLocal.status, 400, JSON.stringify(onLocal.body));
    assert.deepEqual(fieldPaths(onLocal.body), ['spec.placement']);
    assert.match(message(onLocal.body), /cluster 'twin' only/);
    const everywhere = await p.api.post(services, {
      name: 'pinned-b',
      spec: { ...spec, placement: { clusters: 'all' } },
    });
    assert.equal(everywhere.status, 400);
    const onTwin = await p.api.post(services, {
      name: 'pinned-c',
      spec: { ...spec, placement: { clusters: [{ name: 'twin' }] } },
    });
    assert.equal(onTwin.status, 202, JSON.stringify(onTwin.body));
    await waitTask(p.api, (onTwin.body.task as Obj).id as string);
    assert.equal((await p.api.delete(`${services}/pinned-c`)).status, 202);
    await eventually(
      async () => (await p.api.get(`${services}/pinned-c`)).status === 404,
      'pinned-c deleted',
    );
    assert.equal((await p.api.delete(`${vols}/pinned`)).status, 204);
    assert.equal((await p.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local'] })).status, 200);
  });

  let blob = '';
  it('keeps data a service wrote across a rolling update and a restart of its container', async () => {
    const made = await p.api.post(services, { name: 'app', spec: appSpec('v1') });
    assert.equal(made.status, 202, JSON.stringify(made.body));
    assert.equal((await waitTask(p.api, (made.body.task as Obj).id as string)).state, 'succeeded');
    const first = await files('data');
    blob = first.get('sub/blob')!.sha256;
    assert.equal(first.get('sub/blob')!.size, 1048576);
    assert.deepEqual(
      (await logLines()).map((l) => l.split(' ')[0]),
      ['v1'],
    );

    const upd = await p.api.put(`${services}/app`, { spec: appSpec('v2') });
    assert.equal(upd.status, 202, JSON.stringify(upd.body));
    assert.equal((await waitTask(p.api, (upd.body.task as Obj).id as string)).state, 'succeeded');
    assert.deepEqual(
      (await logLines()).map((l) => l.split(' ')[0]),
      ['v1', 'v2'],
    );
    assert.equal((await files('data')).get('sub/blob')!.sha256, blob, 'the blob is the one v1 wrote');

    // the container dies (kill); the controller starts a new one on the same volume
    const running = await p.engine.listContainers({
      'berth.instance': p.instanceId,
      'berth.project': project,
    });
    const current = running.find((c) => c.state === 'running');
    assert.ok(current, 'a running container');
    await p.engine.stopContainer(current.id, 0);
    const lines = await eventually(
      async () => {
        const l = await logLines();
        return l.length >= 3 ? l : null;
      },
      'a third start writing to the log',
      120_000,
      500,
    );
    assert.deepEqual(
      lines.map((l) => l.split(' ')[0]),
      ['v1', 'v2', 'v2'],
    );
    assert.equal((await files('data')).get('sub/blob')!.sha256, blob);
    const v = await p.api.get(`${vols}/data`);
    assert.ok((v.body.usageBytes as number) >= 1048576, `usage ${String(v.body.usageBytes)}`);
  });

  it('refuses to delete a mounted volume, naming the service and its container', async () => {
    const r = await p.api.delete(`${vols}/data`);
    assert.equal(r.status, 409);
    assert.match(message(r.body), /service 'app'/);
    assert.match(message(r.body), /container 'voldata-test-app-/);
    const users = ((r.body as Obj).error as Obj).details as { users: Obj[] };
    assert.equal(users.users[0]!.kind, 'service');
    assert.ok(
      users.users.slice(1).every((u) => u.kind === 'container' && u.service === 'app'),
      JSON.stringify(users),
    );
    assert.ok(users.users.length >= 2);
    const v = await p.api.get<{ usedBy: Obj[] }>(`${vols}/data`);
    assert.equal(v.body.usedBy[0]!.name, 'app');

    // a cron job's spec mounts it too (suspended: it never runs here)
    const cronjobs = `${envBase(project)}/cronjobs`;
    const job = await p.api.post(cronjobs, {
      name: 'nightly',
      spec: {
        image: testImage,
        command: ['true'],
        schedule: '0 3 * * *',
        suspend: true,
        mounts: [{ volume: 'data', path: '/data', readOnly: true }],
      },
    });
    assert.equal(job.status, 201, JSON.stringify(job.body));
    const both = await p.api.delete(`${vols}/data`);
    assert.equal(both.status, 409);
    assert.match(message(both.body), /service 'app'.*cron job 'nightly'/);
    assert.equal((await p.api.delete(`${cronjobs}/nightly`)).status, 204);
  });

  it('exports a volume and imports it into a new one byte for byte', async () => {
    const original = await files('data');
    assert.equal((await p.api.post(vols, { name: 'copy', class: 'fast', sizeMiB: 64 })).status, 201);
    const tar = await exportVolume(p.api, `${vols}/data`);
    const put = await importVolume(p.api, `${vols}/copy`, tar);
    assert.equal(put.status, 204, put.body);
    const copy = await files('copy');
    assert.deepEqual(digests(copy), digests(original));
    assert.equal(digests(copy)['sub/blob'], blob);
    assert.equal(copy.get('log')!.mode, original.get('log')!.mode);

    // not a tar, the wrong type, and more than the volume holds: refused, nothing changes
    const junk = await importVolume(p.api, `${vols}/copy`, randomBytes(4096));
    assert.equal(junk.status, 400, junk.body);
    const type = await importVolume(p.api, `${vols}/copy`, tar, 'application/x-www-form-urlencoded');
    assert.ok([400, 415].includes(type.status), `${type.status} ${type.body}`);
    assert.equal((await p.api.post(vols, { name: 'tiny', class: 'fast', sizeMiB: 1 })).status, 201);
    const bigDir = mkdtempSync(path.join(tmpdir(), 'berth-vol-'));
    writeFileSync(path.join(bigDir, 'big'), randomBytes(6 * 1024 * 1024));
    const bigTar = spawnSync('tar', ['-cf', '-', '-C', bigDir, '.'], { maxBuffer: 64 * 1024 * 1024 }).stdout;
    rmSync(bigDir, { recursive: true, force: true });
    const tooBig = await importVolume(p.api, `${vols}/tiny`, bigTar);
    assert.equal(tooBig.status, 413, tooBig.body);
    assert.equal((await files('tiny')).size, 0, 'nothing was extracted');
    assert.deepEqual(digests(await files('copy')), digests(original));
    assert.equal((await p.api.delete(`${vols}/copy`)).status, 204);
    assert.equal((await p.api.delete(`${vols}/tiny`)).status, 204);
  });

  it('allows the deletion once nothing mounts the volume', async () => {
    assert.equal((await p.api.delete(`${services}/app`)).status, 202);
    await eventually(async () => (await p.api.get(`${services}/app`)).status === 404, 'app deleted', 120_000);
    const r = await eventually(
      async () => {
        const d = await p.api.delete(`${vols}/data`);
        return d.status === 204 ? d : null;
      },
      'the volume deleted once its containers are gone',
      60_000,
      500,
    );
    assert.equal(r.status, 204);
  });
});
