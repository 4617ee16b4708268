import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InvalidError, rotationRequestSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import { decodeCursor, pageOf, pageQuerySchema } from '../../http/pagination';
import type { ContainersDeps } from './containers-deps';
import { projectScope, serviceParams } from '../services/service-params';
import { toContainer } from '../services/service-views';
import { checkClusterFilter, clusterQuery, clusterQuerySchema } from './container-clusters';
import { containerParams, serviceBase, timestampSchema } from './container-params';
import { ContainersStore, parsePosition } from './containers.repository';
import { ContainersService } from './containers.service';
import { registerEventRoutes } from './events.routes';
import { DebugContainers } from './debug';
import { registerDebugRoutes } from './debug.routes';
import { registerCollectedLogRoutes } from './collected-logs.routes';
import { registerFileRoutes } from './files.routes';
import { registerLogRoutes } from './logs.routes';
import { registerMetricsRoute } from './metrics';
import { attachShellGateway } from './shell-gateway';
import { registerShellSessionRoutes } from './shell-sessions.routes';
import { registerStatsRoutes } from './stats.routes';
import type { StatsSampler } from './stats-sampler';

const read = { permission: 'services:read' as const, scope: projectScope };
const write = { permission: 'services:write' as const, scope: projectScope };

/**
 * Everything about the containers of a service: current containers and the ledger, destroy and
 * rotation, logs, events, stats, /metrics and the web shell (WebSocket upgrade plus the
 * shell-session records).
 */
export function registerContainerRoutes(
  registry: RouteRegistry,
  app: FastifyInstance,
  deps: ContainersDeps,
  sampler: StatsSampler,
  debug: DebugContainers = new DebugContainers(deps),
): void {
  const store = new ContainersStore(deps.ctx.db);
  const containers = new ContainersService(deps, store, sampler);

  registry.add({
    id: 'containers.list',
    method: 'GET',
    url: `${serviceBase}/containers`,
    summary: 'The current containers of a service, with what the engine reports about each now',
    tags: ['containers'],
    access: read,
    params: serviceParams,
    query: clusterQuery,
    async handler({ params, query }) {
      const service = await deps.service.resolve(params);
      const cluster = await checkClusterFilter(deps.engines, query.cluster);
      const { items, errors } = await containers.current(service, cluster);
      return { items, nextCursor: null, ...(errors.length ? { errors } : {}) };
    },
  });

  registry.add({
    id: 'containers.history',
    method: 'GET',
    url: `${serviceBase}/containers/history`,
    summary: 'The container ledger: every container the service ever had, newest first',
    tags: ['containers'],
    access: read,
    params: serviceParams,
    query: pageQuerySchema.extend({
      ip: z.union([z.ipv4(), z.ipv6()]).optional(),
      since: timestampSchema.optional(),
      until: timestampSchema.optional(),
      cluster: clusterQuerySchema,
    }),
    async handler({ params, query }) {
      const service = await deps.service.resolve(params);
      const cluster = await checkClusterFilter(deps.engines, query.cluster);
      const after = parsePosition(decodeCursor(query.cursor));
      if (after === null)
        throw new InvalidError('The cursor is not valid: pass nextCursor from the previous page unchanged.');
      const rows = await store.ledgerPage(service.id, {
        ip: query.ip,
        cluster,
        since: query.since,
        until: query.until,
        after,
        limit: query.limit,
      });
      const page = pageOf(rows, query.limit, (r) => `${r.created_at}|${r.name}`);
      return { items: page.items.map((r) => toContainer(r, service.name)), nextCursor: page.nextCursor };
    },
  });

  registry.add({
    id: 'containers.destroy',
    method: 'POST',
    url: `${serviceBase}/containers/:container/destroy`,
    summary: 'Destroy one container now (no drain); the controller replaces it',
    tags: ['containers'],
    access: write,
    params: containerParams,
    body: z.object({}).strict().optional(),
    response: { status: 202, description: 'The container, now draining' },
    target: { kind: 'container' },
    async handler({ params, actor }) {
      const service = await deps.service.resolve(params);
      return { status: 202, body: await containers.destroy(service, params.container, actor) };
    },
  });

  registry.add({
    id: 'containers.rotation',
    method: 'POST',
    url: `${serviceBase}/containers/:container/rotation`,
    summary: 'Take a container out of rotation (it keeps running, without traffic) or put it back',
    tags: ['containers'],
    access: write,
    params: containerParams,
    body: rotationRequestSchema,
    response: { status: 200, description: 'The container' },
    target: { kind: 'container' },
    async handler({ params, body, actor }) {
      const service = await deps.service.resolve(params);
      return containers.setRotation(service, params.container, body.inRotation, actor);
    },
  });

  registerLogRoutes(registry, deps);
  registerFileRoutes(registry, deps);
  registerCollectedLogRoutes(registry, deps);
  registerEventRoutes(registry, deps);
  registerStatsRoutes(registry, deps, store);
  registerMetricsRoute(registry, deps, sampler);
  registerShellSessionRoutes(registry, deps.ctx);
  registerDebugRoutes(registry, deps, debug);
  attachShellGateway(registry, app, deps, debug);
}
