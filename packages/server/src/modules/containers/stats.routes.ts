import { z } from 'zod';
import { InvalidError } from '@berth/shared';
import { decodeCursor, pageOf } from '../../http/pagination';
import type { RouteRegistry } from '../../http/route';
import type { ContainersDeps } from './containers-deps';
import { projectScope, serviceParams } from '../services/service-params';
import { checkClusterFilter, clusterQuerySchema } from './container-clusters';
import { containerNameSchema, serviceBase, sinceSchema, timestampSchema } from './container-params';
import { parsePosition, type ContainersStore } from './containers.repository';
import { toStatsSample } from './stats-sampler';

const hourMs = 3_600_000;
/** The farthest back a read may reach; `since=24h` computed a moment earlier still fits. */
const maxWindowMs = 24 * hourMs + 60_000;

/** Stats samples of a service's containers (the sampler writes them). */
export function registerStatsRoutes(
  registry: RouteRegistry,
  deps: ContainersDeps,
  store: ContainersStore,
): void {
  registry.add({
    id: 'services.stats',
    method: 'GET',
    url: `${serviceBase}/stats`,
    summary:
      'Resource samples of the containers of a service, oldest first (default: the last hour; at most 24 h back)',
    tags: ['containers'],
    access: { permission: 'services:read', scope: projectScope },
    params: serviceParams,
    query: z.object({
      container: containerNameSchema.optional(),
      cluster: clusterQuerySchema.meta({
        description:
          'Only samples of the containers on this cluster (a registered cluster name); an unknown name is a 422 at `cluster`',
      }),
      since: sinceSchema.optional(),
      until: timestampSchema.optional(),
      // Charts want whole windows: an hour of 10 s samples of 10 containers is 3,600 rows.
      limit: z.coerce.number().int().min(1).max(20_000).default(5000),
      cursor: z.string().max(300).optional(),
    }),
    async handler({ params, query }) {
      const service = await deps.service.resolve(params);
      const cluster = await checkClusterFilter(deps.engines, query.cluster);
      const now = Date.now();
      const since = query.since ?? new Date(now - hourMs).toISOString();
      if (Date.parse(since) < now - maxWindowMs) {
        throw new InvalidError(
          'Invalid query parameters. since: reaches back at most 24 hours (for example since=24h).',
          [{ path: 'since', message: 'must be within the last 24 hours' }],
        );
      }
      const after = parsePosition(decodeCursor(query.cursor));
      if (after === null)
        throw new InvalidError('The cursor is not valid: pass nextCursor from the previous page unchanged.');
      const rows = await store.samples(service.id, {
        container: query.container,
        cluster,
        since,
        until: query.until,
        after,
        limit: query.limit,
      });
      const page = pageOf(rows, query.limit, (r) => `${r.at}|${r.container}`);
      return { items: page.items.map(toStatsSample), nextCursor: page.nextCursor };
    },
  });
}
