/** `berth cronjobs …` against a real Berth on the real Podman. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { platformCli } from './platform-support';

type Obj = Record<string, unknown>;

describe('berth cronjobs', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-cron-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'project',
  });
  const { berth, json } = cli;
  const p = ['-p', 'web'];

  it('creates from flags, edits, lists, runs now, shows runs and logs, suspends, resumes and deletes', async () => {
    const created = await berth([
      'cronjobs',
      'create',
      'nightly',
      ...p,
      '--schedule',
      '30 2 * * *',
      '--time-zone',
      'Europe/Berlin',
      '--image',
      'localhost/berth-busybox:1',
      '--command',
      'sh',
      '--command',
      '-c',
      '--args',
      'echo "hello $WHO"',
      '--env',
      'WHO=cli',
      '--retries',
      '1',
      '--concurrency',
      'forbid',
    ]);
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /cron job nightly created; next run \d{4}-\d\d-\d\d \d\d:30:00Z/);
    const edited = await berth(['cronjobs', 'edit', 'nightly', ...p, '--backoff', '5', '--suspend']);
    assert.equal(edited.code, 0, edited.err);
    const job = await json<{ spec: Obj; suspended: boolean; version: number }>([
      'cronjobs',
      'get',
      'nightly',
      ...p,
    ]);
    assert.equal(job.spec.backoffSeconds, 5);
    assert.equal(job.spec.concurrencyPolicy, 'forbid');
    assert.equal(job.suspended, true);
    assert.equal(job.version, 2);
    const list = await berth(['cronjobs', 'list', ...p]);
    assert.match(list.out, /nightly\s+30 2 \* \* \* Europe\/Berlin\s+yes\s+-\s+-/);

    const run = await json<{ id: string }>(['cronjobs', 'run', 'nightly', ...p]);
    let state = '';
    for (let i = 0; i < 150 && !['succeeded', 'failed'].includes(state); i++) {
      const runs = await json<{ id: string; state: string }[]>(['cronjobs', 'runs', 'nightly', ...p]);
      state = runs.find((r) => r.id === run.id)?.state ?? '';
      if (!['succeeded', 'failed'].includes(state)) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(state, 'succeeded');
    const table = await berth(['cronjobs', 'runs', 'nightly', ...p]);
    assert.match(table.out, new RegExp(`${run.id}\\s+manual\\s+-\\s+succeeded\\s+1\\s+Completed`));
    const logs = await berth(['cronjobs', 'logs', 'nightly', run.id, ...p]);
    assert.equal(logs.out, 'hello cli\n');
    const events = await berth(['cronjobs', 'events', 'nightly', ...p]);
    assert.match(events.out, /Succeeded/);

    const resumed = await berth(['cronjobs', 'resume', 'nightly', ...p]);
    assert.match(resumed.out, /resumed; next run/);
    // a file replaces the spec; a bad schedule is refused before anything is sent
    const file = path.join(cli.dir, 'job.json');
    writeFileSync(file, JSON.stringify({ schedule: '@hourly', image: 'localhost/berth-busybox:1' }));
    assert.equal((await berth(['cronjobs', 'edit', 'nightly', ...p, '-f', file])).code, 0);
    assert.equal((await json<{ spec: Obj }>(['cronjobs', 'get', 'nightly', ...p])).spec.schedule, '@hourly');
    const bad = await berth(['cronjobs', 'edit', 'nightly', ...p, '--schedule', '* * 32 * *']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /day of month: 32 is out of range 1-31/);

    assert.equal((await berth(['cronjobs', 'delete', 'nightly', ...p])).code, 0);
    const gone = await berth(['cronjobs', 'get', 'nightly', ...p]);
    assert.notEqual(gone.code, 0);
  });
});
