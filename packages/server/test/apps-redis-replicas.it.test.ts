/**
 * Redis with read replicas and its config file (docs/apps.md, "Redis replicas", "Config files"),
 * judged with redis-cli through the connection info: a key SET on the primary is read on a
 * replica, the primary counts its replicas, a replica refuses writes (READONLY); a new version of
 * `{name}-conf` rolls the members and CONFIG GET shows it; a rotation rolls primary and replicas
 * to the new password; delete removes the config with the instance.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  eventually,
  makeProject,
  startPlatform,
  userWithRole,
  type TestApi,
  type TestPlatform,
} from './helpers/platform';
import { appImagesBuilt } from './helpers/app-images';

await appImagesBuilt();

type Obj = Record<string, unknown>;
interface Connection {
  host: string | null;
  port: number | null;
  readHost?: string | null;
  readPort?: number | null;
  readInternalHost?: string;
}
type Detail = Obj & { state: string; connection: Connection; configs: string[]; members: Obj[] };

const base = '/api/v1/projects/cart/envs/test/app-instances';
const image = 'localhost/berth-apps/redis:7';

/** redis-cli's reply (it exits 0 on a refused command, so the reply is returned, not thrown). */
function redis(host: string, port: number, password: string, ...command: string[]): string {
  const r = spawnSync(
    'redis-cli',
    ['--no-auth-warning', '-h', host, '-p', String(port), '-a', password, ...command],
    { encoding: 'utf8', timeout: 20_000 },
  );
  return `${r.stdout}${r.stderr}`.trim();
}

describe('app store: Redis primary with replicas and its config file', () => {
  let p: TestPlatform;
  let dev: TestApi;
  let built = false;

  before(async () => {
    p = await startPlatform();
    await makeProject(p.api, 'cart');
    dev = await userWithRole(p, 'rita', 'developer', 'cart');
    const cls = await p.api.put('/api/v1/volume-classes/local', { kind: 'local' });
    assert.equal(cls.status, 200, JSON.stringify(cls.body));
    built = (await p.engine.inspectImage(image).catch(() => null)) !== null;
  });
  after(async () => {
    for (const v of (await p.engine.listVolumes({ 'berth.instance': p.instanceId }).catch(() => [])) ?? [])
      await p.engine.removeVolume(v.name).catch(() => undefined);
    await p?.close();
  });

  /** Running, with the primary's and a replica's published ports (the replicas all ready). */
  const running = (path: string) =>
    eventually(
      async () => {
        const r = await dev.get<Detail>(path);
        if (r.body.state === 'failed') throw new Error(`instance failed: ${JSON.stringify(r.body)}`);
        const c = r.body.connection;
        return r.body.state === 'running' && c.port && c.readPort ? r.body : null;
      },
      `${path} running with its replicas`,
      240_000,
      500,
    );

  it('replicates, refuses writes on a replica, applies its config file, rotates everywhere', async (t) => {
    if (!built) return t.skip(`${image} is not built: run scripts/app-images.sh redis`);
    const made = await dev.post<Detail & { password: string }>(base, {
      app: 'redis',
      name: 'sessions',
      params: { replicas: 2, maxmemoryMiB: 32 },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual(made.body.configs, ['sessions-conf']);
    assert.deepEqual(
      made.body.members.map((m) => [m.service, m.desired]),
      [
        ['sessions', 1],
        ['sessions-replica', 2],
      ],
    );
    const path = `${base}/sessions`;
    let c = (await running(path)).connection;
    assert.equal(c.readInternalHost, 'sessions-replica');
    let pw = made.body.password;

    // primary: writes; replica: reads what the primary wrote, refuses writes
    assert.equal(redis(c.host!, c.port!, pw, 'SET', 'basket', 'tea'), 'OK');
    await eventually(
      () => Promise.resolve(redis(c.readHost!, c.readPort!, pw, 'GET', 'basket') === 'tea'),
      'the key read on a replica',
      60_000,
      500,
    );
    await eventually(
      () => Promise.resolve(/connected_slaves:2/.test(redis(c.host!, c.port!, pw, 'INFO', 'replication'))),
      'the primary counting 2 replicas',
      60_000,
      500,
    );
    assert.match(redis(c.readHost!, c.readPort!, pw, 'SET', 'basket', 'cake'), /^READONLY/);

    // the config file: a new version rolls the members, CONFIG GET shows the value
    const conf = await dev.get<{ version: number; files: Record<string, string> | { path: string }[] }>(
      '/api/v1/projects/cart/configs/sessions-conf',
    );
    assert.equal(conf.status, 200, JSON.stringify(conf.body));
    const put = await dev.put('/api/v1/projects/cart/configs/sessions-conf', {
      files: { 'redis.conf': 'maxclients 777\n' },
      reason: 'test: more clients',
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await eventually(
      async () => {
        const d = await dev.get<Detail>(path);
        c = d.body.connection;
        if (d.body.state !== 'running' || !c.port || !c.readPort) return false;
        const primary = redis(c.host!, c.port, pw, 'CONFIG', 'GET', 'maxclients');
        const replica = redis(c.readHost!, c.readPort, pw, 'CONFIG', 'GET', 'maxclients');
        return primary === 'maxclients\n777' && replica === 'maxclients\n777';
      },
      'maxclients 777 on the primary and a replica',
      240_000,
      1000,
    );
    // the primary kept its data through the restart (append-only file on its volume)
    assert.equal(redis(c.host!, c.port!, pw, 'GET', 'basket'), 'tea');

    // rotation: primary and replicas take the new password, the old one is refused, they replicate
    const old = pw;
    const rot = await dev.post<{ password: string }>(`${path}/rotate-password`, {});
    assert.equal(rot.status, 200, JSON.stringify(rot.body));
    pw = rot.body.password;
    await eventually(
      async () => {
        c = (await dev.get<Detail>(path)).body.connection;
        if (!c.port || !c.readPort) return false;
        return (
          redis(c.host!, c.port, pw, 'SET', 'after', 'rotation') === 'OK' &&
          redis(c.readHost!, c.readPort, pw, 'GET', 'after') === 'rotation'
        );
      },
      'the new password on the primary and a replica that follows it',
      240_000,
      1000,
    );
    assert.match(redis(c.host!, c.port!, old, 'PING'), /WRONGPASS|NOAUTH|AUTH failed|invalid/i);
    assert.match(redis(c.readHost!, c.readPort!, old, 'PING'), /WRONGPASS|NOAUTH|AUTH failed|invalid/i);

    // delete: the config goes with the instance
    const del = await dev.delete<Obj>(`${path}?keepVolumes=false`);
    assert.equal(del.status, 202);
    assert.deepEqual(del.body.configsDeleted, ['sessions-conf']);
    await eventually(async () => (await dev.get(path)).status === 404, 'instance gone', 180_000, 500);
    assert.equal((await dev.get('/api/v1/projects/cart/configs/sessions-conf')).status, 404);
  });

  it('refuses an install whose config name the project already has (409 naming it)', async () => {
    const made = await dev.post('/api/v1/projects/cart/configs', {
      name: 'queue-conf',
      files: { 'x.conf': 'x\n' },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const r = await dev.post<{ error: { message: string } }>(base, { app: 'redis', name: 'queue' });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(r.body.error.message, /Config 'queue-conf' already exists/);
  });
});
