/** The step list of a build: each step's state and duration, saved and logged as it changes. */
import { buildStepNames, type BuildStep, type BuildStepName } from '@berth/shared';
import { nowIso } from '../../util';

export function initialSteps(): BuildStep[] {
  return buildStepNames.map((name) => ({
    name,
    state: 'pending',
    startedAt: null,
    finishedAt: null,
    durationMs: null,
  }));
}

/** Runs steps in order, recording each one's timing; `save` persists the list after each change. */
export class StepTracker {
  constructor(
    readonly steps: BuildStep[],
    private readonly save: (steps: BuildStep[]) => Promise<void>,
    private readonly log: (line: string) => Promise<void>,
  ) {}

  private get(name: BuildStepName): BuildStep {
    return this.steps.find((s) => s.name === name)!;
  }

  /** Runs `fn` as step `name`; its result `{cached}` marks a reused layer. */
  async run<T>(name: BuildStepName, fn: () => Promise<T>, cached?: (r: T) => boolean): Promise<T> {
    const step = this.get(name);
    const started = Date.now();
    Object.assign(step, { state: 'running', startedAt: nowIso() });
    await this.save(this.steps);
    await this.log(`── step ${name}`);
    try {
      const result = await fn();
      const durationMs = Date.now() - started;
      Object.assign(step, { state: 'succeeded', finishedAt: nowIso(), durationMs });
      if (cached && cached(result)) step.cached = true;
      await this.log(
        `── step ${name} done in ${(durationMs / 1000).toFixed(2)} s${step.cached ? ' (cached)' : ''}`,
      );
      return result;
    } catch (err) {
      Object.assign(step, { state: 'failed', finishedAt: nowIso(), durationMs: Date.now() - started });
      throw err;
    } finally {
      await this.save(this.steps);
    }
  }

  async skip(name: BuildStepName, why: string): Promise<void> {
    Object.assign(this.get(name), { state: 'skipped' });
    await this.log(`── step ${name} skipped: ${why}`);
    await this.save(this.steps);
  }

  /** Marks every step not yet finished as cancelled (cancel, time-out, failure). */
  async stopRest(state: 'cancelled' | 'skipped'): Promise<void> {
    for (const s of this.steps) {
      if (s.state === 'pending') s.state = 'skipped';
      if (s.state === 'running') Object.assign(s, { state, finishedAt: nowIso() });
    }
    await this.save(this.steps);
  }
}
