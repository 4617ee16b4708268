import {
  exitReason,
  isWorkloadEngine,
  type ContainerEngine,
  type ContainerObservation,
  type NamespaceSpec,
} from '@berth/engine-api';
import { ForbiddenError, parseCron, type CronJobSpec } from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { Engines } from '../../runtime/engines';
import type { Reconciler } from '../../runtime/controller-host';
import type { SecretBox } from '../../crypto/secret-box';
import type { ContainerRunner } from '../services/controller/container-runner';
import { restrictedLimits } from '../services/controller/container-runner';
import { envNetwork } from '../services/controller/env-networks';
import { quotaDefaults } from '../quotas/quotas';
import { imageRefOnCluster } from '../registry/image-ref';
import { newId, parseJson } from '../../util';
import { backoffMs, dueDecision } from './cron-decision';
import type { CronLogs } from './cron-logs';
import type { CronAttemptRow, CronJobRow, CronJobsRepository, CronRunRow } from './cronjobs.repository';
import type { CronMounts } from './cron-mounts';
import type { WorkloadMounts } from '../services/mount-source';

/** Labels of cron run containers (not `berth.instance`: the service controller owns those). */
export const cronLabels = {
  instance: 'berth.cron-instance',
  job: 'berth.cronjob',
  run: 'berth.cron-run',
  project: 'berth.project',
  env: 'berth.env',
  cluster: 'berth.cluster',
} as const;

export interface CronSchedulerDeps {
  ctx: AppContext;
  engines: Engines;
  repo: CronJobsRepository;
  /** The service containers' runner: image pulls and the non-root user decision are its. */
  runner: ContainerRunner;
  secrets: SecretBox;
  logs: CronLogs;
  mounts: CronMounts;
  /**
   * The namespace of an environment on a workload cluster (Kubernetes) as its services' applies
   * write it (WorkloadSpecs.namespace): a run applies it when no service keeps it there.
   */
  namespace: (
    project: string,
    env: string,
    cluster: string,
    image: string,
    also: string[],
  ) => Promise<NamespaceSpec>;
  /** The clock (tests inject one); ms since the epoch. */
  clock?: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const poll = 2000;
const idleWake = 30_000;
const stopGraceSeconds = 5;
const sweepEvery = 60_000;

/**
 * The cron scheduler: a reconciler of the controller host, so it runs on the leader only. Every
 * pass computes each job's due time from the schedule and what the store recorded (a pure
 * decision, cron-decision.ts), records a due time (the run row, unique per job and time) before
 * anything starts, drives the runs' attempts (a container each), and sets one timer for the next
 * thing due — a fire time, a retry, a deadline. Timers only decide when to look; what happens is
 * decided from the recorded times, so a late timer or a restart never starts a time twice.
 */
export class CronScheduler implements Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private startedAt = 0;
  private sweptAt = 0;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly waits = new Map<string, AbortController>();
  private readonly clock: () => number;

  constructor(private readonly deps: CronSchedulerDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.startedAt = this.clock();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.waits.values()) w.abort();
    this.waits.clear();
    await this.running;
    await this.idle();
  }

  /** Resolves once every container operation started so far has ended. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight.values()]);
  }

  /** Look now (a job changed, a run was asked for, a container exited). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.pass()
      .catch((err: unknown) => {
        this.deps.ctx.log.error({ err }, 'cron scheduler pass failed');
        return this.clock() + poll;
      })
      .then((wake) => {
        this.running = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.kick();
          return;
        }
        const delay = Math.max(0, Math.min(idleWake, wake - this.clock()));
        this.timer = setTimeout(() => this.kick(), delay);
        this.timer.unref();
      });
  }

  /** One pass over every job; returns when to wake next. */
  async pass(): Promise<number> {
    const { repo } = this.deps;
    let wake = this.clock() + idleWake;
    if (this.clock() - this.sweptAt >= sweepEvery) {
      this.sweptAt = this.clock();
      // in the background: removing a container may take its stop timeout; runs are not held up
      this.track('sweep', () => this.sweep());
    }
    for (const job of await repo.all()) {
      try {
        wake = Math.min(wake, await this.reconcile(job));
      } catch (err) {
        this.deps.ctx.log.error(
          { err, cronjob: `${job.project}/${job.env}/${job.name}` },
          'cron job pass failed',
        );
        wake = Math.min(wake, this.clock() + poll);
      }
    }
    return wake;
  }

  /**
   * Removes run containers of this instance that no unfinished attempt names (left by a crash
   * after their run was pruned or their job deleted). An attempt's row is written before its
   * container and marked ended only after the container is removed, so a live one is never hit.
   */
  private async sweep(): Promise<void> {
    const { engines, repo, ctx } = this.deps;
    for (const cluster of await engines.clusters()) {
      const engine = await engines.get(cluster).catch(() => null);
      if (!engine) continue;
      const found = await engine.listContainers({ [cronLabels.instance]: ctx.config.instanceId });
      if (found.length === 0) continue;
      const live = await repo.liveContainers();
      for (const c of found)
        if (!live.has(c.name) && !this.inflight.has(c.labels[cronLabels.run] ?? '')) {
          await engine.removeContainer(c.id);
          ctx.log.info({ container: c.name, cluster }, 'removed a cron run container no attempt names');
        }
    }
  }

  private async reconcile(job: CronJobRow): Promise<number> {
    const { repo } = this.deps;
    const now = this.clock();
    if (job.deleting === 1) {
      this.track(`delete:${job.id}`, () => this.finishDelete(job));
      return now + poll;
    }
    const spec = parseJson<CronJobSpec>(job.spec, {} as CronJobSpec);
    let wake = now + idleWake;
    if (!spec.suspend) {
      const recordedUpTo = Date.parse(job.last_scheduled_at ?? job.created_at);
      const d = dueDecision({
        schedule: parseCron(spec.schedule),
        timeZone: spec.timeZone,
        recordedUpTo,
        now,
        startingDeadlineSeconds: spec.startingDeadlineSeconds,
      });
      if (d.missed) {
        const down = d.missed.first < this.startedAt ? ' while Berth was not running' : '';
        await repo.addEvent(
          job.id,
          null,
          'Missed',
          `${d.missed.count === 1 ? `the run scheduled at ${iso(d.missed.first)} was` : `${d.missed.count} scheduled runs from ${iso(d.missed.first)} to ${iso(d.missed.last)} were`} missed${down}; ${
            d.run === null
              ? `none is started (past the starting deadline of ${spec.startingDeadlineSeconds} s)`
              : `only the latest, scheduled at ${iso(d.run)}, is started`
          }`,
          'warning',
        );
      }
      if (d.run !== null) await this.scheduled(job, spec, d.run, d.recordUpTo);
      else if (d.recordUpTo !== recordedUpTo) await repo.setRecordedUpTo(job.id, iso(d.recordUpTo));
      if (d.next !== null) wake = Math.min(wake, d.next);
    }
    for (const run of await repo.activeRuns(job.id)) wake = Math.min(wake, await this.drive(job, spec, run));
    return wake;
  }

  /** A due time: recorded first (skipped, replacing or pending), then started. */
  private async scheduled(job: CronJobRow, spec: CronJobSpec, at: number, upTo: number): Promise<void> {
    const { repo } = this.deps;
    const now = this.clock();
    const active = await repo.activeRuns(job.id);
    const base: CronRunRow = {
      id: newId(),
      cronjob_id: job.id,
      trigger: at < this.startedAt ? 'recovery' : 'schedule',
      scheduled_at: iso(at),
      state: 'pending',
      message: null,
      cluster: await this.clusterOf(job.env),
      created_at: iso(now),
      created_by: 'scheduler',
      started_at: null,
      finished_at: null,
      next_attempt_at: null,
    };
    if (active.length > 0 && spec.concurrencyPolicy === 'forbid') {
      const message = `skipped: run ${active[0]!.id} is still going (concurrency policy forbid)`;
      if (
        await repo.recordScheduled(
          job,
          { ...base, state: 'skipped', message, finished_at: iso(now) },
          iso(upTo),
        )
      )
        await repo.addEvent(
          job.id,
          base.id,
          'Skipped',
          `the run scheduled at ${iso(at)} was ${message}`,
          'warning',
        );
      // skipped runs count against the failed history limit too
      await this.prune(job, spec);
      return;
    }
    if (!(await repo.recordScheduled(job, base, iso(upTo)))) return;
    if (base.trigger === 'recovery')
      await repo.addEvent(
        job.id,
        base.id,
        'Recovered',
        `the run scheduled at ${iso(at)} is started late, at recovery (${Math.round((now - at) / 1000)} s late)`,
      );
    if (active.length > 0 && spec.concurrencyPolicy === 'replace')
      // in the background: a stop may take its grace period, and other jobs' runs must not wait
      for (const old of active)
        this.track(`stop:${old.id}`, () =>
          this.stopRun(
            job,
            old,
            'Replaced',
            `replaced by the run scheduled at ${iso(at)} (concurrency policy replace)`,
          ),
        );
    await this.drive(job, spec, base);
  }

  private async clusterOf(env: string): Promise<string> {
    const row = await this.deps.ctx.db
      .selectFrom('environments')
      .select('clusters')
      .where('name', '=', env)
      .executeTakeFirst();
    return cronCluster(row?.clusters ?? null, this.deps.engines.local.cluster);
  }

  /** Moves one active run on; returns when it needs looking at again. */
  private async drive(job: CronJobRow, spec: CronJobSpec, run: CronRunRow): Promise<number> {
    const { repo } = this.deps;
    const now = this.clock();
    if (this.inflight.has(run.id) || this.inflight.has(`stop:${run.id}`)) return now + poll;
    const attempts = await repo.attempts([run.id]);
    const last = attempts[attempts.length - 1];
    const deadline =
      run.started_at && spec.activeDeadlineSeconds
        ? Date.parse(run.started_at) + spec.activeDeadlineSeconds * 1000
        : null;
    if (deadline !== null && now >= deadline) {
      this.track(run.id, () =>
        this.stopRun(
          job,
          run,
          'DeadlineExceeded',
          `the run was still going after its active deadline of ${spec.activeDeadlineSeconds} s`,
        ),
      );
      return now + poll;
    }
    if (run.state === 'pending') {
      const late = run.scheduled_at ? now - Date.parse(run.scheduled_at) : 0;
      if (
        run.scheduled_at &&
        spec.startingDeadlineSeconds &&
        late > spec.startingDeadlineSeconds * 1000 &&
        !last
      ) {
        await repo.updateRun(run.id, {
          state: 'missed',
          finished_at: iso(now),
          message: 'not started within its starting deadline',
        });
        await repo.addEvent(
          job.id,
          run.id,
          'Missed',
          `the run scheduled at ${run.scheduled_at} was not started within its starting deadline of ${spec.startingDeadlineSeconds} s`,
          'warning',
        );
        return now + idleWake;
      }
      this.track(run.id, () => this.startAttempt(job, spec, run, (last?.number ?? 0) + 1));
      return now + poll;
    }
    if (run.state === 'backoff') {
      const at = run.next_attempt_at ? Date.parse(run.next_attempt_at) : now;
      if (at > now) return Math.min(at, deadline ?? at);
      this.track(run.id, () => this.startAttempt(job, spec, run, (last?.number ?? 0) + 1));
      return now + poll;
    }
    // running
    if (last?.state === 'exited') {
      // the attempt's end was recorded but not the run's outcome (a stop in between): settle it
      const obs = {
        exitCode: last.exit_code,
        finishedAt: last.finished_at,
        oomKilled: false,
        memoryLimitBytes: null,
      };
      this.track(run.id, () =>
        this.finishAttempt(
          job,
          spec,
          run,
          { ...last, engine_id: null },
          obs as ContainerObservation,
          last.exit_code === 0 ? null : last.exit_reason,
        ),
      );
      return now + poll;
    }
    if (!last) {
      this.track(run.id, () => this.startAttempt(job, spec, run, 1));
      return now + poll;
    }
    this.track(run.id, () => this.observe(job, spec, run, last));
    return Math.min(now + poll, deadline ?? Infinity);
  }

  /** Looks at a running attempt's container: adopt, wait or finish. */
  private async observe(
    job: CronJobRow,
    spec: CronJobSpec,
    run: CronRunRow,
    a: CronAttemptRow,
  ): Promise<void> {
    const engine = await this.deps.engines.get(a.cluster);
    const obs = await engine.inspectContainer(a.engine_id ?? a.container);
    if (!obs) {
      // created in the store but never in the engine (a crash in between), or removed behind Berth's back
      const reason =
        a.state === 'creating'
          ? 'Interrupted: Berth stopped before the container started'
          : 'Vanished: the container was removed outside Berth';
      await this.finishAttempt(job, spec, run, a, null, reason);
      return;
    }
    if (a.state === 'creating')
      await this.deps.repo.updateAttempt(run.id, a.number, {
        state: 'running',
        engine_id: obs.id,
        started_at: obs.startedAt,
      });
    if (obs.state === 'exited' || obs.state === 'created') {
      if (obs.state === 'created') await engine.removeContainer(obs.id);
      await this.finishAttempt(
        job,
        spec,
        run,
        { ...a, engine_id: obs.id },
        obs.state === 'exited' ? obs : null,
        obs.state === 'created' ? 'CreateFailed: the container never started' : null,
      );
      return;
    }
    this.waitFor(a.cluster, obs.id);
  }

  /** Wakes the scheduler as soon as the container exits (the 2 s look is the fallback). */
  private waitFor(cluster: string, id: string): void {
    if (this.waits.has(id)) return;
    const ac = new AbortController();
    this.waits.set(id, ac);
    void this.deps.engines
      .get(cluster)
      .then((engine) => engine.waitContainer?.(id, ac.signal))
      .catch(() => undefined)
      .finally(() => {
        this.waits.delete(id);
        if (!ac.signal.aborted) this.kick();
      });
  }

  private track(key: string, op: () => Promise<void>): void {
    if (this.inflight.has(key)) return;
    const p = op()
      .catch((err: unknown) => this.deps.ctx.log.warn({ err, run: key }, 'cron run operation failed'))
      .finally(() => {
        this.inflight.delete(key);
        this.kick();
      });
    this.inflight.set(key, p);
  }

  /** An attempt: its row first (a crash after it is resolved by `observe`), then the container. */
  private async startAttempt(job: CronJobRow, spec: CronJobSpec, run: CronRunRow, n: number): Promise<void> {
    const { repo, engines, ctx, runner } = this.deps;
    const now = iso(this.clock());
    const container = `cron-${job.project}-${job.env}-${job.name}-${run.id.slice(-8)}-${n}`;
    const attempt: CronAttemptRow = {
      run_id: run.id,
      number: n,
      container,
      engine_id: null,
      cluster: run.cluster,
      state: 'creating',
      exit_code: null,
      exit_reason: null,
      created_at: now,
      started_at: null,
      finished_at: null,
      log_bytes: null,
    };
    await repo.insertAttempt(attempt);
    await repo.updateRun(run.id, {
      state: 'running',
      started_at: run.started_at ?? now,
      next_attempt_at: null,
    });
    const started = { ...run, state: 'running', started_at: run.started_at ?? now };
    try {
      const engine = await engines.get(run.cluster);
      const where = await engines.addresses(run.cluster);
      const imageRef = imageRefOnCluster(spec.image, ctx.config.registryListen, where.registry);
      const image = await runner.image(spec.image, engine, imageRef);
      const user = await runner.runAs(spec, image, engine);
      const env: Record<string, string> = {};
      for (const e of spec.env) {
        if (e.value === null || e.value === undefined) continue;
        env[e.name] = e.secret ? this.deps.secrets.open(e.value) : e.value;
      }
      const volumes = await this.deps.mounts.resolve(job, run, spec, engine);
      const workloadMounts = await this.prepareWorkload(engine, job, run, spec, imageRef);
      const id = await engine.runContainer({
        name: container,
        image: imageRef,
        command: spec.command,
        args: spec.args,
        env,
        labels: {
          [cronLabels.instance]: ctx.config.instanceId,
          [cronLabels.job]: job.id,
          [cronLabels.run]: run.id,
          [cronLabels.project]: job.project,
          [cronLabels.env]: job.env,
          [cronLabels.cluster]: run.cluster,
        },
        ports: [],
        ...restrictedLimits(spec, await quotaDefaults(ctx.db, job.project), ctx.config.containers.pidsLimit),
        user,
        workingDir: spec.workingDir,
        ...(volumes.length ? { volumes } : {}),
        ...(workloadMounts ? { workloadMounts } : {}),
        // the env's network: a run reaches the env's services by name (docs/networks.md)
        network: envNetwork(ctx.config.instanceId, run.cluster, job.project, job.env),
      });
      const obs = await engine.inspectContainer(id);
      await repo.updateAttempt(run.id, n, {
        state: 'running',
        engine_id: id,
        started_at: obs?.startedAt ?? iso(this.clock()),
      });
      await repo.addEvent(
        job.id,
        run.id,
        'Started',
        `attempt ${n} started: container ${container} on cluster ${run.cluster}${run.scheduled_at ? ` (scheduled at ${run.scheduled_at})` : ''}`,
      );
      this.waitFor(run.cluster, id);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const reason = `${err instanceof ForbiddenError ? 'RootRefused' : 'CreateFailed'}: ${message}`.slice(
        0,
        1000,
      );
      await (
        await engines.get(run.cluster).catch(() => null)
      )
        ?.removeContainer(container)
        .catch(() => undefined);
      await this.finishAttempt(job, spec, started, attempt, null, reason);
    }
  }

  /**
   * On a workload cluster (Kubernetes), before the run's pod: the environment's namespace (when
   * no service keeps it) and the ConfigMaps and claims the run mounts, applied by the engine
   * (docs/kubernetes.md, "Cron jobs"). Returns what the pod mounts; null on other engines.
   */
  private async prepareWorkload(
    engine: ContainerEngine,
    job: CronJobRow,
    run: CronRunRow,
    spec: CronJobSpec,
    imageRef: string,
  ): Promise<WorkloadMounts | null> {
    if (!isWorkloadEngine(engine) || !engine.prepareOneOff) return null;
    const mounts = await this.deps.mounts.workload(job, run, spec);
    const ns = await this.deps.namespace(job.project, job.env, run.cluster, imageRef, [spec.image]);
    await engine.prepareOneOff(ns, mounts);
    return mounts;
  }

  /**
   * Records how an attempt ended (its output kept, the container removed), then what the run does:
   * succeeded, a retry after its back-off, or failed.
   */
  private async finishAttempt(
    job: CronJobRow,
    spec: CronJobSpec,
    run: CronRunRow,
    a: CronAttemptRow,
    obs: ContainerObservation | null,
    reasonOverride: string | null,
    final = false,
  ): Promise<void> {
    const { repo, engines, logs } = this.deps;
    const now = this.clock();
    let logBytes: number | null = null;
    if (a.engine_id) {
      const engine = await engines.get(a.cluster);
      logBytes = await logs.collect(engine, a.engine_id, job.id, run.id, a.number).catch(() => null);
      await engine.removeContainer(a.engine_id);
    }
    const reason = reasonOverride ?? (obs ? exitReason(obs) : 'Unknown');
    const finishedAt = obs?.finishedAt && !obs.finishedAt.startsWith('0001') ? obs.finishedAt : iso(now);
    await repo.updateAttempt(run.id, a.number, {
      state: 'exited',
      exit_code: obs?.exitCode ?? null,
      exit_reason: reason,
      finished_at: finishedAt,
      log_bytes: logBytes,
    });
    if (!reasonOverride && obs?.exitCode === 0) {
      await repo.updateRun(run.id, { state: 'succeeded', finished_at: finishedAt, message: null });
      await repo.addEvent(job.id, run.id, 'Succeeded', `attempt ${a.number} completed (exit 0)`);
    } else if (!final && a.number < 1 + spec.retries) {
      const wait = backoffMs(spec.backoffSeconds, a.number + 1);
      await repo.updateRun(run.id, {
        state: 'backoff',
        next_attempt_at: iso(now + wait),
        message: `attempt ${a.number}: ${reason}`,
      });
      await repo.addEvent(
        job.id,
        run.id,
        'BackOff',
        `attempt ${a.number} failed (${reason}); attempt ${a.number + 1} of ${1 + spec.retries} in ${wait / 1000} s`,
        'warning',
      );
    } else {
      await repo.updateRun(run.id, {
        state: 'failed',
        finished_at: finishedAt,
        message: `attempt ${a.number}: ${reason}`,
      });
      await repo.addEvent(
        job.id,
        run.id,
        'Failed',
        `the run failed after ${a.number} attempt${a.number === 1 ? '' : 's'}: ${reason}`,
        'warning',
      );
    }
    await this.prune(job, spec);
  }

  /** Stops a run (replaced, past its active deadline, its job deleted): no retry. */
  private async stopRun(job: CronJobRow, run: CronRunRow, type: string, why: string): Promise<void> {
    const { repo, engines } = this.deps;
    const spec = parseJson<CronJobSpec>(job.spec, {} as CronJobSpec);
    const attempts = await repo.attempts([run.id]);
    const last = attempts[attempts.length - 1];
    if (last && last.state !== 'exited') {
      const engine = await engines.get(last.cluster);
      const ref = last.engine_id ?? last.container;
      await engine.stopContainer(ref, stopGraceSeconds);
      const obs = await engine.inspectContainer(ref);
      await this.finishAttempt(
        job,
        spec,
        run,
        { ...last, engine_id: obs?.id ?? null },
        obs,
        `${type}: ${why}`,
        true,
      );
    } else {
      await repo.updateRun(run.id, {
        state: 'failed',
        finished_at: iso(this.clock()),
        message: `${type}: ${why}`,
      });
    }
    await repo.addEvent(job.id, run.id, type, `run ${run.id}: ${why}`, 'warning');
  }

  /** History limits: the newest N succeeded and N failed (skipped, missed) runs are kept. */
  private async prune(job: CronJobRow, spec: CronJobSpec): Promise<void> {
    const { repo, logs } = this.deps;
    const runs = await repo.runs(job.id, 10_000);
    const done = runs.filter((r) => !['pending', 'running', 'backoff'].includes(r.state));
    const ok = done.filter((r) => r.state === 'succeeded').slice(spec.successfulRunsHistoryLimit);
    const bad = done.filter((r) => r.state !== 'succeeded').slice(spec.failedRunsHistoryLimit);
    const gone = [...ok, ...bad];
    if (gone.length === 0) return;
    const attempts = await repo.attempts(gone.map((r) => r.id));
    for (const r of gone) logs.removeRun(job.id, r.id, attempts.filter((a) => a.run_id === r.id).length);
    await repo.deleteRuns(gone.map((r) => r.id));
    await repo.pruneEvents(job.id);
  }

  private async finishDelete(job: CronJobRow): Promise<void> {
    for (const run of await this.deps.repo.activeRuns(job.id))
      await this.stopRun(job, run, 'Deleted', 'the cron job was deleted');
    this.deps.logs.removeJob(job.id);
    await this.deps.repo.deleteJob(job.id);
  }
}

/** Where a job's runs go: the first cluster of its environment (the env's default cluster). */
export function cronCluster(clusters: string | null, fallback: string): string {
  try {
    const list: unknown = JSON.parse(clusters ?? '');
    if (Array.isArray(list) && typeof list[0] === 'string') return list[0];
  } catch {
    // fall through
  }
  return fallback;
}
