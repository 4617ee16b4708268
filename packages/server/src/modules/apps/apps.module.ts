import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { Engines } from '../../runtime/engines';
import type { Reconciler } from '../../runtime/controller-host';
import type { ServicesModule } from '../services/services.module';
import { VolumesService } from '../volumes/volumes.service';
import { ConfigsService } from '../configs/configs.service';
import { AppConfigs } from './apps-configs';
import { AppsRepository } from './apps.repository';
import { registerAppRoutes } from './apps.routes';
import { AppsService } from './apps.service';
import { AppUpgrades } from './apps-upgrade';
import { registerAppUpgradeRoutes } from './apps-upgrade.routes';
import { AppImages } from './apps-images';
import { registerAppImageRoutes } from './apps-images.routes';
import { ContainerRunner } from '../services/controller/container-runner';
import type { CronJobsService } from '../cronjobs/cronjobs.service';
import { AppBackups } from './apps-backups';
import { registerAppBackupRoutes } from './apps-backups.routes';

export interface AppsModule {
  service: AppsService;
  /** Under the leader lease: finishes deletions (volumes after services), also those a restart interrupted. */
  finisher: Reconciler;
}

/**
 * The app store (docs/apps.md): the catalog of shipped templates and the instances made from
 * them, through the services and volumes modules.
 */
export function createAppsModule(
  ctx: AppContext,
  registry: RouteRegistry,
  engines: Engines,
  services: ServicesModule,
  /** Backups' schedules are cron jobs (apps-backups.ts); without the module, no backup routes. */
  cronjobs?: CronJobsService,
): AppsModule {
  const repo = new AppsRepository(ctx.db);
  const deps = {
    services: services.deps,
    // the volumes module's service holds no state of its own beyond the store and the engines
    volumes: new VolumesService(ctx, engines),
    secrets: services.deps.secrets,
    // configs templates create (the configs module's service is stateless beyond the store)
    configs: new AppConfigs(new ConfigsService(ctx)),
    // the catalog's images: built by a task, pushed to the embedded registry, built on first use
    images: new AppImages(ctx, services.deps.tasks, services.deps.engine),
  };
  const service = new AppsService(ctx, repo, deps);
  registerAppRoutes(registry, service);
  registerAppImageRoutes(registry, deps.images);
  // member-by-member upgrades between template versions, run by the leader like the finisher
  const upgrades = new AppUpgrades(ctx, repo, service, deps);
  registerAppUpgradeRoutes(registry, upgrades);
  // backups into the instance's backups volume, on demand and as a cron job; restores
  const backups = cronjobs
    ? new AppBackups({
        ...deps,
        ctx,
        apps: service,
        repo,
        engines,
        cronjobs,
        runner: new ContainerRunner(ctx, engines, services.deps.repo, services.deps.secrets),
      })
    : null;
  if (backups) registerAppBackupRoutes(registry, backups);
  const finisher: Reconciler = {
    start() {
      service.start();
      upgrades.start();
      backups?.start();
    },
    stop() {
      service.stop();
      upgrades.stop();
      backups?.stop();
      return Promise.resolve();
    },
  };
  return { service, finisher };
}
