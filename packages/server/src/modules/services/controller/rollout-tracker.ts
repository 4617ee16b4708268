import type { ReleaseSpec } from '@berth/shared';
import type { ServiceRow, ServicesRepository } from '../services.repository';
import type { TaskRepository } from '../../tasks/tasks.repository';
import { nowIso } from '../../../util';
import type { Plan } from './rollout-planner';

/**
 * Turns the planner's view into service status, task progress, completion, and the automatic
 * rollback of a release that does not become ready within its progress deadline.
 */
export class RolloutTracker {
  constructor(
    private readonly repo: ServicesRepository,
    private readonly tasks: TaskRepository,
  ) {}

  async update(
    svc: ServiceRow,
    spec: ReleaseSpec,
    plan: Plan,
    leaving: number,
    failures: number,
  ): Promise<void> {
    const want = svc.stopped === 1 || svc.deleting === 1 ? 0 : svc.replicas;
    const settled = plan.complete && leaving === 0;
    let status: string;
    let message: string | null = null;
    if (svc.deleting === 1) {
      status = 'progressing';
      message = 'deleting';
    } else if (svc.stopped === 1) {
      status = settled ? 'stopped' : 'progressing';
    } else if (settled) {
      status = 'healthy';
    } else if (svc.rollout_task) {
      status = 'progressing';
      message = `${plan.readyCurrent}/${want} containers of release ${svc.release} ready`;
    } else {
      status = svc.status === 'failed' ? 'failed' : 'degraded';
      message = `${plan.readyCurrent}/${want} containers ready`;
    }
    if (failures > 0 && !settled)
      message =
        `${message ?? ''}; containers keep failing (${failures} in a row), retrying with back-off`.replace(
          /^; /,
          '',
        );

    if (svc.rollout_task) {
      if (settled) {
        await this.complete(svc);
        return;
      }
      await this.tasks.progress(svc.rollout_task, plan.readyCurrent, want, message ?? 'in progress');
      const started = Date.parse(svc.rollout_started_at ?? nowIso());
      // Once every wanted container of the release is ready, what is left is old containers
      // draining (waiting for gateway nodes, then drainSeconds): not a reason to roll back.
      if (!plan.complete && Date.now() - started > spec.rollout.progressDeadlineSeconds * 1000) {
        await this.deadlineMissed(svc, spec.rollout.progressDeadlineSeconds);
        return;
      }
    } else if (settled && svc.stable_release !== svc.release && want > 0) {
      await this.repo.setReleaseState(svc.id, svc.release, 'succeeded');
      await this.repo.setStatus(svc.id, { stable_release: svc.release });
    }
    if (status !== svc.status || message !== svc.message || plan.readyCurrent !== svc.ready_replicas) {
      await this.repo.setStatus(svc.id, { status, message, ready_replicas: plan.readyCurrent });
    }
  }

  private async complete(svc: ServiceRow): Promise<void> {
    const running = svc.stopped === 0 && svc.deleting === 0;
    if (running) await this.repo.setReleaseState(svc.id, svc.release, 'succeeded');
    await this.repo.setStatus(svc.id, {
      status: running ? 'healthy' : 'stopped',
      message: null,
      ready_replicas: running ? svc.replicas : 0,
      rollout_task: null,
      rollout_started_at: null,
      ...(running ? { stable_release: svc.release } : {}),
    });
    if (svc.rollout_task)
      await this.tasks.finish(
        svc.rollout_task,
        'succeeded',
        running ? `release ${svc.release} running with ${svc.replicas} ready containers` : 'stopped',
      );
    await this.repo.addEvent(
      svc.id,
      'RolloutComplete',
      running ? `release ${svc.release}: ${svc.replicas}/${svc.replicas} ready` : 'all containers stopped',
    );
  }

  private async deadlineMissed(svc: ServiceRow, seconds: number): Promise<void> {
    const task = svc.rollout_task!;
    await this.repo.setReleaseState(svc.id, svc.release, 'failed');
    const stable = svc.stable_release;
    if (stable !== null && stable !== svc.release) {
      const why = `release ${svc.release} did not become ready within ${seconds}s; rolled back to release ${stable}`;
      await this.repo.setStatus(svc.id, {
        release: stable,
        rollout_task: null,
        rollout_started_at: nowIso(),
        status: 'progressing',
        message: why,
      });
      await this.repo.addEvent(svc.id, 'RolledBack', why, { severity: 'warning' });
      await this.tasks.finish(task, 'failed', 'rolled back', why);
      return;
    }
    const why = `release ${svc.release} did not become ready within ${seconds}s; Berth keeps retrying — check the events and logs`;
    await this.repo.setStatus(svc.id, {
      rollout_task: null,
      rollout_started_at: null,
      status: 'failed',
      message: why,
    });
    await this.repo.addEvent(svc.id, 'RolloutFailed', why, { severity: 'warning' });
    await this.tasks.finish(task, 'failed', 'not ready in time', why);
  }

  async deleted(svc: ServiceRow): Promise<void> {
    await this.repo.deleteService(svc.id);
    if (svc.rollout_task) await this.tasks.finish(svc.rollout_task, 'succeeded', 'service deleted');
  }
}
