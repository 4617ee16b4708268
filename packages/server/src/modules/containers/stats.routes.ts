import { z } from 'zod';
import { isWorkloadEngine } from '@berth/engine-api';
import { BerthError, InvalidError } from '@berth/shared';
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

/** How long a cluster's answer on whether it has stats is reused. */
const availabilityTtlMs = 30_000;

/** A cluster that has no stats to sample, and why (a Kubernetes cluster without metrics.k8s.io). */
export interface StatsUnavailable {
  cluster: string;
  message: string;
}

/**
 * Per cluster: whether its engine can give stats at all. Only workload engines (Kubernetes) may
 * lack them — their stats come from metrics.k8s.io, which a cluster without metrics-server does
 * not serve — and say so with an error whose `details.reason` is `STATS_UNAVAILABLE`.
 */
function statsAvailability(deps: ContainersDeps) {
  const known = new Map<string, { at: number; message: string | null }>();
  return async (cluster: string, engineId: string): Promise<string | null> => {
    const hit = known.get(cluster);
    if (hit && Date.now() - hit.at < availabilityTtlMs) return hit.message;
    let message: string | null = null;
    try {
      const engine = await deps.engines.get(cluster);
      if (!isWorkloadEngine(engine)) return null;
      await engine.stats([engineId]);
    } catch (err) {
      if (err instanceof BerthError && err.details?.reason === 'STATS_UNAVAILABLE') message = err.message;
      else return null; // unreachable or one pod gone: not an answer about the cluster
    }
    known.set(cluster, { at: Date.now(), message });
    return message;
  };
}

/** Stats samples of a service's containers (the sampler writes them). */
export function registerStatsRoutes(
  registry: RouteRegistry,
  deps: ContainersDeps,
  store: ContainersStore,
): void {
  const availability = statsAvailability(deps);
  registry.add({
    id: 'services.stats',
    method: 'GET',
    url: `${serviceBase}/stats`,
    summary:
      'Resource samples of the containers of a service, oldest first (default: the last hour; at most 24 h back); `unavailable` names the clusters of its containers that have no stats to sample (a Kubernetes cluster without metrics.k8s.io) and why',
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
      const unavailable: StatsUnavailable[] = [];
      const probes = new Map<string, string>();
      for (const c of await deps.repo.activeContainers(service.id))
        if (c.engine_id && !probes.has(c.cluster) && (!cluster || c.cluster === cluster))
          probes.set(c.cluster, c.engine_id);
      for (const [c, id] of probes) {
        const message = await availability(c, id);
        if (message) unavailable.push({ cluster: c, message });
      }
      return { items: page.items.map(toStatsSample), nextCursor: page.nextCursor, unavailable };
    },
  });
}
