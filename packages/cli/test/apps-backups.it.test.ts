/**
 * `berth apps backup|backups|backup-download|restore|backup-schedule` against a real Berth on the
 * real Podman: a Redis key comes back after a restore confirmed with --yes, the downloaded file
 * is the listed size, and a schedule is set and removed.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AppBackupList, AppInstanceDetail } from '@berth/shared';
import { eventually } from '../../server/test/helpers/platform';
import { platformCli } from './platform-support';
import { appImagesBuilt } from '../../server/test/helpers/app-images';

await appImagesBuilt();

describe('berth apps backups', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-app-backups-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
  });
  const { berth, json } = cli;
  after(async () => {
    for (const v of await cli.platform.engine
      .listVolumes({ 'berth.instance': cli.platform.instanceId })
      .catch(() => []))
      await cli.platform.engine.removeVolume(v.name).catch(() => undefined);
  });

  it('backs up, downloads, restores with --yes, schedules and stops the schedule', async (t) => {
    if (!(await cli.platform.engine.inspectImage('localhost/berth-apps/redis:7').catch(() => null)))
      return t.skip('localhost/berth-apps/redis:7 is not built: run scripts/app-images.sh redis');
    assert.equal((await cli.platform.api.put('/api/v1/volume-classes/local', { kind: 'local' })).status, 200);
    const made = await berth([
      ...['apps', 'install', 'redis', 'kv', '-p', 'web'],
      ...['--param', 'maxmemoryMiB=32', '--param', 'storageMiB=64'],
    ]);
    assert.equal(made.code, 0, made.err);
    const password = /password: (\S+)/.exec(made.out)![1]!;
    const redis = async (...cmd: string[]) => {
      const up = await eventually(
        async () => {
          const i = await json<AppInstanceDetail>(['apps', 'instance', 'kv', '-p', 'web']);
          return i.state === 'running' && i.connection.port ? i : null;
        },
        'kv running',
        240_000,
        500,
      );
      const r = spawnSync(
        'redis-cli',
        [
          '--no-auth-warning',
          '-h',
          up.connection.host!,
          '-p',
          String(up.connection.port),
          '-a',
          password,
          ...cmd,
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      return r.stdout.trim();
    };
    assert.equal(await redis('SET', 'greeting', 'hello'), 'OK');

    const b = await berth(['apps', 'backup', 'kv', '-p', 'web']);
    assert.equal(b.code, 0, b.err);
    const id = /backup (\S+) of kv started/.exec(b.out)![1]!;
    const done = await eventually(
      async () => {
        const l = await json<AppBackupList>(['apps', 'backups', 'kv', '-p', 'web']);
        const x = l.items.find((i) => i.id === id);
        return x && x.state !== 'running' ? x : null;
      },
      'the backup done',
      120_000,
      500,
    );
    assert.equal(done.state, 'succeeded', done.message ?? '');
    const table = await berth(['apps', 'backups', 'kv', '-p', 'web']);
    assert.match(table.out, new RegExp(`${id.replace(/\./g, '\\.')}\\s+succeeded\\s+manual`));
    assert.match(table.out, /schedule: none/);

    const file = path.join(mkdtempSync(path.join(tmpdir(), 'berth-backup-')), 'kv.rdb');
    const dl = await berth(['apps', 'backup-download', 'kv', id, '--out', file, '-p', 'web']);
    assert.equal(dl.code, 0, dl.err);
    const bytes = readFileSync(file);
    assert.equal(bytes.length, done.sizeBytes);
    assert.equal(bytes.subarray(0, 5).toString(), 'REDIS');

    assert.equal(await redis('DEL', 'greeting'), '1');
    const unconfirmed = await berth(['apps', 'restore', 'kv', id, '-p', 'web']);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.err, /replaces the current data.*--yes/);
    const rs = await berth(['apps', 'restore', 'kv', id, '--yes', '-p', 'web']);
    assert.equal(rs.code, 0, rs.err);
    assert.match(rs.out, new RegExp(`restored kv from ${id.replace(/\./g, '\\.')}`));
    assert.equal(await redis('GET', 'greeting'), 'hello');

    const s = await berth([
      'apps',
      'backup-schedule',
      'kv',
      '--cron',
      '0 3 * * *',
      '--keep',
      '3',
      '-p',
      'web',
    ]);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /kv is backed up "0 3 \* \* \*" \(UTC\), keeping 3; cron job kv-backup/);
    const jobs = await berth(['cronjobs', 'list', '-p', 'web']);
    assert.match(jobs.out, /kv-backup/);
    const off = await berth(['apps', 'backup-schedule', 'kv', '--off', '-p', 'web']);
    assert.equal(off.code, 0, off.err);
    assert.equal((await json<AppBackupList>(['apps', 'backups', 'kv', '-p', 'web'])).schedule, null);
  });
});
