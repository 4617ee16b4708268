/** `berth configs …` against a real Berth: create from files, edit, versions, diff, rollback, usage, delete. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { platformCli } from './platform-support';
import { eventually, waitTask } from '../../server/test/helpers/platform';

type Obj = Record<string, unknown>;

describe('berth configs', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-configs-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
  });
  const { berth, json } = cli;
  // the config volumes of this platform (the platform removes only its containers)
  after(async () => {
    const { engine, instanceId } = cli.platform;
    for (const v of await engine.listVolumes({ 'berth.instance': instanceId }).catch(() => []))
      await engine.removeVolume(v.name).catch(() => undefined);
  });

  it('creates from files and a directory, edits, lists versions and diffs, rolls back, shows usage, refuses delete while mounted', async () => {
    const dir = path.join(cli.dir, 'site');
    mkdirSync(path.join(dir, 'conf.d'), { recursive: true });
    writeFileSync(path.join(dir, 'app.conf'), 'port = 80\nmode = a\n');
    writeFileSync(path.join(dir, 'conf.d', 'x.conf'), 'x\n');
    const created = await berth([
      'configs',
      'create',
      'app',
      '-p',
      'web',
      '--from-dir',
      dir,
      '--reason',
      'first',
    ]);
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /config app created: version 1, 2 files/);

    // a service mounts it (rolling-restart): an edit rolls it, and the CLI waits for the rollout
    const svc = await cli.platform.api.post<{ task: Obj }>('/api/v1/projects/web/envs/test/services', {
      name: 'sleeper',
      spec: {
        image: 'localhost/berth-busybox:1',
        command: ['sleep', '3600'],
        mounts: [{ config: 'app', path: '/etc/app' }],
        replicas: 1,
      },
    });
    assert.equal(svc.status, 202, JSON.stringify(svc.body));
    assert.equal((await waitTask(cli.platform.api, svc.body.task.id as string)).state, 'succeeded');

    const edited = await berth([
      ...['configs', 'edit', 'app', '-p', 'web', '--merge'],
      ...['--from-file', `app.conf=${cli.file('new.conf', 'port = 80\nmode = b\n')}`, '--reason', 'mode b'],
    ]);
    assert.equal(edited.code, 0, edited.err);
    assert.match(edited.out, /config app: version 2/);
    assert.match(edited.out, /test\/sleeper: rolling to release 2/);
    const s = await cli.platform.api.get<Obj>('/api/v1/projects/web/envs/test/services/sleeper');
    assert.equal(s.body.release, 2);

    const versions = await berth(['configs', 'versions', 'app', '-p', 'web']);
    assert.equal(versions.code, 0, versions.err);
    assert.match(versions.out, /2\s+\S+ by admin\s+M app\.conf\s+mode b/);
    const diff = await berth(['configs', 'diff', 'app', '2', '-p', 'web']);
    assert.match(diff.out, /M app\.conf\n[^]*    - mode = a\n    \+ mode = b\n/);
    const file = await berth(['configs', 'get', 'app', '-p', 'web', '--version', '1', '--file', 'app.conf']);
    assert.equal(file.out, 'port = 80\nmode = a\n');

    const rb = await berth(['configs', 'rollback', 'app', '1', '-p', 'web', '--no-wait']);
    assert.equal(rb.code, 0, rb.err);
    assert.match(rb.out, /version 3 \(the files of version 1\)/);
    const current = await json<{ version: number; content: Obj }>(['configs', 'get', 'app', '-p', 'web']);
    assert.equal(current.version, 3);
    assert.equal(current.content['app.conf'], 'port = 80\nmode = a\n');

    const usage = await berth(['configs', 'usage', 'app', '-p', 'web']);
    assert.match(usage.out, /test\/sleeper\s+3 \(current\)\s+3\s+\/etc\/app\s+rolling-restart/);
    const refused = await berth(['configs', 'delete', 'app', '-p', 'web']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /mounted by test\/sleeper/);

    const bad = await berth([
      'configs',
      'create',
      'bad',
      '-p',
      'web',
      '--from-file',
      `../x=${cli.file('x', 'x')}`,
    ]);
    assert.equal(bad.code, 1, bad.out + bad.err);
    assert.match(bad.err, /files\.\.\.\/x/);

    const gone = await cli.platform.api.delete('/api/v1/projects/web/envs/test/services/sleeper');
    assert.equal(gone.status, 202);
    await eventually(
      async () =>
        (await cli.platform.api.get('/api/v1/projects/web/envs/test/services/sleeper')).status === 404,
      'sleeper deleted',
      120_000,
    );
    // its releases go once its containers are gone
    await eventually(
      async () => (await json<{ uses: Obj[] }>(['configs', 'usage', 'app', '-p', 'web'])).uses.length === 0,
      'no release mounts app',
      60_000,
    );
    const del = await berth(['configs', 'delete', 'app', '-p', 'web']);
    assert.equal(del.code, 0, del.err);
    const list = await berth(['configs', 'list', '-p', 'web']);
    assert.match(list.err, /no configs/);
  });
});
