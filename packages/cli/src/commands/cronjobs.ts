import { readFile } from 'node:fs/promises';
import {
  createCronJobSchema,
  updateCronJobSchema,
  type CronEventView,
  type CronJobView,
  type CronRunView,
} from '@berth/shared';
import { parseInteger, type OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';
import { applySpecFlags, readSpecFlags, specOptions } from '../spec-flags';

type Draft = Record<string, unknown>;

/** The service spec flags that mean the same on a cron job (no ports, replicas, checks, rollout). */
const sharedFlags = new Set([
  'image',
  'env',
  'secret-env',
  'unset-env',
  'cpu',
  'memory',
  'command',
  'args',
  'cap',
  'read-only-rootfs',
  'pids',
]);

const cronOptions: OptionSpec[] = [
  ...specOptions.filter((o) => sharedFlags.has(o.name)),
  {
    name: 'schedule',
    kind: 'string',
    value: 'CRON',
    description: 'cron schedule: "*/5 * * * *", 6 fields with seconds first, or @hourly, @daily, …',
  },
  {
    name: 'time-zone',
    kind: 'string',
    value: 'TZ',
    description: 'IANA time zone, e.g. Europe/Berlin (default UTC)',
  },
  {
    name: 'concurrency',
    kind: 'string',
    value: 'POLICY',
    description: 'allow | forbid | replace: what a due run does while one is going',
  },
  {
    name: 'starting-deadline',
    kind: 'string',
    value: 'SECONDS',
    description: 'a run later than this is missed',
  },
  {
    name: 'active-deadline',
    kind: 'string',
    value: 'SECONDS',
    description: 'a run going longer is stopped, failed',
  },
  { name: 'retries', kind: 'string', value: 'N', description: 'attempts after a failed one (0-10)' },
  {
    name: 'backoff',
    kind: 'string',
    value: 'SECONDS',
    description: 'wait before the first retry; doubles each time',
  },
  { name: 'keep-succeeded', kind: 'string', value: 'N', description: 'succeeded runs kept in the history' },
  { name: 'keep-failed', kind: 'string', value: 'N', description: 'failed, skipped and missed runs kept' },
  {
    name: 'user',
    kind: 'string',
    value: 'UID[:GID]',
    description: 'run as this user (not root unless permitted)',
  },
  { name: 'suspend', kind: 'boolean', negatable: true, description: 'create or keep it suspended' },
  {
    name: 'file',
    short: 'f',
    kind: 'string',
    value: 'FILE',
    description: 'a cron job spec as JSON; flags apply on top',
  },
  { name: 'display-name', kind: 'string', value: 'TEXT', description: 'a display name' },
];

const jobsPath = (ctx: CommandContext) =>
  `/api/v1/projects/${encodeURIComponent(ctx.project())}/envs/${encodeURIComponent(ctx.env())}/cronjobs`;
const jobPath = (ctx: CommandContext, name: string) => `${jobsPath(ctx)}/${encodeURIComponent(name)}`;

async function readJobFile(ctx: CommandContext): Promise<Draft | null> {
  const file = ctx.args.string('file');
  if (file === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read ${file} as JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CliError(
      `${file} must hold a JSON object: a cron job spec such as {"schedule": "@daily", "image": "…"}`,
    );
  return parsed as Draft;
}

/** The flags onto a draft spec: the service flags first, then the cron job's own. */
function applyFlags(ctx: CommandContext, base: Draft): Draft {
  const spec: Draft = { ...(applySpecFlags(base, readSpecFlags(ctx.args)) as Draft) };
  const a = ctx.args;
  const str = (flag: string, key: string) => {
    const v = a.string(flag);
    if (v !== undefined) spec[key] = v;
  };
  const int = (flag: string, key: string, min: number, max: number) => {
    const v = a.string(flag);
    if (v !== undefined) spec[key] = parseInteger(v, `--${flag}`, min, max);
  };
  str('schedule', 'schedule');
  str('time-zone', 'timeZone');
  str('concurrency', 'concurrencyPolicy');
  str('user', 'user');
  int('starting-deadline', 'startingDeadlineSeconds', 1, 604800);
  int('active-deadline', 'activeDeadlineSeconds', 1, 604800);
  int('retries', 'retries', 0, 10);
  int('backoff', 'backoffSeconds', 1, 3600);
  int('keep-succeeded', 'successfulRunsHistoryLimit', 0, 100);
  int('keep-failed', 'failedRunsHistoryLimit', 0, 100);
  if (a.has('suspend')) spec.suspend = a.bool('suspend');
  return spec;
}

/** A job's spec as the base of an edit: secrets keep their stored value (sent as null). */
function specOfJob(job: CronJobView): Draft {
  return {
    ...job.spec,
    env: job.spec.env.map((e) => ({ name: e.name, value: e.secret ? null : e.value, secret: e.secret })),
  };
}

const when = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

function lastResult(job: CronJobView): string {
  if (job.activeRuns > 0) return `running (${job.activeRuns})`;
  return job.lastRun ? `${job.lastRun.state} ${when(job.lastRun.finishedAt)}` : '-';
}

function printJob(ctx: CommandContext, job: CronJobView): void {
  const s = job.spec;
  const lines = [
    `name:         ${job.name}`,
    `schedule:     ${s.schedule} (${s.timeZone})${job.suspended ? '  SUSPENDED' : ''}`,
    `next run:     ${when(job.nextRunAt)}`,
    `last result:  ${lastResult(job)}`,
    `image:        ${s.image}`,
    `command:      ${[...(s.command ?? []), ...(s.args ?? [])].join(' ') || '(image default)'}`,
    `concurrency:  ${s.concurrencyPolicy}`,
    `retries:      ${s.retries} (back-off ${s.backoffSeconds} s, doubling)`,
    `deadlines:    starting ${s.startingDeadlineSeconds ?? '-'} s, active ${s.activeDeadlineSeconds ?? '-'} s`,
    `history:      ${s.successfulRunsHistoryLimit} succeeded, ${s.failedRunsHistoryLimit} failed`,
    `cluster:      ${job.cluster}`,
    `version:      ${job.version} (updated by ${job.updatedBy} at ${when(job.updatedAt)})`,
  ];
  for (const e of s.env) lines.push(`env:          ${e.name}=${e.secret ? '(secret)' : e.value}`);
  ctx.out.raw(lines.join('\n') + '\n');
}

function runRows(ctx: CommandContext, runs: CronRunView[]): void {
  ctx.out.table(
    runs,
    [
      { header: 'RUN', value: (r) => r.id },
      { header: 'TRIGGER', value: (r) => r.trigger },
      { header: 'SCHEDULED', value: (r) => when(r.scheduledAt) },
      { header: 'STATE', value: (r) => r.state },
      { header: 'ATTEMPTS', value: (r) => String(r.attempts.length) },
      { header: 'EXIT', value: (r) => r.attempts.at(-1)?.exitReason ?? '-' },
      { header: 'STARTED', value: (r) => when(r.startedAt) },
      { header: 'DURATION', value: (r) => (r.durationSeconds === null ? '-' : `${r.durationSeconds}s`) },
    ],
    'no runs',
  );
}

async function save(ctx: CommandContext, create: boolean): Promise<number> {
  const name = ctx.arg(0);
  const client = await ctx.client();
  const file = await readJobFile(ctx);
  const displayName = ctx.args.string('display-name');
  if (create) {
    const spec = applyFlags(ctx, file ?? {});
    if (spec.schedule === undefined || spec.image === undefined)
      throw ctx.usageError('--schedule and --image are required (or "schedule" and "image" in the -f file)');
    const body = { name, displayName, spec };
    validate(createCronJobSchema, body, 'cron job');
    const job = await client.post<CronJobView>(jobsPath(ctx), body);
    if (ctx.out.json) ctx.out.printJson(job);
    else ctx.out.line(`cron job ${name} created; next run ${when(job.nextRunAt)}`);
    return 0;
  }
  const current = await client.get<CronJobView>(jobPath(ctx, name));
  const spec = applyFlags(ctx, file ?? specOfJob(current));
  const body = { displayName, spec, version: current.version };
  validate(updateCronJobSchema, body, 'cron job');
  const job = await client.put<CronJobView>(jobPath(ctx, name), body);
  if (ctx.out.json) ctx.out.printJson(job);
  else ctx.out.line(`cron job ${name} updated (version ${job.version}); next run ${when(job.nextRunAt)}`);
  return 0;
}

/** berth cronjobs …: scheduled jobs of an environment, their runs and logs. */
export const cronJobCommands: CommandDef[] = [
  {
    name: 'cronjobs list',
    usage: '-p PROJECT [-e ENV]',
    summary: "list an environment's cron jobs with their next run and last result",
    positionals: { min: 0, max: 0 },
    scoped: true,
    async run(ctx) {
      const { items } = await (await ctx.client()).get<{ items: CronJobView[] }>(jobsPath(ctx));
      if (ctx.out.json) ctx.out.printJson(items);
      else
        ctx.out.table(
          items,
          [
            { header: 'NAME', value: (j) => j.name },
            {
              header: 'SCHEDULE',
              value: (j) => `${j.spec.schedule}${j.spec.timeZone === 'UTC' ? '' : ` ${j.spec.timeZone}`}`,
            },
            { header: 'SUSPENDED', value: (j) => (j.suspended ? 'yes' : 'no') },
            { header: 'NEXT RUN', value: (j) => when(j.nextRunAt) },
            { header: 'LAST RESULT', value: (j) => lastResult(j) },
          ],
          `no cron jobs in project ${ctx.project()} (env ${ctx.env()})`,
        );
      return 0;
    },
  },
  {
    name: 'cronjobs get',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: 'show a cron job',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const job = await (await ctx.client()).get<CronJobView>(jobPath(ctx, ctx.arg(0)));
      if (ctx.out.json) ctx.out.printJson(job);
      else printJob(ctx, job);
      return 0;
    },
  },
  {
    name: 'cronjobs create',
    usage: 'NAME --schedule CRON --image IMG [flags | -f FILE] -p PROJECT [-e ENV]',
    summary: 'create a cron job from flags or a JSON file',
    positionals: { min: 1, max: 1 },
    options: cronOptions,
    scoped: true,
    run: (ctx) => save(ctx, true),
  },
  {
    name: 'cronjobs edit',
    usage: 'NAME [flags | -f FILE] -p PROJECT [-e ENV]',
    summary: 'change a cron job: flags apply on its current spec (or -f FILE replaces it)',
    positionals: { min: 1, max: 1 },
    options: cronOptions,
    scoped: true,
    run: (ctx) => save(ctx, false),
  },
  {
    name: 'cronjobs runs',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: "a cron job's runs, newest first (state, attempts, exit, duration)",
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const { items } = await (
        await ctx.client()
      ).get<{ items: CronRunView[] }>(`${jobPath(ctx, ctx.arg(0))}/runs`);
      if (ctx.out.json) ctx.out.printJson(items);
      else runRows(ctx, items);
      return 0;
    },
  },
  {
    name: 'cronjobs events',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: "a cron job's events (started, back-off, skipped, missed, …)",
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const { items } = await (
        await ctx.client()
      ).get<{ items: CronEventView[] }>(`${jobPath(ctx, ctx.arg(0))}/events`);
      if (ctx.out.json) ctx.out.printJson(items);
      else
        ctx.out.table(
          items,
          [
            { header: 'AT', value: (e) => when(e.at) },
            { header: 'TYPE', value: (e) => e.type },
            { header: 'MESSAGE', value: (e) => e.message },
          ],
          'no events',
        );
      return 0;
    },
  },
  {
    name: 'cronjobs logs',
    usage: 'NAME RUN [--attempt N] -p PROJECT [-e ENV]',
    summary: "a run's output (the last attempt unless --attempt), kept after its container is gone",
    positionals: { min: 2, max: 2 },
    options: [
      { name: 'attempt', kind: 'string', value: 'N', description: 'which attempt (default: the last)' },
    ],
    scoped: true,
    async run(ctx) {
      const attempt = ctx.args.string('attempt');
      const out = await (
        await ctx.client()
      ).get<{ attempt: number; live: boolean; lines: { stream: string; text: string }[] }>(
        `${jobPath(ctx, ctx.arg(0))}/runs/${encodeURIComponent(ctx.arg(1))}/logs`,
        attempt === undefined ? undefined : { attempt: String(parseInteger(attempt, '--attempt', 1, 100)) },
      );
      if (ctx.out.json) ctx.out.printJson(out);
      else ctx.out.raw(out.lines.map((l) => `${l.text}\n`).join(''));
      return 0;
    },
  },
  {
    name: 'cronjobs run',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: 'run a cron job now (outside its schedule)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const run = await (await ctx.client()).post<CronRunView>(`${jobPath(ctx, ctx.arg(0))}/run`);
      if (ctx.out.json) ctx.out.printJson(run);
      else ctx.out.line(`run ${run.id} started; see: berth cronjobs runs ${ctx.arg(0)}`);
      return 0;
    },
  },
  ...(['suspend', 'resume'] as const).map((verb): CommandDef => ({
    name: `cronjobs ${verb}`,
    usage: 'NAME -p PROJECT [-e ENV]',
    summary:
      verb === 'suspend' ? 'stop scheduling runs (runs going on finish)' : 'schedule runs again from now on',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const job = await (await ctx.client()).post<CronJobView>(`${jobPath(ctx, ctx.arg(0))}/${verb}`);
      if (ctx.out.json) ctx.out.printJson(job);
      else
        ctx.out.line(
          `cron job ${job.name} ${verb === 'suspend' ? 'suspended' : `resumed; next run ${when(job.nextRunAt)}`}`,
        );
      return 0;
    },
  })),
  {
    name: 'cronjobs delete',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: 'delete a cron job: its running containers are stopped, its runs and logs removed',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      await (await ctx.client()).delete(jobPath(ctx, ctx.arg(0)));
      ctx.out.line(`cron job ${ctx.arg(0)} deleted`);
      return 0;
    },
  },
];
