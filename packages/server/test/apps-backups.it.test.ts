/**
 * Backups of app instances (docs/apps.md "Backups") on the real Podman engine, judged with the
 * real clients: Redis keys come back after FLUSHALL and a restore (with the append-only file on,
 * so a restore that left the old AOF would bring the flushed state back), a MariaDB table comes
 * back after DROP TABLE; a schedule is a cron job whose run writes a listed file and prunes
 * beyond `keep`; a download gives the file's exact bytes; tenancy and permissions of every route.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { readTar } from '../src/modules/containers/tar-reader';
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
const env = '/api/v1/projects/shop/envs/test';
const instances = `${env}/app-instances`;

interface Backup {
  id: string;
  file: string | null;
  sizeBytes: number | null;
  state: string;
  trigger: string;
  message: string | null;
}
interface BackupList {
  items: Backup[];
  volume: string | null;
  schedule: Obj | null;
  restore: { state: string; message: string | null; backupId: string } | null;
}
interface Connection {
  host: string;
  port: number;
  password?: string;
}

function run(cmd: string, args: string[], input?: string, extraEnv?: Record<string, string>): string {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: 30_000,
    ...(input ? { input } : {}),
    ...(extraEnv ? { env: { ...process.env, ...extraEnv } } : {}),
  });
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

async function imageBuilt(p: TestPlatform, image: string): Promise<boolean> {
  return (await p.engine.inspectImage(image).catch(() => null)) !== null;
}

/** The instance running with a published port (re-read: a restart changes the port). */
async function running(api: TestApi, name: string): Promise<Connection & { password: string }> {
  return eventually(
    async () => {
      const r = await api.get<Obj & { connection: Connection }>(`${instances}/${name}?reveal=true`);
      if (r.body.state === 'failed') throw new Error(`instance failed: ${JSON.stringify(r.body)}`);
      return r.body.state === 'running' && r.body.connection.port
        ? { ...r.body.connection, password: r.body.connection.password! }
        : null;
    },
    `${name} running`,
    240_000,
    500,
  );
}

/** Waits until a backup is no longer running; returns the list then. */
async function settled(api: TestApi, name: string, id: string): Promise<Backup> {
  return eventually(
    async () => {
      const l = await api.get<BackupList>(`${instances}/${name}/backups`);
      assert.equal(l.status, 200, JSON.stringify(l.body));
      const b = l.body.items.find((x) => x.id === id);
      return b && b.state !== 'running' ? b : null;
    },
    `backup ${id} of ${name} finished`,
    120_000,
    500,
  );
}

async function restored(api: TestApi, name: string): Promise<void> {
  const r = await eventually(
    async () => {
      const l = await api.get<BackupList>(`${instances}/${name}/backups`);
      return l.body.restore && l.body.restore.state !== 'running' ? l.body.restore : null;
    },
    `restore of ${name} finished`,
    240_000,
    500,
  );
  assert.equal(r.state, 'succeeded', r.message ?? '');
}

describe('app backups: Redis and MariaDB, on demand and on a schedule', () => {
  let p: TestPlatform;
  let dev: TestApi;
  let viewer: TestApi;
  let rival: TestApi;
  let redisBuilt = false;
  let mariadbBuilt = false;

  before(async () => {
    p = await startPlatform();
    await makeProject(p.api, 'shop');
    await makeProject(p.api, 'rival');
    dev = await userWithRole(p, 'dana', 'developer', 'shop');
    viewer = await userWithRole(p, 'vera', 'viewer', 'shop');
    rival = await userWithRole(p, 'bert', 'developer', 'rival');
    const cls = await p.api.put('/api/v1/volume-classes/local', { kind: 'local' });
    assert.equal(cls.status, 200, JSON.stringify(cls.body));
    redisBuilt = await imageBuilt(p, 'localhost/berth-apps/redis:7');
    mariadbBuilt = await imageBuilt(p, 'localhost/berth-apps/mariadb:10.11');
  });
  after(async () => {
    for (const v of (await p.engine.listVolumes({ 'berth.instance': p.instanceId }).catch(() => [])) ?? [])
      await p.engine.removeVolume(v.name).catch(() => undefined);
    await p?.close();
  });

  it('Redis: backup, FLUSHALL, restore gives the keys back (append-only file on); exact bytes; tenancy; 409', async (t) => {
    if (!redisBuilt)
      return t.skip('localhost/berth-apps/redis:7 is not built: run scripts/app-images.sh redis');
    const made = await dev.post(instances, { app: 'redis', name: 'sess', params: { maxmemoryMiB: 64 } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    let c = await running(dev, 'sess');
    const redis = (...cmd: string[]) =>
      run('redis-cli', ['--no-auth-warning', '-h', c.host, '-p', String(c.port), '-a', c.password, ...cmd]);
    assert.equal(redis('SET', 'k1', 'tea'), 'OK');
    assert.equal(redis('SET', 'k2', 'cake'), 'OK');

    // tenancy and permissions before anything exists
    const base = `${instances}/sess`;
    assert.equal((await rival.get(`${base}/backups`)).status, 404);
    assert.equal((await rival.post(`${base}/backups`)).status, 404);
    assert.equal((await rival.put(`${base}/backup-schedule`, { schedule: '0 3 * * *' })).status, 404);
    assert.equal((await viewer.post(`${base}/backups`)).status, 403);
    assert.equal((await viewer.put(`${base}/backup-schedule`, { schedule: '0 3 * * *' })).status, 403);
    assert.equal((await viewer.get(`${base}/backups`)).status, 200);

    const started = await dev.post<Backup>(`${base}/backups`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.state, 'running');
    assert.match(started.body.file!, /^sess-\d{8}T\d{6}Z\.rdb$/);
    const done = await settled(dev, 'sess', started.body.id);
    assert.equal(done.state, 'succeeded', done.message ?? '');
    assert.equal(done.trigger, 'manual');
    assert.ok(done.sizeBytes! > 0);
    const vol = await dev.get(`${env}/volumes/sess-backups`);
    assert.equal(vol.status, 200, 'the backups volume is an ordinary volume');

    // the download is the file's exact bytes: compared with the volume's own export
    const id = done.id;
    for (const who of [rival, viewer]) {
      const r = await who.get(`${base}/backups/${id}/download`);
      assert.equal(r.status, who === rival ? 404 : 403);
    }
    const dl = await fetch(`${p.url}${base}/backups/${id}/download`, {
      headers: { Authorization: `Bearer ${dev.token}` },
    });
    assert.equal(dl.status, 200);
    const bytes = Buffer.from(await dl.arrayBuffer());
    assert.equal(bytes.length, done.sizeBytes);
    assert.equal(bytes.subarray(0, 5).toString(), 'REDIS');
    const exp = await fetch(`${p.url}${env}/volumes/sess-backups/export`, {
      headers: { Authorization: `Bearer ${dev.token}` },
    });
    let fromExport: Buffer | null = null;
    for await (const e of readTar(Readable.fromWeb(exp.body as never) as AsyncIterable<Buffer>)) {
      const chunks: Buffer[] = [];
      for await (const chunk of e.content) chunks.push(chunk);
      if (e.header.name.endsWith(id)) fromExport = Buffer.concat(chunks);
    }
    assert.ok(fromExport, 'the export holds the file');
    assert.ok(bytes.equals(fromExport), 'the download is byte for byte the file in the volume');

    // the data goes, then comes back
    assert.equal(redis('FLUSHALL'), 'OK');
    assert.equal(redis('SET', 'later', 'x'), 'OK');
    assert.equal(redis('DBSIZE'), '1');
    assert.equal((await rival.post(`${base}/backups/${id}/restore`)).status, 404);
    assert.equal((await viewer.post(`${base}/backups/${id}/restore`)).status, 403);
    assert.equal((await dev.post(`${base}/backups/nope.rdb/restore`)).status, 404);
    const rs = await dev.post<Obj>(`${base}/backups/${id}/restore`);
    assert.equal(rs.status, 202, JSON.stringify(rs.body));
    assert.equal((await dev.post(`${base}/backups/${id}/restore`)).status, 409, 'one restore at a time');
    await restored(dev, 'sess');
    c = await running(dev, 'sess');
    assert.equal(redis('GET', 'k1'), 'tea');
    assert.equal(redis('GET', 'k2'), 'cake');
    assert.equal(redis('EXISTS', 'later'), '0');
    // the member runs on the rewritten append-only file: still on, and holding the keys
    assert.match(redis('CONFIG', 'GET', 'appendonly'), /yes/);
    assert.match(redis('INFO', 'persistence'), /aof_enabled:1/);

    // not running: 409 for backup and restore
    const stop = await dev.post(`${env}/services/sess/stop`);
    assert.ok([200, 202].includes(stop.status), JSON.stringify(stop.body));
    await eventually(
      async () => (await dev.get<Obj>(base)).body.state !== 'running',
      'sess not running',
      60_000,
      500,
    );
    const refused = await dev.post<Obj>(`${base}/backups/${id}/restore`);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal((await dev.post(`${base}/backups`)).status, 409);

    // delete a backup: the file goes
    assert.equal((await rival.delete(`${base}/backups/${id}`)).status, 404);
    assert.equal((await viewer.delete(`${base}/backups/${id}`)).status, 403);
    assert.equal((await dev.delete(`${base}/backups/${id}`)).status, 204);
    const after = await dev.get<BackupList>(`${base}/backups`);
    assert.equal(after.body.items.filter((b) => b.id === id).length, 0);
  });

  it('a schedule is a cron job whose runs write listed files, pruned beyond keep; delete removes both', async (t) => {
    if (!redisBuilt)
      return t.skip('localhost/berth-apps/redis:7 is not built: run scripts/app-images.sh redis');
    const made = await dev.post(instances, { app: 'redis', name: 'jobs', params: { maxmemoryMiB: 32 } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await running(dev, 'jobs');
    const base = `${instances}/jobs`;
    const bad = await dev.put<Obj>(`${base}/backup-schedule`, { schedule: '61 * * * *', keep: 2 });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    const put = await dev.put<Obj>(`${base}/backup-schedule`, { schedule: '0 3 * * *', keep: 2 });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.cronJob, 'jobs-backup');
    const job = await dev.get<Obj>(`${env}/cronjobs/jobs-backup`);
    assert.equal(job.status, 200, 'an ordinary cron job of the environment');

    // three runs ("run now"), one after the other: two files are kept
    const files: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      if (i === 2) {
        // a rotation after the schedule was written: the cron job gets the new password (the
        // sweep), else this run would be refused by the server (NOAUTH)
        const rotated = await dev.post<Obj>(`${base}/rotate-password`);
        assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
        const fresh = String(rotated.body.password);
        // the member rolled to the new password: it answers with it
        await eventually(
          async () => {
            const c = await running(dev, 'jobs');
            const r = spawnSync(
              'redis-cli',
              ['--no-auth-warning', '-h', c.host, '-p', String(c.port), '-a', fresh, 'PING'],
              { encoding: 'utf8', timeout: 10_000 },
            );
            return r.stdout.trim() === 'PONG';
          },
          'the member on the new password',
          180_000,
          1000,
        );
        await eventually(
          async () =>
            (await dev.get<Obj>(`${env}/cronjobs/jobs-backup`)).body.updatedBy === 'system:app-backups',
          'the backup cron job renewed after the rotation',
          60_000,
          500,
        );
      }
      const r = await dev.post<{ id: string }>(`${env}/cronjobs/jobs-backup/run`);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const state = await eventually(
        async () => {
          const run = await dev.get<Obj>(`${env}/cronjobs/jobs-backup/runs/${r.body.id}`);
          return ['succeeded', 'failed'].includes(run.body.state as string) ? run.body : null;
        },
        'the backup run finished',
        120_000,
        500,
      );
      assert.equal(state.state, 'succeeded', JSON.stringify(state));
      const l = await dev.get<BackupList>(`${base}/backups`);
      const newest = l.body.items.filter((b) => b.trigger === 'schedule' && b.state === 'succeeded');
      for (const b of newest) if (!files.includes(b.file!)) files.push(b.file!);
      // a second apart at least: the file names are made of the time in seconds
      await eventually(
        () => Promise.resolve(new Date().toISOString().slice(0, 19) !== state.finishedAt),
        'the next second',
        5_000,
        200,
      );
    }
    const l = await dev.get<BackupList>(`${base}/backups`);
    const scheduled = l.body.items.filter((b) => b.trigger === 'schedule' && b.state === 'succeeded');
    assert.equal(scheduled.length, 2, JSON.stringify(l.body.items));
    assert.ok(scheduled.every((b) => /^jobs-\d{8}T\d{6}Z-scheduled\.rdb$/.test(b.file!)));
    assert.ok(files.length >= 3, `three files were made: ${files.join(', ')}`);
    assert.equal(l.body.schedule?.keep, 2);

    assert.equal((await rival.delete(`${base}/backup-schedule`)).status, 404);
    assert.equal((await dev.delete(`${base}/backup-schedule`)).status, 204);
    await eventually(
      async () => (await dev.get(`${env}/cronjobs/jobs-backup`)).status === 404,
      'the cron job removed',
      60_000,
      500,
    );
    assert.equal((await dev.get<BackupList>(`${base}/backups`)).body.schedule, null);

    // deleting the instance without keeping volumes removes the backups volume and a schedule
    assert.equal((await dev.put(`${base}/backup-schedule`, { schedule: '0 3 * * *', keep: 2 })).status, 200);
    const del = await dev.delete<Obj>(`${base}?keepVolumes=false`);
    assert.equal(del.status, 202);
    assert.deepEqual(del.body.volumesDeleted, ['jobs-data', 'jobs-backups']);
    await eventually(async () => (await dev.get(base)).status === 404, 'instance gone', 180_000, 500);
    assert.equal((await dev.get(`${env}/volumes/jobs-backups`)).status, 404);
    assert.equal((await dev.get(`${env}/cronjobs/jobs-backup`)).status, 404);
  });

  it('MariaDB: a dump, DROP TABLE, restore gives the rows back', async (t) => {
    if (!mariadbBuilt)
      return t.skip('localhost/berth-apps/mariadb:10.11 is not built: run scripts/app-images.sh mariadb');
    const made = await dev.post<Obj & { password: string }>(instances, {
      app: 'mariadb',
      name: 'orders',
      params: { database: 'shop', user: 'shopper' },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const c = await running(dev, 'orders');
    const sql = (statements: string) =>
      run(
        'mariadb',
        [
          '--protocol=TCP',
          '-h',
          c.host,
          '-P',
          String(c.port),
          '-u',
          'shopper',
          'shop',
          '--batch',
          '--skip-column-names',
        ],
        statements,
        { MYSQL_PWD: made.body.password },
      );
    sql(
      'CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40)); INSERT INTO items VALUES (1, "tea"), (2, "cake");',
    );
    const b = await dev.post<Backup>(`${instances}/orders/backups`);
    assert.equal(b.status, 202, JSON.stringify(b.body));
    assert.match(b.body.file!, /^orders-\d{8}T\d{6}Z\.sql\.gz$/);
    const done = await settled(dev, 'orders', b.body.id);
    assert.equal(done.state, 'succeeded', done.message ?? '');
    sql('DROP TABLE items; CREATE TABLE other (x INT);');
    const rs = await dev.post(`${instances}/orders/backups/${done.id}/restore`);
    assert.equal(rs.status, 202, JSON.stringify(rs.body));
    await restored(dev, 'orders');
    assert.equal(sql('SELECT name FROM items ORDER BY id'), 'tea\ncake');
    // the database was dropped and made again from the dump: the table made after it is gone
    assert.equal(sql('SHOW TABLES'), 'items');
  });
});
