import type { ContainerEngine, VolumeMount } from '@berth/engine-api';
import type { CronJobSpec, Mount, ReleaseSpec } from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { Engines } from '../../runtime/engines';
import type { Quotas } from '../quotas/quotas';
import type { ServicesModule } from '../services/services.module';
import type { MountSource } from '../services/services-deps';
import { ContainerRunner } from '../services/controller/container-runner';
import { CronLogs } from './cron-logs';
import { CronScheduler } from './cron-scheduler';
import { CronJobsRepository, type CronJobRow, type CronRunRow } from './cronjobs.repository';
import { registerCronJobRoutes } from './cronjobs.routes';
import { CronJobsService } from './cronjobs.service';

/** How a cron job's `spec.mounts` are checked and mounted (the services' mount sources). */
export interface CronMounts {
  /** `cluster`: where the job's runs go (a local volume must live there). */
  check(project: string, env: string, mounts: Mount[], cluster: string): Promise<void>;
  resolve(
    job: CronJobRow,
    run: CronRunRow,
    spec: CronJobSpec,
    engine: ContainerEngine,
  ): Promise<VolumeMount[]>;
}

/**
 * The services' mount sources (configs, volumes) for cron jobs: checked like a service placed on
 * the job's cluster; a run mounts what a release would, pinned per run (the config's current
 * version when the run starts, or the mount's `version`; retries of a run keep it).
 */
export function cronMountsFrom(sources: readonly MountSource[]): CronMounts {
  return {
    async check(project, env, mounts, cluster) {
      const placed = { placement: { clusters: [{ name: cluster, weight: 1 }], division: 'weighted' } };
      for (const source of sources) await source.check(project, env, mounts, placed as ReleaseSpec);
    },
    async resolve(job, run, spec, engine) {
      if (!spec.mounts?.length) return [];
      const target = {
        project: job.project,
        env: job.env,
        serviceId: `cronjob:${job.id}`,
        service: job.name,
        cluster: run.cluster,
        // one pin per run: the run's creation second
        release: Math.floor(Date.parse(run.created_at) / 1000),
      };
      const out: VolumeMount[] = [];
      for (const source of sources) out.push(...(await source.resolve(target, spec.mounts, engine)));
      return out;
    },
  };
}

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
