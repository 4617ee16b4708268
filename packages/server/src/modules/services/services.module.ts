import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { Engines } from '../../runtime/engines';
import { SecretBox } from '../../crypto/secret-box';
import type { TaskRepository } from '../tasks/tasks.repository';
import type { Quotas } from '../quotas/quotas';
import { ServicesRepository } from './services.repository';
import { ServicesService } from './services.service';
import { registerServiceRoutes } from './services.routes';
import { registerManifestRoutes } from './manifests.routes';
import { ServiceController, type ReplicaPlacer } from './controller/service-controller';
import type { DrainConfirmers } from './controller/rollout-drain';
import { EndpointWatchers } from './endpoint-watchers';
import type { MountSource } from './mount-source';
import type { ServicesModuleDeps } from './services-deps';

export type { ServicesModuleDeps } from './services-deps';

/** The ports the services module is handed at construction (server.ts). */
export interface ServicesPorts {
  /** The tasks module's store: every rollout is a task. */
  tasks: TaskRepository;
  /** Who confirms drains; the services module adds its endpoint watches to it. */
  drains: DrainConfirmers;
  /** The release canaries the gateways' routes ask for (the service controller runs them). */
  canaries: () => Promise<Map<string, Map<number, number>>>;
  /** Admission of services' demands against their project's quota (the quotas module). */
  quotas: Quotas;
  /** Where the controller puts replicas (the placement module's FleetPlacement); none: all local. */
  placer?: ReplicaPlacer;
  /**
   * The kinds of `spec.mounts` (configs, volumes): admission checks, release pins and the engine
   * volumes of a new container. Read at each use, so the composition root may add a source after
   * construction (a source that needs the services module itself).
   */
  mounts?: MountSource[];
}

export interface ServicesModule {
  deps: ServicesModuleDeps;
  /** The rollout controller, a reconciler the controller host runs (runtime/controller-host.ts). */
  controller: ServiceController;
  registerRoutes(registry: RouteRegistry): void;
}

/**
 * Services: specs, releases and actions, the container ledger, and the rollout controller that
 * converges them on the engine (controller/).
 */
export function createServicesModule(
  ctx: AppContext,
  engines: Engines,
  ports: ServicesPorts,
): ServicesModule {
  const repo = new ServicesRepository(ctx.db);
  const engine = engines.local;
  const { tasks, drains, canaries, placer, quotas } = ports;
  const mounts = ports.mounts ?? [];
  const secrets = SecretBox.fromDataDir(ctx.config.dataDir);
  const service = new ServicesService(ctx, repo, tasks, secrets, engine, quotas, mounts);
  // drains wait until every endpoint watch was written a list without the container
  const watchers = new EndpointWatchers();
  drains.join(watchers);
  const controller = new ServiceController({
    ctx,
    engines,
    repo,
    tasks,
    secrets,
    drains,
    canaries,
    placer,
    mounts,
  });
  service.signals.on('kick', (id: string) => controller.kick(id));
  const deps: ServicesModuleDeps = {
    ctx,
    engine,
    engines,
    repo,
    tasks,
    service,
    secrets,
    kick: (id) => controller.kick(id),
    watchers,
    canaries,
    mounts,
  };
  return {
    deps,
    controller,
    registerRoutes: (registry) => {
      registerServiceRoutes(registry, deps);
      registerManifestRoutes(registry, deps);
    },
  };
}
