import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { EventsTable } from '../../db/schema';
import { decodeCursor, pageOf, pageQuerySchema } from '../../http/pagination';
import { handled, type RouteRegistry } from '../../http/route';
import { openSse, wantsStream } from '../../http/sse';
import type { ContainersDeps } from './containers-deps';
import { projectScope, serviceParams } from '../services/service-params';
import { toEvent } from '../services/service-views';
import { checkClusterFilter, clusterQuerySchema } from './container-clusters';
import { containerNameSchema, serviceBase } from './container-params';
import { ContainersStore } from './containers.repository';

const pollMs = 1000;
const idPattern = /^[a-z0-9]{1,64}$/;
/** Sorts before every newId() (and is truthy, which the repository's `after` test needs). */
const beforeEveryId = '0';

/** Persisted service events, newest first, or followed live over SSE. */
export function registerEventRoutes(registry: RouteRegistry, deps: ContainersDeps): void {
  const store = new ContainersStore(deps.ctx.db);
  registry.add({
    id: 'services.events',
    method: 'GET',
    url: `${serviceBase}/events`,
    summary:
      'Events of a service and its containers, newest first; ?follow=true streams events newer than the newest one (or than Last-Event-ID)',
    tags: ['containers'],
    access: { permission: 'services:read', scope: projectScope },
    params: serviceParams,
    query: pageQuerySchema.extend({
      container: containerNameSchema.optional(),
      type: z
        .string()
        .max(63)
        .regex(/^[A-Za-z][A-Za-z0-9]*$/, 'must be an event type such as Destroyed')
        .optional(),
      cluster: clusterQuerySchema.meta({
        description:
          'Only events that name a container on this cluster (a registered cluster name); an unknown name is a 422 at `cluster`',
      }),
      follow: z.stringbool().optional(),
    }),
    async handler({ params, query, req, reply }) {
      const service = await deps.service.resolve(params);
      const cluster = await checkClusterFilter(deps.engines, query.cluster);
      const filter = { container: query.container, type: query.type, cluster };
      /** Events with the cluster of the container each names. */
      const views = async (rows: Array<Selectable<EventsTable>>) => {
        const names = rows.flatMap((r) => (r.container ? [r.container] : []));
        const clusters = names.length ? await store.clustersOf(service.id, names) : new Map<string, string>();
        return rows.map((r) =>
          toEvent(r, service.name, r.container ? (clusters.get(r.container) ?? null) : null),
        );
      };
      if (!wantsStream(req, query.follow)) {
        const rows = await store.events(service.id, {
          ...filter,
          before: decodeCursor(query.cursor),
          limit: query.limit,
        });
        const page = pageOf(rows, query.limit, (r) => r.id);
        return { items: await views(page.items), nextCursor: page.nextCursor };
      }
      // Ids are time-ordered, so "newer than the last one sent" is "id greater than it"; a
      // reconnecting EventSource sends Last-Event-ID and misses nothing.
      const resumeFrom = req.headers['last-event-id'];
      let last =
        typeof resumeFrom === 'string' && idPattern.test(resumeFrom)
          ? resumeFrom
          : ((await store.events(service.id, { ...filter, limit: 1 }))[0]?.id ?? beforeEveryId);
      const sse = openSse(req, reply);
      let busy = false;
      const poll = setInterval(() => {
        if (busy) return;
        busy = true;
        store
          .events(service.id, { ...filter, after: last, limit: 500 })
          .then(async (rows) => {
            const events = await views(rows);
            rows.forEach((row, i) => {
              sse.send('event', events[i], row.id);
              last = row.id;
            });
          })
          .catch((err: unknown) => deps.ctx.log.warn({ err }, 'event follow: reading events failed'))
          .finally(() => (busy = false));
      }, pollMs);
      sse.closed.addEventListener('abort', () => clearInterval(poll));
      return handled;
    },
  });
}
