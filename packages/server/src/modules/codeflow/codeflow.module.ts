/**
 * Codeflow: pipelines, builds and webhooks. Needs the services module (deploys) and an engine.
 * Follows the HTTP app's lifecycle: builds a previous process left queued run again once the
 * app is ready; closing the app aborts running builds (their containers are killed).
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ContainerEngine } from '@berth/engine-api';
import { SecretBox } from '../../crypto/secret-box';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { ServicesModule } from '../services/services.module';
import { BuildQueue } from './build-queue';
import { BuildRunner, defaultCodeflowSettings, type CodeflowSettings } from './build-runner';
import { registerBuildRoutes } from './builds.routes';
import { CodeflowRepository } from './codeflow.repository';
import { CodeflowService } from './codeflow.service';
import { registerPipelineRoutes } from './pipelines.routes';
import { ServiceDeployer } from './service-deployer';
import { keepRawHookBodies, registerWebhookRoutes } from './webhooks.routes';
import type { CodeflowDeps } from './codeflow-deps';

export interface CodeflowModule {
  deps: CodeflowDeps;
}

export function createCodeflowModule(
  ctx: AppContext,
  services: ServicesModule,
  registry: RouteRegistry,
  app: FastifyInstance,
  settings: Partial<CodeflowSettings> = {},
): CodeflowModule {
  const engine: ContainerEngine = services.deps.engine;
  const tasks = services.deps.tasks;
  const root = path.join(ctx.config.dataDir, 'codeflow');
  const { builds } = ctx.config;
  const all: CodeflowSettings = {
    ...defaultCodeflowSettings,
    concurrency: builds.concurrency,
    buildMemoryMiB: builds.memoryMiB,
    buildCpu: builds.cpus,
    cacheMaxBytes: builds.cacheMaxMiB * 1024 ** 2,
    ...settings,
  };
  const repo = new CodeflowRepository(ctx.db);
  const service = new CodeflowService(ctx, repo, tasks, SecretBox.fromDataDir(ctx.config.dataDir));
  const runner = new BuildRunner({
    ctx,
    engine,
    tasks,
    deployer: new ServiceDeployer(services.deps),
    settings: all,
    root,
    saveBuild: (id, set) => repo.updateBuild(id, set),
  });
  const queue = new BuildQueue({
    ctx,
    repo,
    tasks,
    runner,
    settings: all,
    root,
    credentials: (p) => service.credentialsOf(p),
    engine,
  });
  service.queue = queue;
  const deps: CodeflowDeps = { ctx, repo, tasks, service, queue };
  keepRawHookBodies(app);
  registerPipelineRoutes(registry, deps);
  registerBuildRoutes(registry, deps);
  registerWebhookRoutes(registry, deps);
  app.addHook('onReady', () => queue.recover());
  app.addHook('onClose', () => queue.close());
  return { deps };
}
