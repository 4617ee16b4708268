import type { ContainerEngine, VolumeMount } from '@berth/engine-api';
import { BerthError, type CronJobSpec, type Mount } from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { Engines } from '../../runtime/engines';
import type { Quotas } from '../quotas/quotas';
import type { ServicesModule } from '../services/services.module';
import { ContainerRunner } from '../services/controller/container-runner';
import { CronLogs } from './cron-logs';
import { CronScheduler } from './cron-scheduler';
import { CronJobsRepository, type CronJobRow } from './cronjobs.repository';
import { registerCronJobRoutes } from './cronjobs.routes';
import { CronJobsService } from './cronjobs.service';

/** How a cron job's `spec.mounts` are checked and mounted (the services' mount sources). */
export interface CronMounts {
  check(project: string, env: string, mounts: Mount[]): Promise<void>;
  resolve(
    job: CronJobRow,
    cluster: string,
    spec: CronJobSpec,
    engine: ContainerEngine,
  ): Promise<VolumeMount[]>;
}

/** No mount source: a cron job that asks for mounts is refused (422 at spec.mounts). */
export const noCronMounts: CronMounts = {
  check() {
    return Promise.reject(
      new BerthError(
        'UNPROCESSABLE',
        'Cron jobs cannot mount configs or volumes on this server yet; remove spec.mounts.',
        {
          fields: [{ path: 'spec.mounts', message: 'not supported on cron jobs yet' }],
        },
      ),
    );
  },
  resolve: () => Promise.resolve([]),
};

export interface CronJobsModule {
  scheduler: CronScheduler;
  service: CronJobsService;
}

/** Cron jobs: the API and the scheduler (a reconciler the controller host runs on the leader). */
export function createCronJobsModule(
  ctx: AppContext,
  registry: RouteRegistry,
  engines: Engines,
  services: ServicesModule,
  quotas: Quotas,
  mounts: CronMounts = noCronMounts,
): CronJobsModule {
  const repo = new CronJobsRepository(ctx.db);
  const logs = new CronLogs(ctx.config.dataDir);
  const { secrets } = services.deps;
  const runner = new ContainerRunner(ctx, engines, services.deps.repo, secrets);
  const scheduler = new CronScheduler({ ctx, engines, repo, runner, secrets, logs, mounts });
  const service = new CronJobsService(
    ctx,
    repo,
    secrets,
    engines,
    logs,
    services.deps.service,
    quotas,
    mounts,
    () => scheduler.kick(),
  );
  registerCronJobRoutes(registry, service);
  return { scheduler, service };
}
