import { z } from 'zod';
import { displayNameSchema, nameSchema } from './names';
import {
  capabilityNames,
  capabilitySchema,
  checkEnvVars,
  checkMountPaths,
  envVarSchema,
  imageRefSchema,
  mountSchema,
  resourcesSchema,
} from './service-spec';

/*
 * Cron jobs (docs/cronjobs.md): the schedule grammar, its next fire time in an IANA time zone
 * (correct across DST), and the request schemas. Pure: the server's scheduler, the CLI and the
 * portal share it.
 */

/** Macros accepted instead of the fields. */
export const cronMacros: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** A parsed schedule: the allowed values of each field, ascending. */
export interface CronSchedule {
  seconds: number[];
  minutes: number[];
  hours: number[];
  days: number[];
  months: number[];
  weekdays: number[];
  /** Whether day-of-month / day-of-week were restricted (both: either matches, as in Vixie cron). */
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
  /** The schedule has a seconds field (6 fields). */
  hasSeconds: boolean;
}

const monthNames = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const dayNames = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldDef {
  what: string;
  min: number;
  max: number;
  names?: string[];
  /** The first name's value (months start at 1). */
  nameBase?: number;
}

const fieldDefs: Record<'second' | 'minute' | 'hour' | 'day' | 'month' | 'weekday', FieldDef> = {
  second: { what: 'second', min: 0, max: 59 },
  minute: { what: 'minute', min: 0, max: 59 },
  hour: { what: 'hour', min: 0, max: 23 },
  day: { what: 'day of month', min: 1, max: 31 },
  month: { what: 'month', min: 1, max: 12, names: monthNames, nameBase: 1 },
  // 7 is Sunday too
  weekday: { what: 'day of week', min: 0, max: 7, names: dayNames, nameBase: 0 },
};

export class CronSyntaxError extends Error {}

function parseValue(text: string, def: FieldDef): number {
  const upper = text.toUpperCase();
  if (def.names) {
    const i = def.names.indexOf(upper);
    if (i >= 0) return i + (def.nameBase ?? 0);
  }
  if (!/^[0-9]+$/.test(text))
    throw new CronSyntaxError(
      `${def.what}: "${text}" is not a number${def.names ? ` or a name (${def.names.join(', ')})` : ''}`,
    );
  const n = Number(text);
  if (n < def.min || n > def.max)
    throw new CronSyntaxError(`${def.what}: ${n} is out of range ${def.min}-${def.max}`);
  return n;
}

/** One field: "*", "5", "1-5", "*\/15", "10-50/10", "MON-FRI", lists of those. */
function parseField(text: string, def: FieldDef): { values: number[]; star: boolean } {
  const out = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    if (part === '') throw new CronSyntaxError(`${def.what}: empty list item in "${text}"`);
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronSyntaxError(`${def.what}: "${part}" has more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^[0-9]+$/.test(stepText) || Number(stepText) < 1)
        throw new CronSyntaxError(`${def.what}: step "${stepText}" must be a whole number of 1 or more`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = def.min;
      hi = def.max === 7 ? 6 : def.max;
      if (stepText === undefined) star = true;
    } else if (range!.includes('-')) {
      const [a, b, more] = range!.split('-');
      if (more !== undefined || !a || !b) throw new CronSyntaxError(`${def.what}: bad range "${range}"`);
      lo = parseValue(a, def);
      hi = parseValue(b, def);
      if (hi < lo) throw new CronSyntaxError(`${def.what}: range "${range}" goes backwards`);
    } else {
      lo = parseValue(range!, def);
      // "5/15" means 5, 20, 35, 50 (from 5 to the end)
      hi = stepText === undefined ? lo : def.max;
    }
    for (let v = lo; v <= hi; v += step) out.add(def.max === 7 && v === 7 ? 0 : v);
  }
  return { values: [...out].sort((x, y) => x - y), star };
}

/**
 * Parses a schedule: 5 fields (minute hour day-of-month month day-of-week), 6 fields with a
 * leading seconds field, or a macro (@hourly, @daily, …). Throws CronSyntaxError saying what is wrong.
 */
export function parseCron(expr: string): CronSchedule {
  const trimmed = expr.trim();
  const text = trimmed.startsWith('@') ? cronMacros[trimmed.toLowerCase()] : trimmed;
  if (text === undefined)
    throw new CronSyntaxError(`unknown macro "${trimmed}"; use one of ${Object.keys(cronMacros).join(', ')}`);
  const fields = text.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6)
    throw new CronSyntaxError(
      `has ${fields.length} fields; give 5 (minute hour day-of-month month day-of-week), 6 with a leading seconds field, or a macro such as @hourly`,
    );
  const hasSeconds = fields.length === 6;
  const [sec, min, hour, day, month, weekday] = hasSeconds ? fields : ['0', ...fields];
  const d = parseField(day!, fieldDefs.day);
  const w = parseField(weekday!, fieldDefs.weekday);
  const s: CronSchedule = {
    seconds: parseField(sec!, fieldDefs.second).values,
    minutes: parseField(min!, fieldDefs.minute).values,
    hours: parseField(hour!, fieldDefs.hour).values,
    days: d.values,
    months: parseField(month!, fieldDefs.month).values,
    weekdays: w.values,
    daysRestricted: !d.star,
    weekdaysRestricted: !w.star,
    hasSeconds,
  };
  return s;
}

// ---- time zones ---------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time at an instant, as a "naive" UTC millisecond count (whole seconds). */
function wallAt(tz: string, ms: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/** The zone's offset (ms, wall − UTC) at an instant. */
function offsetAt(tz: string, ms: number): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallAt(tz, whole) - whole;
}

const hour = 3_600_000;

/**
 * When a wall-clock time happens: its instant; the earlier one when the wall time repeats (the
 * clocks go back); and for a wall time the clocks skip (they go forward), the instant the gap ends.
 * So the map is monotonic: later wall times never happen earlier.
 */
export function wallToInstant(tz: string, wall: number): number {
  const before = offsetAt(tz, wall - 14 * hour);
  const after = offsetAt(tz, wall + 14 * hour);
  const candidates = [...new Set([before, after, offsetAt(tz, wall)])]
    .map((o) => wall - o)
    .filter((ms) => wallAt(tz, ms) === wall)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0]!;
  // In a gap: the offset changes between wall − max and wall − min; find the change to the second.
  let lo = wall - Math.max(before, after);
  let hi = wall - Math.min(before, after);
  const loOffset = offsetAt(tz, lo);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offsetAt(tz, mid) === loOffset) lo = mid;
    else hi = mid;
  }
  return hi;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function dayMatches(s: CronSchedule, year: number, month: number, day: number): boolean {
  if (!s.months.includes(month)) return false;
  const dom = s.days.includes(day);
  const dow = s.weekdays.includes(new Date(Date.UTC(year, month - 1, day)).getUTCDay());
  if (s.daysRestricted && s.weekdaysRestricted) return dom || dow;
  if (s.daysRestricted) return dom;
  if (s.weekdaysRestricted) return dow;
  return true;
}

/** Matching wall times ≥ `from` (naive ms), ascending; gives up after `years` years. */
function* wallTimes(s: CronSchedule, from: number, years = 8): Generator<number> {
  const start = new Date(from);
  let y = start.getUTCFullYear();
  let m = start.getUTCMonth() + 1;
  let d = start.getUTCDate();
  let first = true;
  const endYear = y + years;
  while (y <= endYear) {
    if (dayMatches(s, y, m, d)) {
      for (const h of s.hours) {
        if (first && h < start.getUTCHours()) continue;
        const firstHour = first && h === start.getUTCHours();
        for (const mi of s.minutes) {
          if (firstHour && mi < start.getUTCMinutes()) continue;
          const firstMinute = firstHour && mi === start.getUTCMinutes();
          for (const sec of s.seconds) {
            if (firstMinute && sec < start.getUTCSeconds()) continue;
            yield Date.UTC(y, m - 1, d, h, mi, sec);
          }
        }
      }
    }
    first = false;
    d += 1;
    if (d > daysInMonth(y, m)) {
      d = 1;
      m += 1;
      if (m > 12) {
        m = 1;
        y += 1;
      }
    }
  }
}

/**
 * The first fire time strictly after `after` (ms since the epoch), in time zone `tz`; null when
 * the schedule never fires (e.g. 30 February). A wall time skipped by a DST change fires once, when
 * the gap ends; a repeated wall time fires once, the first time.
 */
export function nextFireTime(s: CronSchedule, tz: string, after: number): number | null {
  const unit = s.hasSeconds ? 1000 : 60_000;
  const early = offsetAt(tz, after - 3 * hour);
  const now = offsetAt(tz, after);
  const late = offsetAt(tz, after + 3 * hour);
  const wallNow = wallAt(tz, after);
  if (early === now && now === late) {
    // No DST change near: the first matching wall time after now's is the next one (monotonic).
    for (const wall of wallTimes(s, Math.floor(wallNow / unit) * unit + unit)) return wallToInstant(tz, wall);
    return null;
  }
  // Near a DST change the wall times just before now's may still happen after `after`: look back
  // 3 h; a wall time w happens within [w − max offset, w − min offset], so most are ruled out cheaply.
  const minOffset = Math.min(early, now, late);
  for (const wall of wallTimes(s, wallNow - 3 * hour)) {
    if (wall - minOffset <= after) continue;
    const at = wallToInstant(tz, wall);
    if (at > after) return at;
  }
  return null;
}

/** The fire times in (after, until], at most `limit` (the scheduler's missed-run check). */
export function fireTimesBetween(
  s: CronSchedule,
  tz: string,
  after: number,
  until: number,
  limit = 1000,
): number[] {
  const out: number[] = [];
  let t = after;
  while (out.length < limit) {
    const next = nextFireTime(s, tz, t);
    if (next === null || next > until) break;
    out.push(next);
    t = next;
  }
  return out;
}

// ---- the API's shapes ----------------------------------------------------------------------

export const concurrencyPolicies = ['allow', 'forbid', 'replace'] as const;
export type ConcurrencyPolicy = (typeof concurrencyPolicies)[number];

const scheduleSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(200)
  .superRefine((v, ctx) => {
    try {
      const s = parseCron(v);
      if (nextFireTime(s, 'UTC', Date.UTC(2000, 0, 1)) === null)
        ctx.addIssue({ code: 'custom', message: 'never fires (no date matches the day and month fields)' });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
    }
  });

/** A cron job's spec: when, what runs (like a service container), and how runs behave. */
export const cronJobSpecSchema = z
  .object({
    /** Cron syntax: 5 fields, 6 with a leading seconds field, or @hourly, @daily, … */
    schedule: scheduleSchema,
    /** IANA time zone the schedule is read in. */
    timeZone: z
      .string()
      .max(64)
      .default('UTC')
      .refine((tz) => isTimeZone(tz), 'must be an IANA time zone such as "Europe/Berlin" or "UTC"'),
    image: imageRefSchema,
    command: z.array(z.string().max(4096)).max(64).optional(),
    args: z.array(z.string().max(32768)).max(256).optional(),
    env: z.array(envVarSchema).max(256).default([]),
    resources: resourcesSchema.default({}),
    workingDir: z.string().startsWith('/').max(1024).optional(),
    user: z
      .string()
      .max(64)
      .regex(
        /^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/,
        'must be uid[:gid] or a user name',
      )
      .optional(),
    runAsRoot: z.boolean().default(false),
    capabilities: z.array(capabilitySchema).max(capabilityNames.length).optional(),
    readOnlyRootFilesystem: z.boolean().optional(),
    mounts: z.array(mountSchema).max(32).optional(),
    /** What a due run does while another run of the job is still going. */
    concurrencyPolicy: z.enum(concurrencyPolicies).default('allow'),
    /** A run not started within this many seconds of its time is missed (absent: no limit). */
    startingDeadlineSeconds: z
      .number()
      .int()
      .min(1)
      .max(86400 * 7)
      .optional(),
    /** A run still going after this many seconds (from its first attempt) is stopped and failed. */
    activeDeadlineSeconds: z
      .number()
      .int()
      .min(1)
      .max(86400 * 7)
      .optional(),
    /** Attempts after a failed one; the n-th retry waits backoffSeconds × 2^(n−1), at most 1 hour. */
    retries: z.number().int().min(0).max(10).default(0),
    backoffSeconds: z.number().int().min(1).max(3600).default(10),
    successfulRunsHistoryLimit: z.number().int().min(0).max(100).default(3),
    failedRunsHistoryLimit: z.number().int().min(0).max(100).default(3),
    suspend: z.boolean().default(false),
  })
  .strict()
  .superRefine((s, ctx) => {
    checkEnvVars(s.env, ctx);
    checkMountPaths(s.mounts, ctx);
  });
export type CronJobSpec = z.output<typeof cronJobSpecSchema>;
export type CronJobSpecInput = z.input<typeof cronJobSpecSchema>;

export const createCronJobSchema = z
  .object({ name: nameSchema, displayName: displayNameSchema.optional(), spec: cronJobSpecSchema })
  .strict();
export const updateCronJobSchema = z
  .object({
    displayName: displayNameSchema.optional(),
    spec: cronJobSpecSchema,
    /** The version read; a mismatch is 409 VERSION_CONFLICT. */
    version: z.number().int().min(1).optional(),
  })
  .strict();

export const cronRunStates = [
  'pending',
  'running',
  'backoff',
  'succeeded',
  'failed',
  'skipped',
  'missed',
] as const;
export type CronRunState = (typeof cronRunStates)[number];

export interface CronJobView {
  project: string;
  env: string;
  name: string;
  displayName: string;
  spec: CronJobSpec;
  suspended: boolean;
  cluster: string;
  nextRunAt: string | null;
  lastScheduledAt: string | null;
  lastRun: { id: string; state: CronRunState; finishedAt: string | null; scheduledAt: string | null } | null;
  activeRuns: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
  version: number;
}

export interface CronAttemptView {
  number: number;
  container: string;
  cluster: string;
  state: 'creating' | 'running' | 'exited';
  exitCode: number | null;
  exitReason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
}

export interface CronRunView {
  id: string;
  trigger: 'schedule' | 'manual' | 'recovery';
  scheduledAt: string | null;
  state: CronRunState;
  message: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  nextAttemptAt: string | null;
  createdBy: string;
  attempts: CronAttemptView[];
}

export interface CronEventView {
  id: string;
  runId: string | null;
  type: string;
  message: string;
  severity: 'info' | 'warning';
  at: string;
}
