/**
 * `npm run soak -- cron`: a cron job every minute (5-field schedule, the real thing) runs on time
 * for 3 minutes — each scheduled run's container starts within 2 s of its minute, once, and
 * succeeds. On a real Berth (the test platform) and the test Podman. Prints each run and exits
 * non-zero on any miss. Options: --minutes N (default 3), --tolerance-ms N (default 2000).
 */
import { parseArgs } from 'node:util';
import type { CronRunView } from '@berth/shared';
import {
  eventually,
  makeProject,
  startPlatform,
  testImage,
} from '../../packages/server/test/helpers/platform';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '3' }, 'tolerance-ms': { type: 'string', default: '2000' } },
});
const minutes = Number(values.minutes);
const tolerance = Number(values['tolerance-ms']);

const p = await startPlatform();
let failed = false;
try {
  await makeProject(p.api, 'soak');
  const base = '/api/v1/projects/soak/envs/test/cronjobs';
  const made = await p.api.post(base, {
    name: 'minutely',
    spec: { schedule: '* * * * *', image: testImage, command: ['sh', '-c', 'date -u; echo ok'] },
  });
  if (made.status !== 201) throw new Error(`create: ${made.status} ${JSON.stringify(made.body)}`);
  console.log(
    `cron soak: a job every minute, watching ${minutes} scheduled runs (tolerance ${tolerance} ms)`,
  );
  const runs = await eventually(
    async () => {
      const items = (await p.api.get<{ items: CronRunView[] }>(`${base}/minutely/runs`)).body.items;
      const done = items.filter((r) => r.trigger === 'schedule' && ['succeeded', 'failed'].includes(r.state));
      return done.length >= minutes ? done.reverse().slice(0, minutes) : null;
    },
    `${minutes} scheduled runs`,
    (minutes + 2) * 60_000,
    1000,
  );
  const times = new Set<string>();
  for (const r of runs) {
    const late = Date.parse(r.attempts[0]?.startedAt ?? '') - Date.parse(r.scheduledAt!);
    const ok = r.state === 'succeeded' && late >= 0 && late <= tolerance && !times.has(r.scheduledAt!);
    times.add(r.scheduledAt!);
    if (!ok) failed = true;
    console.log(`${ok ? 'ok  ' : 'FAIL'} scheduled ${r.scheduledAt} started +${late} ms ${r.state}`);
  }
  // consecutive minutes: nothing skipped in between
  const ms = runs.map((r) => Date.parse(r.scheduledAt!));
  for (let i = 1; i < ms.length; i++)
    if (ms[i]! - ms[i - 1]! !== 60_000) {
      failed = true;
      console.log(`FAIL gap of ${(ms[i]! - ms[i - 1]!) / 1000} s between runs`);
    }
} finally {
  await p.api.post('/api/v1/projects/soak/envs/test/cronjobs/minutely/suspend').catch(() => undefined);
  await p.server.close();
  const left = await p.engine.listContainers({ 'berth.cron-instance': p.instanceId });
  await Promise.all(left.map((c) => p.engine.removeContainer(c.id)));
  await p.close();
}
console.log(failed ? 'cron soak: FAILED' : 'cron soak: passed');
process.exit(failed ? 1 : 0);
