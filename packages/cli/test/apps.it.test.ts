/**
 * `berth apps …` against a real Berth on the real Podman: the catalog, an install with typed
 * --param flags, the instance's connection info used by redis-cli, and a delete that must say
 * what happens to the data.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { AppInstanceDetail } from '@berth/shared';
import { eventually } from '../../server/test/helpers/platform';
import { platformCli } from './platform-support';
import { appImagesBuilt } from '../../server/test/helpers/app-images';

// under npm test the images are built beside the first test files (helpers/app-images.ts)
await appImagesBuilt();

describe('berth apps', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-apps-',
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

  it('lists and shows the catalog', async () => {
    const list = await berth(['apps', 'list']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /mariadb\s+MariaDB\s+10\.11\s+10\.11/);
    assert.match(list.out, /redis\s+Redis\s+7\s+7/);
    const show = await berth(['apps', 'show', 'redis']);
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /maxmemoryMiB\s+integer\s+256\s+16\.\.65536 MiB/);
    assert.match(show.out, /maxmemoryPolicy\s+enum\s+noeviction\s+noeviction\|allkeys-lru/);
    const none = await berth(['apps', 'show', 'cassandra']);
    assert.equal(none.code, 1);
    assert.match(none.err, /not in the catalog; it has: kafka, mariadb, redis/);
  });

  it('installs Redis with --param, shows the connection info redis-cli uses, deletes with a choice', async (t) => {
    if (!(await cli.platform.engine.inspectImage('localhost/berth-apps/redis:7').catch(() => null)))
      return t.skip('localhost/berth-apps/redis:7 is not built: run scripts/app-images.sh redis');
    assert.equal((await cli.platform.api.put('/api/v1/volume-classes/local', { kind: 'local' })).status, 200);
    const bad = await berth(['apps', 'install', 'redis', 'kv', '-p', 'web', '--param', 'maxmemoryMiB=70000']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /params\.maxmemoryMiB.*at most 65536 MiB/s);

    const made = await berth([
      ...['apps', 'install', 'redis', 'kv', '-p', 'web'],
      ...['--param', 'maxmemoryMiB=32', '--param', 'appendonly=false', '--param', 'storageMiB=64'],
    ]);
    assert.equal(made.code, 0, made.err);
    assert.match(made.out, /app instance kv installed \(redis 7\)/);
    const password = /password: (\S+)/.exec(made.out)![1]!;

    const up = await eventually(
      async () => {
        const i = await json<AppInstanceDetail>(['apps', 'instance', 'kv', '-p', 'web']);
        return i.state === 'running' && i.connection.port ? i : null;
      },
      'kv running',
      240_000,
      500,
    );
    assert.deepEqual(up.params.appendonly, false);
    const list = await berth(['apps', 'instances', '-p', 'web']);
    assert.match(list.out, /kv\s+redis 7\s+running\s+kv 1\/1\s+kv-data\s+admin/);
    const shown = await berth(['apps', 'instance', 'kv', '-p', 'web', '--show-password']);
    assert.match(shown.out, new RegExp(`uri:\\s+redis://default@127\\.0\\.0\\.1:${up.connection.port}`));
    assert.match(shown.out, new RegExp(`password:\\s+${password}`));
    const r = spawnSync(
      'redis-cli',
      [
        '--no-auth-warning',
        '-h',
        '127.0.0.1',
        '-p',
        String(up.connection.port),
        '-a',
        password,
        'CONFIG',
        'GET',
        'appendonly',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.stdout.trim(), 'appendonly\nno');
    // upgrade: the server's refusal at the field reaches the user (redis 7 is the only version)
    const noVersion = await berth(['apps', 'upgrade', 'kv', '-p', 'web']);
    assert.equal(noVersion.code, 2);
    assert.match(noVersion.err, /--version V/);
    const notNewer = await berth(['apps', 'upgrade', 'kv', '-p', 'web', '--version', '7', '--wait']);
    assert.equal(notNewer.code, 1);
    assert.match(notNewer.err, /version.*must be newer than 7/s);

    const noChoice = await berth(['apps', 'delete', 'kv', '-p', 'web']);
    assert.equal(noChoice.code, 2);
    assert.match(noChoice.err, /--keep-volumes or --delete-volumes/);
    const del = await berth(['apps', 'delete', 'kv', '-p', 'web', '--delete-volumes']);
    assert.equal(del.code, 0, del.err);
    assert.match(del.out, /volumes deleted once the services are gone: kv-data/);
    await eventually(
      async () =>
        (await cli.platform.api.get('/api/v1/projects/web/envs/test/volumes/kv-data')).status === 404,
      'kv-data removed after the service',
      120_000,
      500,
    );
  });
});
