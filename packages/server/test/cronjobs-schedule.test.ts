import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronJobSpecSchema, nextFireTime, parseCron, CronSyntaxError } from '@berth/shared';
import { backoffMs, dueDecision } from '../src/modules/cronjobs/cron-decision';

const at = (s: string) => Date.parse(s);
const next = (expr: string, tz: string, after: string) => {
  const t = nextFireTime(parseCron(expr), tz, at(after));
  return t === null ? null : new Date(t).toISOString();
};
/** The first n fire times after `after`. */
const series = (expr: string, tz: string, after: string, n: number) => {
  const out: string[] = [];
  let t = at(after);
  for (let i = 0; i < n; i++) {
    t = nextFireTime(parseCron(expr), tz, t)!;
    out.push(new Date(t).toISOString());
  }
  return out;
};

test('fields: steps, ranges, lists, names, 7 = Sunday, macros, seconds', () => {
  assert.equal(next('*/15 * * * *', 'UTC', '2026-01-01T00:07:00Z'), '2026-01-01T00:15:00.000Z');
  assert.equal(next('0 9-17/4 * * MON-FRI', 'UTC', '2026-01-02T13:00:00Z'), '2026-01-02T17:00:00.000Z'); // a Friday
  assert.equal(next('0 9-17/4 * * MON-FRI', 'UTC', '2026-01-02T17:00:00Z'), '2026-01-05T09:00:00.000Z'); // Monday
  assert.equal(next('0 0 * * 7', 'UTC', '2026-01-01T00:00:00Z'), '2026-01-04T00:00:00.000Z'); // Sunday
  assert.equal(next('0 0 1,15 jan,jul *', 'UTC', '2026-01-01T00:00:00Z'), '2026-01-15T00:00:00.000Z');
  assert.equal(next('@hourly', 'UTC', '2026-01-01T00:00:00Z'), '2026-01-01T01:00:00.000Z');
  assert.equal(next('@yearly', 'UTC', '2026-03-01T00:00:00Z'), '2027-01-01T00:00:00.000Z');
  assert.equal(next('@weekly', 'UTC', '2026-01-01T00:00:00Z'), '2026-01-04T00:00:00.000Z');
  // 29 February: the next leap year
  assert.equal(next('0 0 29 2 *', 'UTC', '2026-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
  // day of month and day of week both restricted: either matches (Vixie cron)
  assert.equal(next('0 0 13 * FRI', 'UTC', '2026-02-01T00:00:00Z'), '2026-02-06T00:00:00.000Z');
  // a leading seconds field
  assert.deepEqual(series('*/20 * * * * *', 'UTC', '2026-01-01T00:00:05Z', 3), [
    '2026-01-01T00:00:20.000Z',
    '2026-01-01T00:00:40.000Z',
    '2026-01-01T00:01:00.000Z',
  ]);
  // strictly after: a time equal to `after` is not next
  assert.equal(next('0 * * * *', 'UTC', '2026-01-01T01:00:00Z'), '2026-01-01T02:00:00.000Z');
  // "5/20": from 5 to the end of the range
  assert.deepEqual(parseCron('5/20 * * * *').minutes, [5, 25, 45]);
});

test('bad schedules are refused with what is wrong', () => {
  for (const [expr, what] of [
    ['60 * * * *', /minute: 60 is out of range 0-59/],
    ['* * *', /has 3 fields/],
    ['@every 5m', /unknown macro/],
    ['5-1 * * * *', /goes backwards/],
    ['*/0 * * * *', /step "0"/],
    ['0 0 * FOO *', /month: "FOO" is not a number or a name/],
    ['1,,2 * * * *', /empty list item/],
  ] as const)
    assert.throws(
      () => parseCron(expr),
      (err: unknown) => err instanceof CronSyntaxError && what.test(err.message),
      expr,
    );
  const r = cronJobSpecSchema.safeParse({ schedule: '0 0 30 2 *', image: 'localhost/x:1' });
  assert.equal(r.success, false);
  assert.match(JSON.stringify(r.error?.issues), /never fires/);
  const tz = cronJobSpecSchema.safeParse({
    schedule: '@daily',
    timeZone: 'Mars/Olympus',
    image: 'localhost/x:1',
  });
  assert.match(JSON.stringify(tz.error?.issues), /IANA time zone/);
});

test('time zones: Europe/Berlin across DST — skipped wall time runs once, repeated wall time once', () => {
  // 2026-03-29 02:00 CET → 03:00 CEST (01:00 UTC): 02:30 does not exist; it runs once when the gap ends
  assert.deepEqual(series('30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z', 3), [
    '2026-03-29T01:00:00.000Z',
    '2026-03-30T00:30:00.000Z',
    '2026-03-31T00:30:00.000Z',
  ]);
  // hourly across the gap: 02:00 (skipped) and 03:00 are the same instant, run once
  assert.deepEqual(series('0 * * * *', 'Europe/Berlin', '2026-03-28T23:30:00Z', 3), [
    '2026-03-29T00:00:00.000Z',
    '2026-03-29T01:00:00.000Z',
    '2026-03-29T02:00:00.000Z',
  ]);
  // 2026-10-25 03:00 CEST → 02:00 CET (01:00 UTC): 02:30 happens twice; it runs the first time only
  assert.deepEqual(series('30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00Z', 2), [
    '2026-10-25T00:30:00.000Z',
    '2026-10-26T01:30:00.000Z',
  ]);
  // asked from inside the repeated hour (the second 02:10), the second 02:30 is not run again
  assert.equal(next('30 2 * * *', 'Europe/Berlin', '2026-10-25T01:10:00Z'), '2026-10-26T01:30:00.000Z');
  // a daily 09:00 keeps its wall time: 08:00 UTC in winter, 07:00 UTC in summer
  assert.deepEqual(series('0 9 * * *', 'Europe/Berlin', '2026-03-28T00:00:00Z', 2), [
    '2026-03-28T08:00:00.000Z',
    '2026-03-29T07:00:00.000Z',
  ]);
  // America/New_York, 2026-03-08 02:00 EST → 03:00 EDT (07:00 UTC)
  assert.equal(next('15 2 * * *', 'America/New_York', '2026-03-08T05:00:00Z'), '2026-03-08T07:00:00.000Z');
  // a half-hour zone
  assert.equal(next('0 0 * * *', 'Asia/Kolkata', '2026-01-01T00:00:00Z'), '2026-01-01T18:30:00.000Z');
});

test('the scheduler decision: on time, several missed, past the starting deadline, nothing due', () => {
  const schedule = parseCron('* * * * *');
  const base = { schedule, timeZone: 'UTC' };
  // on time: the minute that just passed runs, nothing missed
  const onTime = dueDecision({
    ...base,
    recordedUpTo: at('2026-01-01T00:00:00Z'),
    now: at('2026-01-01T00:01:00.300Z'),
  });
  assert.equal(onTime.run, at('2026-01-01T00:01:00Z'));
  assert.equal(onTime.missed, null);
  assert.equal(onTime.next, at('2026-01-01T00:02:00Z'));
  // down for 10 minutes, deadline 120 s, back 30 s after the last due time: the latest runs once,
  // the 9 before are reported missed
  const back = dueDecision({
    ...base,
    recordedUpTo: at('2026-01-01T00:00:00Z'),
    now: at('2026-01-01T00:10:30Z'),
    startingDeadlineSeconds: 120,
  });
  assert.equal(back.run, at('2026-01-01T00:10:00Z'));
  assert.deepEqual(back.missed, {
    count: 9,
    first: at('2026-01-01T00:01:00Z'),
    last: at('2026-01-01T00:09:00Z'),
  });
  assert.equal(back.recordUpTo, at('2026-01-01T00:10:00Z'));
  // the same with a 20 s deadline: nothing runs, all 10 missed, and they are recorded (never run later)
  const late = dueDecision({
    ...base,
    recordedUpTo: at('2026-01-01T00:00:00Z'),
    now: at('2026-01-01T00:10:30Z'),
    startingDeadlineSeconds: 20,
  });
  assert.equal(late.run, null);
  assert.equal(late.missed?.count, 10);
  assert.equal(late.recordUpTo, at('2026-01-01T00:10:00Z'));
  // deciding again with what was recorded: nothing due (a time is never started twice)
  const again = dueDecision({
    ...base,
    recordedUpTo: back.recordUpTo,
    now: at('2026-01-01T00:10:45Z'),
    startingDeadlineSeconds: 120,
  });
  assert.equal(again.run, null);
  assert.equal(again.missed, null);
  // a daily job down for a week without a deadline: the latest runs, 6 missed
  const daily = dueDecision({
    schedule: parseCron('@daily'),
    timeZone: 'UTC',
    recordedUpTo: at('2026-01-01T12:00:00Z'),
    now: at('2026-01-08T12:00:00Z'),
  });
  assert.equal(daily.run, at('2026-01-08T00:00:00Z'));
  assert.equal(daily.missed?.count, 6);
  // an every-second schedule down for a day stays cheap
  const t0 = Date.now();
  const dense = dueDecision({
    schedule: parseCron('* * * * * *'),
    timeZone: 'UTC',
    recordedUpTo: at('2026-01-01T00:00:00Z'),
    now: at('2026-01-02T00:00:00.500Z'),
  });
  assert.equal(dense.run, at('2026-01-02T00:00:00Z'));
  assert.ok(Date.now() - t0 < 5000);
});

test('back-off doubles from backoffSeconds and stops at an hour', () => {
  assert.deepEqual(
    [2, 3, 4].map((n) => backoffMs(10, n)),
    [10_000, 20_000, 40_000],
  );
  assert.equal(backoffMs(3000, 5), 3_600_000);
});
