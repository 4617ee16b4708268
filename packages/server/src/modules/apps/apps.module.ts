import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { Engines } from '../../runtime/engines';
import type { Reconciler } from '../../runtime/controller-host';
import type { ServicesModule } from '../services/services.module';
import { VolumesService } from '../volumes/volumes.service';
import { AppsRepository } from './apps.repository';
import { registerAppRoutes } from './apps.routes';
import { AppsService } from './apps.service';

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
): AppsModule {
  const service = new AppsService(ctx, new AppsRepository(ctx.db), {
    services: services.deps,
    // the volumes module's service holds no state of its own beyond the store and the engines
    volumes: new VolumesService(ctx, engines),
    secrets: services.deps.secrets,
  });
  registerAppRoutes(registry, service);
  const finisher: Reconciler = {
    start() {
      service.start();
    },
    stop() {
      service.stop();
      return Promise.resolve();
    },
  };
  return { service, finisher };
}
