/**
 * deploy: rolls the pipeline's target service to the built image through the services module
 * (a normal rolling release, audited as the pipeline) and waits for the rollout to finish.
 */
import { InvalidError, NotFoundError, serviceSpecSchema, type EnvVar } from '@berth/shared';
import type { Actor } from '../../http/context';
import { sleep } from '../../util';
import type { ServicesModuleDeps } from '../services/services-deps';
import { storedSpec } from '../services/service-views';
import type { BuildRow, PipelineRow } from './codeflow.repository';

export class ServiceDeployer {
  constructor(private readonly services: ServicesModuleDeps) {}

  async deploy(
    pipeline: PipelineRow,
    image: string,
    build: BuildRow,
    log: (line: string) => Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    const path = { project: pipeline.project, env: pipeline.env, service: pipeline.service };
    const row = await this.services.repo.findByPath(path.project, path.env, path.service);
    if (!row || row.deleting === 1)
      throw new NotFoundError(
        'SERVICE_NOT_FOUND',
        `The pipeline's target service '${path.service}' does not exist in project '${path.project}' (env '${path.env}'); create it, or change the pipeline's target.`,
      );
    const release = await this.services.repo.getRelease(row.id, row.release);
    if (!release) throw new InvalidError(`Service '${path.service}' has no release to update.`);
    const current = storedSpec(release);
    // The image's own CMD (the pipeline's start command) runs: drop a command set for another image.
    const { command: _c, args: _a, ...rest } = current;
    void _c;
    void _a;
    const env: EnvVar[] = current.env.map((e) =>
      e.secret
        ? { name: e.name, value: null, secret: true }
        : { name: e.name, value: e.value, secret: false },
    );
    const spec = serviceSpecSchema.parse({ ...rest, env, image, replicas: row.replicas });
    const actor: Actor = { name: `pipeline:${pipeline.name}`, via: 'system', csrfToken: null };
    const { task } = await this.services.service.update(
      path,
      { spec, reason: `build #${build.number} of pipeline ${pipeline.name}` },
      actor,
    );
    if (!task) {
      await log(`service ${path.service} already runs ${image}`);
      return;
    }
    await log(`rolling ${path.project}/${path.env}/${path.service} to ${image} (task ${task.id})`);
    for (;;) {
      const now = await this.services.tasks.get(task.id);
      if (now && this.services.tasks.isTerminal(now)) {
        if (now.state !== 'succeeded')
          throw new InvalidError(
            `The rollout of ${path.service} ${now.state}: ${now.error ?? now.progress.message}`,
          );
        await log(`service ${path.service} runs ${image}`);
        return;
      }
      signal.throwIfAborted();
      await sleep(500, signal);
    }
  }
}
