import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { Engines } from '../../runtime/engines';
import { VolumeMounts } from './volume-mounts';
import { registerVolumeRoutes } from './volumes.routes';
import { VolumesService } from './volumes.service';

export interface VolumesModule {
  service: VolumesService;
  /** The volume kind of `spec.mounts`, for the services module's list of mount sources. */
  mounts: VolumeMounts;
}

/** Volume classes and volumes (docs/volumes.md): the API, and the mount source services use. */
export function createVolumesModule(
  ctx: AppContext,
  registry: RouteRegistry,
  app: FastifyInstance,
  engines: Engines,
): VolumesModule {
  const service = new VolumesService(ctx, engines);
  registerVolumeRoutes(registry, app, service);
  return { service, mounts: new VolumeMounts(ctx, service) };
}
