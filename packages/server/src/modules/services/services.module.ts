import type { FastifyInstance } from 'fastify';
import type { ContainerEngine } from '@berth/engine-api';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { SecretBox } from '../../crypto/secret-box';
import { TaskRepository } from '../tasks/tasks.repository';
import { registerTaskRoutes } from '../tasks/tasks.routes';
import { ServicesRepository } from './services.repository';
import { ServicesService } from './services.service';
import { registerServiceRoutes } from './services.routes';
import { ServiceController } from '../../controllers/service-controller';
import { LeaderLease } from '../../controllers/leader-lease';
import { registerContainerRoutes } from '../containers/containers.routes';
import { StatsSampler } from '../containers/stats-sampler';
import { EndpointWatchers } from './endpoint-watchers';

/** What the routes and controllers of services share. */
export interface ServicesModuleDeps {
  ctx: AppContext;
  engine: ContainerEngine;
  repo: ServicesRepository;
  tasks: TaskRepository;
  service: ServicesService;
  secrets: SecretBox;
  /** Asks the controller to reconcile a service soon. */
  kick(serviceId: string): void;
  /** The open endpoint watches; drains wait until each was written a list without the container. */
  watchers: EndpointWatchers;
}

export interface ServicesModule {
  deps: ServicesModuleDeps;
  controller: ServiceController;
  registerRoutes(registry: RouteRegistry, app: FastifyInstance): void;
  startControllers(): void;
  stopControllers(): Promise<void>;
}

export function createServicesModule(ctx: AppContext, engine: ContainerEngine): Promise<ServicesModule> {
  const repo = new ServicesRepository(ctx.db);
  const tasks = new TaskRepository(ctx.db);
  const secrets = SecretBox.fromDataDir(ctx.config.dataDir);
  const service = new ServicesService(ctx, repo, tasks, secrets, engine);
  const controller = new ServiceController({ ctx, engine, repo, tasks, secrets });
  const watchers = new EndpointWatchers();
  // the composition root adds the gateways' nodes to this port (server.ts)
  controller.useGateways(watchers);
  service.signals.on('kick', (id: string) => controller.kick(id));
  const deps: ServicesModuleDeps = {
    ctx,
    engine,
    repo,
    tasks,
    service,
    secrets,
    kick: (id) => controller.kick(id),
    watchers,
  };
  const lease = new LeaderLease(ctx.db, 'controllers', `${ctx.config.instanceId}:${process.pid}`, {
    log: ctx.log,
  });
  const sampler = new StatsSampler(deps);
  return Promise.resolve({
    deps,
    controller,
    registerRoutes(registry, app) {
      registerServiceRoutes(registry, deps);
      registerTaskRoutes(registry, ctx, tasks);
      registerContainerRoutes(registry, app, deps, sampler);
    },
    startControllers() {
      lease.start((leading) => {
        if (leading) {
          controller.start();
          sampler.start();
        } else {
          void controller.stop();
          sampler.stop();
        }
      });
    },
    async stopControllers() {
      await lease.stop();
      sampler.stop();
      await controller.stop();
    },
  });
}
