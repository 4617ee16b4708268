/**
 * The cron job store on both dialects (SQLite, and PostgreSQL when BERTH_TEST_PG_URL is set): a
 * scheduled time recorded once under forbid (the unique (job, scheduled time) index and its
 * transaction), run now, attempts, kept logs, history limits and delete; on the real Podman.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CronEventView, CronRunView } from '@berth/shared';
import { testDialects } from './helpers/db';
import { eventually, makeProject, startPlatform, testImage, type TestPlatform } from './helpers/platform';

for (const dialect of testDialects())
  describe(`cron job store (${dialect})`, () => {
    let p: TestPlatform;
    const base = '/api/v1/projects/alpha/envs/test/cronjobs';
    const runs = async (name: string) =>
      (await p.api.get<{ items: CronRunView[] }>(`${base}/${name}/runs`)).body.items;

    before(async () => {
      p = await startPlatform({}, { dialect });
      await makeProject(p.api, 'alpha');
    });
    after(async () => {
      if (!p) return;
      await p.server.close();
      const left = await p.engine.listContainers({ 'berth.cron-instance': p.instanceId });
      await Promise.all(left.map((c) => p.engine.removeContainer(c.id)));
      await p.close();
    });

    it('records each scheduled time once, skips under forbid, keeps the history limits and deletes', async () => {
      const made = await p.api.post(base, {
        name: 'busy',
        spec: {
          schedule: '* * * * * *',
          image: testImage,
          command: ['sh', '-c', 'echo busy; sleep 2'],
          concurrencyPolicy: 'forbid',
          successfulRunsHistoryLimit: 1,
          failedRunsHistoryLimit: 2,
        },
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      await eventually(
        async () => {
          const list = await runs('busy');
          return list.some((r) => r.state === 'succeeded') && list.some((r) => r.state === 'skipped')
            ? true
            : null;
        },
        'a succeeded and a skipped run',
        30_000,
      );
      assert.equal((await p.api.post(`${base}/busy/suspend`)).status, 200);
      const manual = (await p.api.post<CronRunView>(`${base}/busy/run`)).body;
      const done = await eventually(async () => {
        const r = (await runs('busy')).find((x) => x.id === manual.id);
        return r?.state === 'succeeded' ? r : null;
      }, 'the manual run');
      assert.equal(done.attempts[0]!.exitCode, 0);
      const logs = await p.api.get<{ lines: { text: string }[] }>(`${base}/busy/runs/${manual.id}/logs`);
      assert.deepEqual(
        logs.body.lines.map((l) => l.text),
        ['busy'],
      );
      const list = await runs('busy');
      // every scheduled time at most once
      const times = list.filter((r) => r.scheduledAt).map((r) => r.scheduledAt);
      assert.equal(new Set(times).size, times.length);
      // history limits: 1 succeeded and 2 failed/skipped kept
      assert.ok(
        list.filter((r) => r.state === 'succeeded').length <= 1,
        JSON.stringify(list.map((r) => r.state)),
      );
      assert.ok(list.filter((r) => ['failed', 'skipped', 'missed'].includes(r.state)).length <= 2);
      const events = (await p.api.get<{ items: CronEventView[] }>(`${base}/busy/events`)).body.items;
      assert.ok(events.some((e) => e.type === 'Skipped'));
      assert.equal((await p.api.delete(`${base}/busy`)).status, 204);
      await eventually(
        async () => ((await p.api.get(`${base}/busy`)).status === 404 ? true : null),
        'busy gone',
      );
      assert.equal((await p.api.get<{ items: unknown[] }>(base)).body.items.length, 0);
    });
  });
