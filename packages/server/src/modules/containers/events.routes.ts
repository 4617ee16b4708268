import { z } from 'zod';
import { decodeCursor, pageOf, pageQuerySchema } from '../../http/pagination';
import { handled, type RouteRegistry } from '../../http/route';
import { openSse, wantsStream } from '../../http/sse';
import type { ContainersDeps } from './containers-deps';
import { projectScope, serviceParams } from '../services/service-params';
import { toEvent } from '../services/service-views';
import { containerNameSchema, serviceBase } from './container-params';

const pollMs = 1000;
const idPattern = /^[a-z0-9]{1,64}$/;
/** Sorts before every newId() (and is truthy, which the repository's `after` test needs). */
const beforeEveryId = '0';

/** Persisted service events, newest first, or followed live over SSE. */
export function registerEventRoutes(registry: RouteRegistry, deps: ContainersDeps): void {
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
      follow: z.stringbool().optional(),
    }),
    async handler({ params, query, req, reply }) {
      const service = await deps.service.resolve(params);
      const filter = { container: query.container, type: query.type };
      if (!wantsStream(req, query.follow)) {
        const rows = await deps.repo.events(service.id, {
          ...filter,
          before: decodeCursor(query.cursor),
          limit: query.limit,
        });
        const page = pageOf(rows, query.limit, (r) => r.id);
        return { items: page.items.map((r) => toEvent(r, service.name)), nextCursor: page.nextCursor };
      }
      // Ids are time-ordered, so "newer than the last one sent" is "id greater than it"; a
      // reconnecting EventSource sends Last-Event-ID and misses nothing.
      const resumeFrom = req.headers['last-event-id'];
      let last =
        typeof resumeFrom === 'string' && idPattern.test(resumeFrom)
          ? resumeFrom
          : ((await deps.repo.events(service.id, { ...filter, limit: 1 }))[0]?.id ?? beforeEveryId);
      const sse = openSse(req, reply);
      let busy = false;
      const poll = setInterval(() => {
        if (busy) return;
        busy = true;
        deps.repo
          .events(service.id, { ...filter, after: last, limit: 500 })
          .then((rows) => {
            for (const row of rows) {
              sse.send('event', toEvent(row, service.name), row.id);
              last = row.id;
            }
          })
          .catch((err: unknown) => deps.ctx.log.warn({ err }, 'event follow: reading events failed'))
          .finally(() => (busy = false));
      }, pollMs);
      sse.closed.addEventListener('abort', () => clearInterval(poll));
      return handled;
    },
  });
}
