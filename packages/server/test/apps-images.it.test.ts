/**
 * The app store's images (docs/apps.md "Images") on the real Podman engine and a real embedded
 * registry: the build API's refusals, a build task that runs scripts/app-images.sh and pushes to
 * the registry, the image list, and installs whose image is missing — `preparing`, then running
 * from the registry's copy; a failed build leaves the instance `failed` naming the task.
 *
 * Nothing real is rebuilt: the platform names its images with a throwaway prefix and builds from
 * a test directory whose redis/Containerfile starts FROM the real localhost/berth-apps/redis:7
 * (seconds), with the real base; mariadb has no Containerfile there, so its build fails.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  eventually,
  makeProject,
  startPlatform,
  userWithRole,
  waitTask,
  type TestApi,
  type TestPlatform,
} from './helpers/platform';
import { startAuthRegistry, type TestRegistry } from './helpers/local-registry';
import { freePort } from './helpers/net';
import { appImagesBuilt } from './helpers/app-images';

// under npm test the real images are built beside the first test files (helpers/app-images.ts)
await appImagesBuilt();

const run = promisify(execFile);
type Obj = Record<string, unknown>;
const instances = (project: string) => `/api/v1/projects/${project}/envs/test/app-instances`;
const fields = (body: unknown) =>
  ((((body as Obj).error as Obj).details as Obj | undefined)?.fields as { path: string }[] | undefined) ?? [];

const suffix = randomBytes(3).toString('hex');
const prefix = `localhost/berth-apps-t${suffix}`;

describe('app store images: build task, registry, install on first use', () => {
  let p: TestPlatform;
  let registry: TestRegistry;
  let dev: TestApi;
  let dir: string;
  let realRedis = false;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-app-images-'));
    // the fake catalog directory: redis only, built on the real image (no download of redis)
    mkdirSync(path.join(dir, 'images', 'redis'), { recursive: true });
    writeFileSync(
      path.join(dir, 'images', 'redis', 'Containerfile'),
      `FROM localhost/berth-apps/redis:7\nLABEL io.berth.test=${suffix}\n`,
    );
    p = await startPlatform({
      BERTH_REGISTRY_LISTEN: `127.0.0.1:${await freePort()}`,
      BERTH_APP_IMAGES_PREFIX: prefix,
      BERTH_APP_IMAGES_BASE: 'localhost/berth-apps/debian:12',
      BERTH_APP_IMAGES_DIR: path.join(dir, 'images'),
    });
    registry = await startAuthRegistry(p, path.join(dir, 'registry'));
    await makeProject(p.api, 'shop');
    dev = await userWithRole(p, 'dana', 'developer', 'shop');
    const cls = await p.api.put('/api/v1/volume-classes/local', { kind: 'local' });
    assert.equal(cls.status, 200, JSON.stringify(cls.body));
    realRedis = (await p.engine.inspectImage('localhost/berth-apps/redis:7').catch(() => null)) !== null;
  });

  after(async () => {
    for (const v of (await p?.engine.listVolumes({ 'berth.instance': p.instanceId }).catch(() => [])) ?? [])
      await p.engine.removeVolume(v.name).catch(() => undefined);
    await p?.close();
    await registry?.stop();
    // only what this file made: the throwaway prefix and the copy pulled from its registry
    const host = p?.server.ctx.config.registryListen;
    for (const image of [`${prefix}/redis:7`, `${host}/berth-apps/redis:7`])
      await run('podman', ['rmi', '--ignore', image]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses non-admins (403) and apps it cannot build (422 at apps.N)', async () => {
    assert.equal((await dev.post('/api/v1/apps/images/build', {})).status, 403);
    assert.equal((await dev.get('/api/v1/apps/images')).status, 403);
    const bad = await p.api.post('/api/v1/apps/images/build', { apps: ['redis', 'nope'] });
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    assert.deepEqual(
      fields(bad.body).map((f) => f.path),
      ['apps.1'],
    );
    const list = await p.api.get<{ items: Obj[] }>('/api/v1/apps/images');
    assert.equal(list.status, 200);
    const redis = list.body.items.find((i) => i.name === 'redis')!;
    assert.equal(redis.localImage, `${prefix}/redis:7`);
    assert.equal(redis.state, 'missing', JSON.stringify(redis));
  });

  it('an install whose image is missing is preparing, then running from the registry', async (t) => {
    if (!realRedis)
      return t.skip('localhost/berth-apps/redis:7 is not built: run scripts/app-images.sh redis');
    const created = await dev.post<Obj>(instances('shop'), {
      app: 'redis',
      name: 'cache',
      params: { storageMiB: 64 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.state, 'preparing');
    const task = (created.body.preparing as { task: string }).task;
    assert.match(task, /^[a-z0-9]+$/);
    assert.equal(typeof created.body.password, 'string');
    // the build is a task an admin follows; a second build is refused while it runs
    const again = await p.api.post<Obj>('/api/v1/apps/images/build', { apps: ['redis'] });
    assert.ok([202, 409].includes(again.status), JSON.stringify(again.body));

    const done = await waitTask(p.api, task, 180_000);
    assert.equal(done.state, 'succeeded', JSON.stringify(done));
    const log = await p.api.get<{ items: { line: string }[] }>(`/api/v1/tasks/${task}/log`);
    const lines = log.body.items.map((l) => l.line).join('\n');
    assert.match(lines, new RegExp(`built ${prefix}/redis:7`));
    assert.match(lines, /pushed .*berth-apps\/redis:7 \(sha256:/);

    const host = p.server.ctx.config.registryListen!;
    const detail = await eventually(
      async () => {
        const r = await dev.get<Obj>(`${instances('shop')}/cache`);
        if (r.body.state === 'failed') throw new Error(`instance failed: ${JSON.stringify(r.body)}`);
        return r.body.state === 'running' ? r.body : null;
      },
      'the instance running',
      180_000,
      500,
    );
    assert.equal(detail.preparing, undefined);
    const svc = await dev.get<{ spec: { image: string } }>('/api/v1/projects/shop/envs/test/services/cache');
    assert.equal(svc.body.spec.image, `${host}/berth-apps/redis:7`);

    const list = await p.api.get<{ items: Obj[] }>('/api/v1/apps/images');
    const redis = list.body.items.find((i) => i.name === 'redis')!;
    assert.equal(redis.state, 'registry', JSON.stringify(redis));
    assert.match(String(redis.digest), /^sha256:[0-9a-f]{64}$/);
    assert.equal(redis.registryImage, `${host}/berth-apps/redis:7`);
    assert.ok(redis.pushedAt);
    const pub = await p.api.get<{ items: string[] } | string[]>(
      '/api/v1/registries/local/public-repositories',
    );
    assert.match(JSON.stringify(pub.body), /berth-apps\/redis/);
  });

  it('a failed build leaves the instance failed with the message and the task', async () => {
    const created = await dev.post<Obj>(instances('shop'), {
      app: 'mariadb',
      name: 'db',
      params: { storageMiB: 64 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.state, 'preparing');
    const task = (created.body.preparing as { task: string }).task;
    const failed = await eventually(
      async () => {
        const r = await dev.get<Obj>(`${instances('shop')}/db`);
        return r.body.state === 'failed' ? r.body : null;
      },
      'the instance failed',
      120_000,
      500,
    );
    const prep = failed.preparing as { task: string; error: string };
    assert.equal(prep.task, task);
    assert.match(prep.error, new RegExp(`task ${task}`));
    assert.match(prep.error, /mariadb\/Containerfile does not exist/);
    assert.equal((await waitTask(p.api, task, 60_000)).state, 'failed');
    const del = await dev.delete(`${instances('shop')}/db?keepVolumes=false`);
    assert.equal(del.status, 202, JSON.stringify(del.body));
  });
});
