import type { FastifyInstance } from 'fastify';
import type { RouteRegistry } from '../../http/route';
import type { ContainersDeps } from './containers-deps';
import { registerContainerRoutes } from './containers.routes';
import { StatsSampler } from './stats-sampler';

/**
 * Containers: what runs for each service — the current containers and the ledger, destroy and
 * rotation, logs, events, stats (and their sampler, a reconciler the controller host runs),
 * /metrics and the web shell. Handed its ports at construction (containers-deps.ts).
 */
export interface ContainersModule {
  /** Samples every active container's stats while this process leads (the controller host runs it). */
  sampler: StatsSampler;
  registerRoutes(registry: RouteRegistry, app: FastifyInstance): void;
}

export function createContainersModule(deps: ContainersDeps): ContainersModule {
  const sampler = new StatsSampler(deps);
  return {
    sampler,
    registerRoutes: (registry, app) => registerContainerRoutes(registry, app, deps, sampler),
  };
}
