import { fireTimesBetween, nextFireTime, type CronSchedule } from '@berth/shared';

/** What the scheduler knows about one job when it wakes (times in ms since the epoch). */
export interface DueInput {
  schedule: CronSchedule;
  timeZone: string;
  /** The latest scheduled time already recorded; the job's creation (or resume) time when none. */
  recordedUpTo: number;
  now: number;
  /** A due time later than this many seconds is missed (absent: no limit). */
  startingDeadlineSeconds?: number;
}

export interface DueDecision {
  /** The scheduled time to record and start now; null when none is due or it is too late. */
  run: number | null;
  /** Scheduled times that pass without a run (not counting `run`): how many, the first and last. */
  missed: { count: number; first: number; last: number } | null;
  /** What `recordedUpTo` becomes once this decision is written. */
  recordUpTo: number;
  /** The next fire time after now (when to wake), null when the schedule never fires again. */
  next: number | null;
}

/** The latest fire time in (after, now], searching windows that grow so dense schedules stay cheap. */
function latestDue(input: DueInput): { latest: number; count: number; first: number } | null {
  const { schedule, timeZone, recordedUpTo, now } = input;
  const first = nextFireTime(schedule, timeZone, recordedUpTo);
  if (first === null || first > now) return null;
  for (const window of [60_000, 3_600_000, 86_400_000, 31 * 86_400_000, 400 * 86_400_000, Infinity]) {
    const from = Math.max(recordedUpTo, now - window);
    const times = fireTimesBetween(schedule, timeZone, from, now, 5000);
    if (times.length === 0) continue;
    const latest = times[times.length - 1]!;
    // how many were due in all: counted exactly when few, else estimated from the window
    const all =
      from === recordedUpTo
        ? times.length
        : fireTimesBetween(schedule, timeZone, recordedUpTo, now, 5000).length;
    return { latest, count: all, first };
  }
  return null;
}

/**
 * The scheduler's decision for one job, a pure function of the schedule, what is recorded and
 * the clock: the latest due time runs once if it is inside the starting deadline; every earlier
 * due time (missed while Berth was down, or while a pass did not come) is reported as missed.
 */
export function dueDecision(input: DueInput): DueDecision {
  const due = latestDue(input);
  const next = nextFireTime(input.schedule, input.timeZone, Math.max(input.now, input.recordedUpTo));
  if (!due) return { run: null, missed: null, recordUpTo: input.recordedUpTo, next };
  const late = input.now - due.latest;
  const tooLate = input.startingDeadlineSeconds !== undefined && late > input.startingDeadlineSeconds * 1000;
  const missedCount = tooLate ? due.count : due.count - 1;
  return {
    run: tooLate ? null : due.latest,
    missed:
      missedCount > 0
        ? { count: missedCount, first: due.first, last: tooLate ? due.latest : previousOf(input, due.latest) }
        : null,
    recordUpTo: due.latest,
    next,
  };
}

/** The fire time just before `t` (within what is not yet recorded). */
function previousOf(input: DueInput, t: number): number {
  const times = fireTimesBetween(
    input.schedule,
    input.timeZone,
    Math.max(input.recordedUpTo, t - 400 * 86_400_000),
    t - 1,
    5000,
  );
  return times[times.length - 1] ?? t;
}

/** The wait before attempt `n` (2, 3, …): backoffSeconds × 2^(n−2), at most an hour. */
export function backoffMs(backoffSeconds: number, attempt: number): number {
  return Math.min(3_600_000, backoffSeconds * 1000 * 2 ** Math.max(0, attempt - 2));
}
