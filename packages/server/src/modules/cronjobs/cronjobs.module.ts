import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { Engines } from '../../runtime/engines';
import type { Quotas } from '../quotas/quotas';
import type { ServicesModule } from '../services/services.module';
import { ContainerRunner } from '../services/controller/container-runner';
import { WorkloadSpecs } from '../services/workload-specs';
import { CronLogs } from './cron-logs';
export { cronMountsFrom, type CronMounts } from './cron-mounts';
import { CronScheduler } from './cron-scheduler';
import { CronJobsRepository } from './cronjobs.repository';
import type { CronMounts } from './cron-mounts';
import { registerCronJobRoutes } from './cronjobs.routes';
import { CronJobsService } from './cronjobs.service';

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
  mounts: CronMounts,
): CronJobsModule {
  const repo = new CronJobsRepository(ctx.db);
  const logs = new CronLogs(ctx.config.dataDir);
  const { secrets } = services.deps;
  const runner = new ContainerRunner(ctx, engines, services.deps.repo, secrets);
  const specs = new WorkloadSpecs(ctx, engines, secrets, services.deps.mounts);
  const scheduler = new CronScheduler({
    ctx,
    engines,
    repo,
    runner,
    secrets,
    logs,
    mounts,
    namespace: (project, env, cluster, image, also) => specs.namespace(project, env, cluster, image, also),
  });
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
