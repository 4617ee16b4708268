/**
 * Builds wait in a FIFO queue; at most `concurrency` run at once. Each running build has an
 * AbortController: cancel aborts it with reason "cancelled", the pipeline's timeout with
 * "timed-out"; the runner's steps kill their processes and containers on abort.
 */
import { lstatSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BuildState } from '@berth/shared';
import type { ContainerEngine } from '@berth/engine-api';
import { nowIso } from '../../util';
import type { AppContext } from '../../http/context';
import type { TaskRepository } from '../tasks/tasks.repository';
import { StepTracker } from './build-steps';
import { buildLabel, type BuildRunner, type CodeflowSettings } from './build-runner';
import type { BuildRow, CodeflowRepository, PipelineRow } from './codeflow.repository';
import { GitMirror, type RepoCredentials } from './git-mirror';
import { parseJson } from '../../util';

interface Queued {
  buildId: string;
  sha: string | null;
}

export interface QueueDeps {
  ctx: AppContext;
  repo: CodeflowRepository;
  tasks: TaskRepository;
  runner: BuildRunner;
  settings: CodeflowSettings;
  root: string;
  credentials: (p: PipelineRow) => RepoCredentials;
  /** Removes the build containers a killed server left (recover); none without it. */
  engine?: Pick<ContainerEngine, 'listContainers' | 'removeContainer'>;
}

export class BuildQueue {
  private readonly waiting: Queued[] = [];
  private readonly running = new Map<string, AbortController>();
  private readonly idle = new Set<() => void>();
  private closed = false;

  constructor(private readonly deps: QueueDeps) {}

  /**
   * Builds left queued by a previous process run again; ones it was running failed, and what
   * they left behind goes: the build-script container (it carries no instance label, so the
   * service controller never reaps it) and the build's work directory.
   */
  async recover(): Promise<void> {
    for (const b of await this.deps.repo.buildsInState(['queued', 'running'])) {
      if (b.state === 'queued') this.enqueue(b.id, null);
      else {
        await this.removeLeftovers(b.id);
        await this.finish(b, 'failed', 'the server restarted while this build ran');
      }
    }
  }

  private async removeLeftovers(buildId: string): Promise<void> {
    rmSync(path.join(this.deps.root, 'work', buildId), { recursive: true, force: true });
    const engine = this.deps.engine;
    if (!engine) return;
    try {
      for (const c of await engine.listContainers({ [buildLabel]: buildId }))
        await engine.removeContainer(c.id);
    } catch (err) {
      this.deps.ctx.log.warn(
        { err, buildId },
        'codeflow: a build container left by a restart was not removed',
      );
    }
  }

  enqueue(buildId: string, sha: string | null): void {
    this.waiting.push({ buildId, sha });
    this.pump();
  }

  /** Cancels a queued or running build; false when it is not in this queue. */
  async cancel(build: BuildRow): Promise<boolean> {
    const i = this.waiting.findIndex((q) => q.buildId === build.id);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      await this.finish(build, 'cancelled', 'cancelled before it started');
      return true;
    }
    const ctl = this.running.get(build.id);
    if (!ctl) return false;
    ctl.abort('cancelled');
    return true;
  }

  /** Stops taking builds and aborts the running ones. */
  async close(): Promise<void> {
    this.closed = true;
    for (const ctl of this.running.values()) ctl.abort('shutdown');
    while (this.running.size > 0) await new Promise<void>((r) => this.idle.add(r));
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.deps.settings.concurrency && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      const ctl = new AbortController();
      this.running.set(next.buildId, ctl);
      void this.execute(next, ctl).finally(() => {
        this.running.delete(next.buildId);
        for (const r of this.idle) r();
        this.idle.clear();
        this.pump();
      });
    }
  }

  private async execute(q: Queued, ctl: AbortController): Promise<void> {
    const { repo, tasks } = this.deps;
    const build = await repo.buildById(q.buildId);
    const pipeline = build && (await repo.pipelineById(build.pipeline_id));
    if (!build || !pipeline || build.state !== 'queued') return;
    // One writer per build log: lines arrive from git, podman and the steps at once.
    let written: Promise<void> = Promise.resolve();
    const log = (line: string): Promise<void> => {
      written = written
        .then(() => tasks.log(build.task_id, line))
        .catch((err: unknown) => this.deps.ctx.log.warn({ err }, 'build log line lost'));
      return written;
    };
    const timer = setTimeout(() => ctl.abort('timed-out'), pipeline.timeout_seconds * 1000);
    const steps = new StepTracker(
      parseJson(build.steps_json, []),
      (s) => repo.updateBuild(build.id, { steps_json: JSON.stringify(s) }),
      log,
    );
    const started = Date.now();
    try {
      await repo.updateBuild(build.id, { state: 'running', started_at: nowIso() });
      await tasks.progress(build.task_id, 0, 6, `building ${pipeline.name} #${build.number}`);
      await this.deps.runner.run({
        build,
        pipeline,
        creds: this.deps.credentials(pipeline),
        mirror: new GitMirror(this.deps.root, pipeline.id),
        sha: q.sha,
        signal: ctl.signal,
        steps,
        log,
      });
      await log(`build #${build.number} succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await written;
      await this.finish(build, 'succeeded', null);
    } catch (err) {
      const reason = ctl.signal.aborted ? String(ctl.signal.reason) : null;
      const state: BuildState =
        reason === 'cancelled' ? 'cancelled' : reason === 'timed-out' ? 'timed-out' : 'failed';
      await steps.stopRest(state === 'failed' ? 'skipped' : 'cancelled');
      const message =
        state === 'timed-out'
          ? `the build took longer than its timeout of ${pipeline.timeout_seconds} s and was stopped`
          : state === 'cancelled'
            ? 'cancelled by request'
            : err instanceof Error
              ? err.message
              : String(err);
      await written;
      await this.finish(build, state, message);
    } finally {
      clearTimeout(timer);
      await this.retain(pipeline).catch((e: unknown) =>
        this.deps.ctx.log.warn({ err: e }, 'codeflow retention failed'),
      );
    }
  }

  private async finish(build: BuildRow, state: BuildState, error: string | null): Promise<void> {
    await this.deps.repo.updateBuild(build.id, { state, error, finished_at: nowIso() });
    const taskState = state === 'succeeded' ? 'succeeded' : state === 'cancelled' ? 'cancelled' : 'failed';
    await this.deps.tasks.finish(
      build.task_id,
      taskState,
      state === 'succeeded' ? `build #${build.number} succeeded` : `build #${build.number} ${state}`,
      error,
    );
  }

  /** Log retention per pipeline and the size bound of the dependency caches. */
  private async retain(pipeline: PipelineRow): Promise<void> {
    const old = await this.deps.repo.oldBuildTasks(pipeline.id, this.deps.settings.keepLogs);
    if (old.length > 0) await this.deps.ctx.db.deleteFrom('task_logs').where('task_id', 'in', old).execute();
    pruneCaches(path.join(this.deps.root, 'cache'), this.deps.settings.cacheMaxBytes);
  }
}

/** Removes the least recently changed top-level cache entries until the caches fit in `maxBytes`. */
export function pruneCaches(root: string, maxBytes: number): number {
  const entries: { path: string; size: number; mtime: number }[] = [];
  let langs: string[] = [];
  try {
    langs = readdirSync(root);
  } catch {
    return 0;
  }
  for (const lang of langs)
    for (const name of safeList(path.join(root, lang))) {
      const p = path.join(root, lang, name);
      entries.push({ path: p, size: du(p), mtime: statSync(p).mtimeMs });
    }
  let total = entries.reduce((a, e) => a + e.size, 0);
  let removed = 0;
  for (const e of entries.sort((a, b) => a.mtime - b.mtime)) {
    if (total <= maxBytes) break;
    rmSync(e.path, { recursive: true, force: true });
    total -= e.size;
    removed += 1;
  }
  return removed;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function du(p: string): number {
  const st = lstatSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return safeList(p).reduce((a, n) => a + du(path.join(p, n)), 0);
}
