import {
  BerthError,
  ConflictError,
  NotFoundError,
  nextFireTime,
  parseCron,
  type CronAttemptView,
  type CronEventView,
  type CronJobSpec,
  type CronJobView,
  type CronRunState,
  type CronRunView,
} from '@berth/shared';
import type { LogLine } from '@berth/engine-api';
import type { Actor, AppContext } from '../../http/context';
import type { SecretBox } from '../../crypto/secret-box';
import type { Engines } from '../../runtime/engines';
import type { Quotas } from '../quotas/quotas';
import { requireEnvironment, sealEnv, type ServicesService } from '../services/services.service';
import { newId, nowIso, parseJson } from '../../util';
import type { CronLogs } from './cron-logs';
import { cronCluster } from './cron-scheduler';
import {
  activeRunStates,
  type CronAttemptRow,
  type CronJobRow,
  type CronJobsRepository,
  type CronRunRow,
} from './cronjobs.repository';
import type { CronMounts } from './cron-mounts';
import { checkCronOnKubernetes, runsPods } from './cron-kubernetes';

export interface CronJobPath {
  project: string;
  env: string;
  name: string;
}

const seconds = (from: string | null, to: string | null): number | null =>
  from && to ? Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10) : null;

/** The cron job operations: each writes the store, then asks the scheduler to look. */
export class CronJobsService {
  constructor(
    private readonly ctx: AppContext,
    private readonly repo: CronJobsRepository,
    private readonly secrets: SecretBox,
    private readonly engines: Engines,
    private readonly logs: CronLogs,
    /** Workload admission (root, capabilities, image access): the services module's. */
    private readonly services: ServicesService,
    private readonly quotas: Quotas,
    private readonly mounts: CronMounts,
    private readonly kick: () => void,
  ) {}

  async resolve(p: CronJobPath): Promise<CronJobRow> {
    const row = await this.repo.findByPath(p.project, p.env, p.name);
    if (!row || row.deleting === 1)
      throw new NotFoundError(
        'NOT_FOUND',
        `Cron job '${p.name}' does not exist in project '${p.project}' (env '${p.env}').`,
      );
    return row;
  }

  /** Root, capabilities, image access, mounts and the project's quota (one run's container). */
  private async admit(actor: Actor, project: string, env: string, spec: CronJobSpec): Promise<CronJobSpec> {
    const checked = await this.services.checkWorkload(actor, project, spec);
    await this.services.checkImage(actor, project, spec.image);
    const envRow = await this.ctx.db
      .selectFrom('environments')
      .select('clusters')
      .where('name', '=', env)
      .executeTakeFirst();
    const cluster = cronCluster(envRow?.clusters ?? null, this.engines.local.cluster);
    // runs on a Kubernetes cluster are pods: what they cannot have is refused here (a cluster
    // Berth cannot reach now is checked when an attempt starts)
    const engine = await this.engines.get(cluster).catch(() => null);
    if (engine && runsPods(engine)) checkCronOnKubernetes(spec, cluster);
    if (spec.mounts?.length) await this.mounts.check(project, env, spec.mounts, cluster);
    await this.quotas.admit(
      project,
      null,
      { resources: spec.resources, placement: undefined },
      1,
      undefined,
      env,
    );
    return checked;
  }

  private seal(spec: CronJobSpec, previous: CronJobSpec | null): CronJobSpec {
    return { ...spec, env: sealEnv(spec.env, previous?.env, this.secrets) };
  }

  async create(
    project: string,
    env: string,
    input: { name: string; displayName?: string; spec: CronJobSpec },
    actor: Actor,
  ): Promise<CronJobView> {
    await requireEnvironment(this.ctx.db, env);
    const spec = await this.admit(actor, project, env, input.spec);
    const existing = await this.repo.findByPath(project, env, input.name);
    if (existing)
      throw new ConflictError(
        existing.deleting === 1
          ? `Cron job '${input.name}' is being deleted; try again in a few seconds.`
          : `Cron job '${input.name}' already exists in project '${project}' (env '${env}').`,
        undefined,
        'ALREADY_EXISTS',
      );
    const now = nowIso();
    const row: CronJobRow = {
      id: newId(),
      project,
      env,
      name: input.name,
      display_name: input.displayName ?? input.name,
      spec: JSON.stringify(this.seal(spec, null)),
      last_scheduled_at: now,
      deleting: 0,
      created_at: now,
      updated_at: now,
      created_by: actor.name,
      updated_by: actor.name,
      version: 1,
    };
    try {
      await this.repo.insert(row);
    } catch (err) {
      if (await this.repo.findByPath(project, env, input.name))
        throw new ConflictError(
          `Cron job '${input.name}' already exists in project '${project}' (env '${env}').`,
          undefined,
          'ALREADY_EXISTS',
        );
      throw err;
    }
    await this.repo.addEvent(row.id, null, 'Created', `created by ${actor.name}`);
    this.kick();
    return this.view(row);
  }

  async update(
    p: CronJobPath,
    input: { displayName?: string; spec: CronJobSpec; version?: number },
    actor: Actor,
  ): Promise<CronJobView> {
    const row = await this.resolve(p);
    const spec = await this.admit(actor, p.project, p.env, input.spec);
    const previous = parseJson<CronJobSpec>(row.spec, {} as CronJobSpec);
    const sealed = this.seal(spec, previous);
    const resumed = previous.suspend && !sealed.suspend;
    const rescheduled = previous.schedule !== sealed.schedule || previous.timeZone !== sealed.timeZone;
    await this.write(row, input.version, actor, {
      spec: JSON.stringify(sealed),
      display_name: input.displayName ?? row.display_name,
      // times that passed while suspended (or under the old schedule) are not caught up
      ...(resumed || rescheduled ? { last_scheduled_at: nowIso() } : {}),
    });
    await this.repo.addEvent(row.id, null, 'Updated', `updated by ${actor.name}`);
    return this.view((await this.repo.findById(row.id))!);
  }

  private async write(
    row: CronJobRow,
    expected: number | undefined,
    actor: Actor,
    set: Partial<CronJobRow>,
  ): Promise<void> {
    if (expected !== undefined && expected !== row.version) this.conflict(p(row), row.version);
    if (!(await this.repo.update(row.id, row.version, { ...set, updated_by: actor.name }))) {
      const now = await this.resolve(p(row));
      this.conflict(p(row), now.version);
    }
    this.kick();
  }

  private conflict(path: CronJobPath, version: number): never {
    throw new ConflictError(
      `Cron job '${path.name}' was changed by someone else (version ${version}); reload it and apply your change again.`,
      { currentVersion: version },
      'VERSION_CONFLICT',
    );
  }

  async setSuspended(path: CronJobPath, suspend: boolean, actor: Actor): Promise<CronJobView> {
    const row = await this.resolve(path);
    const spec = parseJson<CronJobSpec>(row.spec, {} as CronJobSpec);
    if (spec.suspend !== suspend) {
      await this.write(row, undefined, actor, {
        spec: JSON.stringify({ ...spec, suspend }),
        ...(suspend ? {} : { last_scheduled_at: nowIso() }),
      });
      await this.repo.addEvent(
        row.id,
        null,
        suspend ? 'Suspended' : 'Resumed',
        `${suspend ? 'suspended' : 'resumed'} by ${actor.name}`,
      );
    }
    return this.view((await this.repo.findById(row.id))!);
  }

  /** DELETE: the scheduler stops its runs and removes it (the answer is at once). */
  async remove(path: CronJobPath, actor: Actor): Promise<void> {
    const row = await this.resolve(path);
    // whatever version it has now: a delete does not race an edit into a no-op
    await this.repo.markDeleting(row.id, actor.name);
    this.kick();
  }

  /** Run now: a run outside the schedule (the concurrency policy does not apply to it). */
  async runNow(path: CronJobPath, actor: Actor): Promise<CronRunView> {
    const row = await this.resolve(path);
    const envRow = await this.ctx.db
      .selectFrom('environments')
      .select('clusters')
      .where('name', '=', row.env)
      .executeTakeFirst();
    const run: CronRunRow = {
      id: newId(),
      cronjob_id: row.id,
      trigger: 'manual',
      scheduled_at: null,
      state: 'pending',
      message: null,
      cluster: cronCluster(envRow?.clusters ?? null, this.engines.local.cluster),
      created_at: nowIso(),
      created_by: actor.name,
      started_at: null,
      finished_at: null,
      next_attempt_at: null,
    };
    await this.repo.insertRun(run);
    await this.repo.addEvent(row.id, run.id, 'RunRequested', `run now, asked by ${actor.name}`);
    this.kick();
    return this.runView(run, []);
  }

  async list(project: string, env: string): Promise<CronJobView[]> {
    await requireEnvironment(this.ctx.db, env);
    return Promise.all((await this.repo.list(project, env)).map((r) => this.view(r)));
  }

  async get(path: CronJobPath): Promise<CronJobView> {
    return this.view(await this.resolve(path));
  }

  async view(row: CronJobRow): Promise<CronJobView> {
    const spec = parseJson<CronJobSpec>(row.spec, {} as CronJobSpec);
    const runs = await this.repo.runs(row.id, 50);
    const last = runs.find((r) => !activeRunStates.includes(r.state));
    const next = spec.suspend ? null : nextFireTime(parseCron(spec.schedule), spec.timeZone, Date.now());
    const envRow = await this.ctx.db
      .selectFrom('environments')
      .select('clusters')
      .where('name', '=', row.env)
      .executeTakeFirst();
    return {
      project: row.project,
      env: row.env,
      name: row.name,
      displayName: row.display_name,
      spec: {
        ...spec,
        env: spec.env.map((e) =>
          e.secret ? { name: e.name, value: null, secret: true, isSet: e.value !== null } : e,
        ),
      },
      suspended: spec.suspend,
      cluster: cronCluster(envRow?.clusters ?? null, this.engines.local.cluster),
      nextRunAt: next === null ? null : new Date(next).toISOString(),
      lastScheduledAt: row.last_scheduled_at,
      lastRun: last
        ? {
            id: last.id,
            state: last.state as CronRunState,
            finishedAt: last.finished_at,
            scheduledAt: last.scheduled_at,
          }
        : null,
      activeRuns: runs.filter((r) => activeRunStates.includes(r.state)).length,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      createdBy: row.created_by,
      updatedBy: row.updated_by,
      version: row.version,
    };
  }

  private runView(r: CronRunRow, attempts: CronAttemptRow[]): CronRunView {
    return {
      id: r.id,
      trigger: r.trigger as CronRunView['trigger'],
      scheduledAt: r.scheduled_at,
      state: r.state as CronRunState,
      message: r.message,
      createdAt: r.created_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      durationSeconds: seconds(r.started_at, r.finished_at),
      nextAttemptAt: r.next_attempt_at,
      createdBy: r.created_by,
      attempts: attempts
        .filter((a) => a.run_id === r.id)
        .map((a): CronAttemptView => ({
          number: a.number,
          container: a.container,
          cluster: a.cluster,
          state: a.state as CronAttemptView['state'],
          exitCode: a.exit_code,
          exitReason: a.exit_reason,
          startedAt: a.started_at,
          finishedAt: a.finished_at,
          durationSeconds: seconds(a.started_at, a.finished_at),
        })),
    };
  }

  async runs(path: CronJobPath): Promise<CronRunView[]> {
    const row = await this.resolve(path);
    const runs = await this.repo.runs(row.id);
    const attempts = await this.repo.attempts(runs.map((r) => r.id));
    return runs.map((r) => this.runView(r, attempts));
  }

  private async runRow(path: CronJobPath, runId: string): Promise<{ job: CronJobRow; run: CronRunRow }> {
    const job = await this.resolve(path);
    const run = await this.repo.getRun(job.id, runId);
    if (!run)
      throw new NotFoundError(
        'NOT_FOUND',
        `Run '${runId}' of cron job '${path.name}' does not exist (history limits remove old runs).`,
      );
    return { job, run };
  }

  async run(path: CronJobPath, runId: string): Promise<CronRunView & { events: CronEventView[] }> {
    const { job, run } = await this.runRow(path, runId);
    const attempts = await this.repo.attempts([run.id]);
    const events = await this.repo.events(job.id, run.id);
    return { ...this.runView(run, attempts), events: events.map(eventView) };
  }

  async events(path: CronJobPath): Promise<CronEventView[]> {
    const job = await this.resolve(path);
    return (await this.repo.events(job.id)).map(eventView);
  }

  /**
   * An attempt's output (the last attempt by default): the kept copy once it ended, the
   * container's own log while it runs.
   */
  async runLogs(
    path: CronJobPath,
    runId: string,
    attempt?: number,
  ): Promise<{ attempt: number; live: boolean; lines: LogLine[] }> {
    const { job, run } = await this.runRow(path, runId);
    const attempts = await this.repo.attempts([run.id]);
    const a =
      attempt === undefined ? attempts[attempts.length - 1] : attempts.find((x) => x.number === attempt);
    if (!a)
      throw new BerthError(
        attempt === undefined ? 'UNPROCESSABLE' : 'NOT_FOUND',
        attempt === undefined
          ? `Run '${runId}' has not started an attempt yet.`
          : `Run '${runId}' has no attempt ${attempt}; it has ${attempts.length}.`,
      );
    if (a.state === 'exited')
      return { attempt: a.number, live: false, lines: this.logs.read(job.id, run.id, a.number) ?? [] };
    const lines: LogLine[] = [];
    if (a.engine_id) {
      const engine = await this.engines.get(a.cluster);
      for await (const line of engine.logs(a.engine_id, { tail: 5000 })) lines.push(line);
    }
    return { attempt: a.number, live: true, lines };
  }
}

function p(row: CronJobRow): CronJobPath {
  return { project: row.project, env: row.env, name: row.name };
}

function eventView(e: {
  id: string;
  run_id: string | null;
  type: string;
  message: string;
  severity: string;
  at: string;
}): CronEventView {
  return {
    id: e.id,
    runId: e.run_id,
    type: e.type,
    message: e.message,
    severity: e.severity as CronEventView['severity'],
    at: e.at,
  };
}
