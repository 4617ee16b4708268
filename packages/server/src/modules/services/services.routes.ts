import { z } from 'zod';
import {
  createServiceRequestSchema,
  emptyActionSchema,
  promoteRequestSchema,
  rollbackRequestSchema,
  scaleRequestSchema,
  updateServiceRequestSchema,
  type Task,
} from '@berth/shared';
import { handled, type RouteRegistry } from '../../http/route';
import { openSse, wantsStream } from '../../http/sse';
import { onEndpointsMayChange } from './endpoint-signal';
import type { EndpointWatcher } from './endpoint-watchers';
import { decodeCursor, pageOf, pageQuerySchema } from '../../http/pagination';
import { toTask } from '../tasks/tasks.repository';
import type { ServicesModuleDeps } from './services-deps';
import { envParams, projectScope, serviceParams, type ServiceParams } from './service-params';
import { isServing, toRelease, toService } from './service-views';
import type { ServiceRow } from './services.repository';
import { parseJson } from '../../util';

const base = '/api/v1/projects/:project/envs/:env/services';

/** Service CRUD, actions, releases and endpoints. */
export function registerServiceRoutes(registry: RouteRegistry, deps: ServicesModuleDeps): void {
  const { service: svc, repo } = deps;

  const view = async (row: ServiceRow) => toService(row, await repo.getRelease(row.id, row.release));
  const withTask = async (r: { service: ServiceRow; task: Task | null }, status = 202) => ({
    status,
    body: { service: await view(r.service), task: r.task },
  });

  registry.add({
    id: 'services.list',
    method: 'GET',
    url: base,
    summary: 'List the services of a project in one environment',
    tags: ['services'],
    access: { permission: 'services:read', scope: projectScope },
    params: envParams,
    query: pageQuerySchema.extend({
      q: z.string().max(63).optional(),
      status: z.string().max(20).optional(),
    }),
    async handler({ params, query }) {
      const rows = await repo.list(params.project, params.env, {
        q: query.q,
        status: query.status,
        after: decodeCursor(query.cursor),
        limit: query.limit,
      });
      const page = pageOf(rows, query.limit, (r) => r.name);
      return {
        items: page.items.map((r) =>
          toService(r, r.release_spec === null ? undefined : { spec: r.release_spec }),
        ),
        nextCursor: page.nextCursor,
      };
    },
  });

  registry.add({
    id: 'services.create',
    method: 'POST',
    url: base,
    summary: 'Create a service and deploy its first release',
    tags: ['services'],
    access: { permission: 'services:write', scope: projectScope },
    params: envParams,
    body: createServiceRequestSchema,
    response: { status: 202, description: 'The service and the task of its first rollout' },
    target: { kind: 'service', name: (p, b) => `${p.project}/${p.env}/${b.name}` },
    async handler({ params, body, actor }) {
      return withTask(await svc.create(params.project, params.env, body, actor));
    },
  });

  registry.add({
    id: 'services.get',
    method: 'GET',
    url: `${base}/:service`,
    summary: 'Get a service',
    tags: ['services'],
    access: { permission: 'services:read', scope: projectScope },
    params: serviceParams,
    async handler({ params, reply }) {
      const row = await svc.resolve(params);
      void reply.header('ETag', `"${row.version}"`);
      return view(row);
    },
  });

  registry.add({
    id: 'services.update',
    method: 'PUT',
    url: `${base}/:service`,
    summary: 'Replace the spec of a service (a new release when the release spec changes)',
    tags: ['services'],
    access: { permission: 'services:write', scope: projectScope },
    params: serviceParams,
    body: updateServiceRequestSchema,
    response: {
      status: 202,
      description: 'The service and the task of the rollout (null when nothing changed)',
    },
    target: { kind: 'service' },
    async handler({ params, body, actor, req }) {
      const ifMatch = req.headers['if-match'];
      const version =
        body.version ??
        (typeof ifMatch === 'string' ? Number(ifMatch.replace(/"/g, '')) || undefined : undefined);
      const r = await svc.update(params, { ...body, version }, actor);
      return withTask(r, r.task ? 202 : 200);
    },
  });

  registry.add({
    id: 'services.delete',
    method: 'DELETE',
    url: `${base}/:service`,
    summary: 'Delete a service: its containers are drained and removed',
    tags: ['services'],
    access: { permission: 'services:write', scope: projectScope },
    params: serviceParams,
    response: { status: 202, description: 'The deletion task' },
    target: { kind: 'service' },
    async handler({ params, actor }) {
      const r = await svc.remove(params, actor);
      return { status: 202, body: { task: r.task } };
    },
  });

  const action = (
    id: string,
    path: string,
    summary: string,
    schema: z.ZodType,
    run: (
      p: ServiceParams,
      body: never,
      actor: Parameters<typeof svc.stop>[1],
    ) => Promise<{ service: ServiceRow; task: Task }>,
  ) =>
    registry.add({
      id,
      method: 'POST',
      url: `${base}/:service/${path}`,
      summary,
      tags: ['services'],
      access: { permission: 'services:write', scope: projectScope },
      params: serviceParams,
      body: schema,
      response: { status: 202, description: 'The service and the task that tracks the change' },
      target: { kind: 'service' },
      async handler({ params, body, actor }) {
        return withTask(await run(params, body as never, actor));
      },
    });

  action(
    'services.scale',
    'scale',
    'Set the number of replicas',
    scaleRequestSchema,
    (p, b: { replicas: number }, a) => svc.scale(p, b.replicas, a),
  );
  action(
    'services.restart',
    'restart',
    'Rolling restart of every container',
    emptyActionSchema.optional(),
    (p, _b, a) => svc.restart(p, a),
  );
  action(
    'services.stop',
    'stop',
    'Stop every container (replicas are kept)',
    emptyActionSchema.optional(),
    (p, _b, a) => svc.stop(p, a),
  );
  action('services.start', 'start', 'Start a stopped service', emptyActionSchema.optional(), (p, _b, a) =>
    svc.start(p, a),
  );
  action(
    'services.rollback',
    'rollback',
    'Roll back to an earlier release (default: the previous good one)',
    rollbackRequestSchema.optional(),
    (p, b: { release?: number } | undefined, a) => svc.rollback(p, b?.release, a),
  );
  action(
    'services.promote',
    'promote',
    'Deploy a release of this service to another environment (default prod)',
    promoteRequestSchema,
    (p, b: { release?: number; toEnv: string; reason?: string }, a) => svc.promote(p, b, a),
  );

  registry.add({
    id: 'releases.list',
    method: 'GET',
    url: `${base}/:service/releases`,
    summary: 'List the releases of a service, newest first',
    tags: ['services'],
    access: { permission: 'services:read', scope: projectScope },
    params: serviceParams,
    async handler({ params }) {
      const row = await svc.resolve(params);
      const rows = await repo.listReleases(row.id);
      return { items: rows.map((r) => toRelease(r, row.name)), nextCursor: null };
    },
  });

  registry.add({
    id: 'releases.get',
    method: 'GET',
    url: `${base}/:service/releases/:release`,
    summary: 'Get one release',
    tags: ['services'],
    access: { permission: 'services:read', scope: projectScope },
    params: serviceParams.extend({ release: z.coerce.number().int().min(1) }),
    async handler({ params }) {
      const row = await svc.resolve(params);
      const rel = await repo.getRelease(row.id, params.release);
      if (!rel)
        return {
          status: 404,
          body: {
            error: {
              code: 'RELEASE_NOT_FOUND',
              message: `Release ${params.release} of service '${row.name}' does not exist.`,
            },
          },
        };
      return toRelease(rel, row.name);
    },
  });

  registry.add({
    id: 'services.endpoints',
    method: 'GET',
    url: `${base}/:service/endpoints`,
    summary:
      'The addresses that should receive traffic now: ready, in-rotation containers; with ?follow=true (or Accept: text/event-stream) a stream of the list each time it changes',
    tags: ['services'],
    access: { permission: 'services:read', scope: projectScope },
    params: serviceParams,
    query: z.object({ follow: z.stringbool().optional() }),
    async handler({ params, query, req, reply }) {
      const row = await svc.resolve(params);
      const read = async () => {
        const rows = await repo.activeContainers(row.id);
        return rows.filter(isServing).flatMap((c) =>
          Object.entries(parseJson<Record<string, string>>(c.endpoints, {})).map(([port, address]) => ({
            container: c.name,
            release: c.release,
            containerPort: Number(port),
            address,
          })),
        );
      };
      if (!wantsStream(req, query.follow)) return { items: await read(), nextCursor: null };
      followEndpoints(deps, openSse(req, reply), read, deps.watchers.watch(row.env));
      return handled;
    },
  });

  registry.add({
    id: 'services.tasks',
    method: 'GET',
    url: `${base}/:service/tasks`,
    summary: 'Tasks of a service, newest first',
    tags: ['services'],
    access: { permission: 'services:read', scope: projectScope },
    params: serviceParams,
    query: pageQuerySchema,
    async handler({ params, query }) {
      const row = await svc.resolve(params);
      let q = deps.ctx.db
        .selectFrom('tasks')
        .selectAll()
        .where('service_id', '=', row.id)
        .orderBy('id', 'desc')
        .limit(query.limit + 1);
      const after = decodeCursor(query.cursor);
      if (after) q = q.where('id', '<', after);
      const page = pageOf(await q.execute(), query.limit, (t) => t.id);
      return { items: page.items.map(toTask), nextCursor: page.nextCursor };
    },
  });
}

/** How often a watch re-reads the list without a signal (changes made by another instance). */
const endpointsRecheckMs = 2000;

/**
 * Streams the endpoint list (`event: endpoints`, data `{items}`) at once and whenever it changes.
 * The service controller raises endpointsMayChange in the same moment it commits a change (a
 * container ready, leaving rotation), so a watcher sees a removal within milliseconds. Each write
 * is reported to the drain confirmation (`watcher`): a leaving container is stopped only after
 * every open watch was written a list without it, and its drain period counts from that write
 * (docs/gateway.md).
 */
function followEndpoints(
  deps: ServicesModuleDeps,
  sse: ReturnType<typeof openSse>,
  read: () => Promise<{ address: string }[]>,
  watcher: EndpointWatcher,
) {
  let last = '';
  let busy = false;
  let again = false;
  const check = () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    again = false;
    read()
      .then((items) => {
        const json = JSON.stringify(items);
        if (json !== last && !sse.closed.aborted) {
          sse.send('endpoints', { items });
          watcher.published(items.map((i) => i.address));
        }
        last = json;
      })
      .catch((err: unknown) => deps.ctx.log.warn({ err }, 'endpoints watch: reading endpoints failed'))
      .finally(() => {
        busy = false;
        if (again && !sse.closed.aborted) check();
      });
  };
  const unsubscribe = onEndpointsMayChange(deps.ctx.db, check);
  const timer = setInterval(check, endpointsRecheckMs);
  sse.closed.addEventListener('abort', () => {
    unsubscribe();
    clearInterval(timer);
    watcher.close();
  });
  check();
}
