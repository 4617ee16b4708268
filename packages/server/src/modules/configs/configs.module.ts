import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { Reconciler } from '../../runtime/controller-host';
import type { Engines } from '../../runtime/engines';
import type { MountSource } from '../services/mount-source';
import { ConfigMounts, type Renew } from './config-mounts';
import { registerConfigRoutes } from './configs.routes';
import { ConfigsService } from './configs.service';

export interface ConfigsModule {
  service: ConfigsService;
  /** The config kind of spec.mounts (null without engines: no services module). */
  mounts: (MountSource & ConfigMounts) | null;
  /** Removes config volumes nothing needs (a reconciler of the controller host). */
  collector: Reconciler | null;
}

/**
 * Config files (docs/configs.md): the API, and with engines the config kind of `spec.mounts`
 * and the refresh of consumers (`renew`: the services module's new release of a running spec).
 */
export function createConfigsModule(
  ctx: AppContext,
  registry: RouteRegistry,
  fleet: { engines: Engines; renew: Renew } | null,
): ConfigsModule {
  const service = new ConfigsService(ctx);
  registerConfigRoutes(registry, service);
  if (!fleet) return { service, mounts: null, collector: null };
  const mounts = new ConfigMounts(ctx, service, fleet.engines, fleet.renew);
  service.onNewVersion = (config, version, actor) => mounts.refresh(config, version, actor);
  return { service, mounts, collector: mounts.collector() };
}
