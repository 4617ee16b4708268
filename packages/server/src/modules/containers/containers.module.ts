import type { FastifyInstance } from 'fastify';
import type { RouteRegistry } from '../../http/route';
import type { ContainersDeps } from './containers-deps';
import { registerContainerRoutes } from './containers.routes';
import { DebugContainers } from './debug';
import { LogCollector } from './log-collector';
import { StatsSampler } from './stats-sampler';

/**
 * Containers: what runs for each service — the current containers and the ledger, destroy and
 * rotation, logs, events, stats (and their sampler, a reconciler the controller host runs),
 * /metrics and the web shell. Handed its ports at construction (containers-deps.ts).
 */
export interface ContainersModule {
  /** Samples every active container's stats while this process leads (the controller host runs it). */
  sampler: StatsSampler;
  /** Copies the log files of spec.logFiles to the host while this process leads (docs/file-logs.md). */
  collector: LogCollector;
  /** Debug containers; its sweeper is a reconciler the controller host runs (docs/debug.md). */
  debug: DebugContainers;
  registerRoutes(registry: RouteRegistry, app: FastifyInstance): void;
}

export function createContainersModule(deps: ContainersDeps): ContainersModule {
  const sampler = new StatsSampler(deps);
  const debug = new DebugContainers(deps);
  return {
    sampler,
    collector: new LogCollector(deps, deps.repo),
    debug,
    registerRoutes: (registry, app) => registerContainerRoutes(registry, app, deps, sampler, debug),
  };
}
