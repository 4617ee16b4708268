import { z } from 'zod';
import { ForbiddenError } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { ContainersDeps } from './containers-deps';
import { projectScope } from '../services/service-params';
import { containerParams, serviceBase } from './container-params';
import { debugTtl, toDebugView, type DebugContainers } from './debug';

const exec = { permission: 'services:exec' as const, scope: projectScope };

export const debugRequestSchema = z
  .object({
    /**
     * The debug container's image; absent = Berth's toolbox (busybox, curl, dig, ip, ss, tcpdump,
     * strace, ps, lsof). Admitted like a service's image; it needs `sleep` and a shell.
     */
    image: z.string().min(1).max(512).optional(),
    ttlSeconds: z.number().int().min(debugTtl.min).max(debugTtl.max).default(debugTtl.default),
    /** "root" needs services:exec-root; otherwise the shell runs as the target's (non-root) user. */
    user: z.literal('root').optional(),
  })
  .strict();

export const debugParams = containerParams.extend({ debug: z.string().min(1).max(64) }).strict();

/** Debug containers beside a service's container (debug.ts, docs/debug.md). */
export function registerDebugRoutes(
  registry: RouteRegistry,
  deps: ContainersDeps,
  debug: DebugContainers,
): void {
  const base = `${serviceBase}/containers/:container/debug`;

  registry.add({
    id: 'containers.debug.start',
    method: 'POST',
    url: base,
    summary:
      "Start a debug container sharing the container's network and PID namespaces; open its shellPath as a WebSocket (like the web shell). Removed when that shell ends or after ttlSeconds. user=root needs services:exec-root.",
    tags: ['containers'],
    access: exec,
    params: containerParams,
    body: debugRequestSchema,
    response: { status: 201, description: 'The debug session, with the shell URL' },
    target: { kind: 'container' },
    async handler({ params, body, actor }) {
      const scope = projectScope(params);
      if (body.user === 'root' && !(await deps.ctx.auth.authorize(actor, 'services:exec-root', scope)))
        throw new ForbiddenError(
          `A root debug container needs the "services:exec-root" permission on project '${params.project}'; leave out user to debug as the container's own non-root user.`,
          {
            permission: 'services:exec-root',
            scope,
            fields: [{ path: 'user', message: 'needs services:exec-root' }],
          },
        );
      const service = await deps.service.resolve(params);
      const view = await debug.create(
        service,
        params.container,
        { image: body.image, ttlSeconds: body.ttlSeconds, root: body.user === 'root' },
        actor,
      );
      return { status: 201, body: view };
    },
  });

  registry.add({
    id: 'containers.debug.list',
    method: 'GET',
    url: base,
    summary: "The container's debug sessions, newest first (open ones; all=true for ended ones too)",
    tags: ['containers'],
    access: exec,
    params: containerParams,
    query: z.object({ all: z.stringbool().default(false) }),
    async handler({ params, query }) {
      const service = await deps.service.resolve(params);
      const rows = await debug.store.list(service.id, { target: params.container, all: query.all });
      return { items: rows.map((r) => toDebugView(r, service)), nextCursor: null };
    },
  });

  registry.add({
    id: 'containers.debug.get',
    method: 'GET',
    url: `${base}/:debug`,
    summary: 'One debug session',
    tags: ['containers'],
    access: exec,
    params: debugParams,
    async handler({ params }) {
      const service = await deps.service.resolve(params);
      return toDebugView(await debug.get(service, params.container, params.debug), service);
    },
  });

  registry.add({
    id: 'containers.debug.stop',
    method: 'DELETE',
    url: `${base}/:debug`,
    summary: 'End a debug session now: its shell closes and the debug container is removed',
    tags: ['containers'],
    access: exec,
    params: debugParams,
    response: { status: 204, description: 'Ended (or had ended already)' },
    target: { kind: 'container' },
    async handler({ params }) {
      const service = await deps.service.resolve(params);
      const row = await debug.get(service, params.container, params.debug);
      if (!row.ended_at) await debug.end(row, 'stopped');
      return { status: 204 };
    },
  });
}
