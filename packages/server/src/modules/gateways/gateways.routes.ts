import { z } from 'zod';
import {
  canaryRequestSchema,
  createRouteRequestSchema,
  nameSchema,
  routeActionRequestSchema,
  updateRouteRequestSchema,
} from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import { decodeCursor, pageOf, pageQuerySchema } from '../../http/pagination';
import { envParams, projectScope } from '../services/service-params';
import type { GatewaysRepository, RouteRow, VersionRow } from './gateways.repository';
import type { GatewaysService } from './gateways.service';
import { tlsWarnings } from './route-certificates';

const base = '/api/v1/projects/:project/envs/:env/routes';
const routeParams = envParams.extend({ route: nameSchema }).strict();
const deleteQuery = z.object({ version: z.coerce.number().int().min(1).optional() }).strict();

const versionRef = (v: VersionRow | null) => (v ? { number: v.number, kind: v.kind, state: v.state } : null);

/** Routes of a project's env: CRUD and canary actions. Each write validates and applies. */
export function registerRouteRoutes(
  registry: RouteRegistry,
  repo: GatewaysRepository,
  svc: GatewaysService,
): void {
  const read = { permission: 'services:read' as const, scope: projectScope };
  const write = { permission: 'services:write' as const, scope: projectScope };
  const one = async (row: RouteRow) => (await svc.present([row]))[0]!;

  registry.add({
    id: 'routes.list',
    method: 'GET',
    url: base,
    summary: 'List the routes of a project in one environment',
    tags: ['routes'],
    access: read,
    params: envParams,
    query: pageQuerySchema,
    async handler({ params, query }) {
      const rows = await repo.listRoutes(params.project, params.env, decodeCursor(query.cursor), query.limit);
      const page = pageOf(rows, query.limit, (r) => r.name);
      return { items: await svc.present(page.items), nextCursor: page.nextCursor };
    },
  });

  registry.add({
    id: 'routes.get',
    method: 'GET',
    url: `${base}/:route`,
    summary: 'Show a route',
    tags: ['routes'],
    access: read,
    params: routeParams,
    handler: async ({ params }) => one(await svc.route(params)),
  });

  registry.add({
    id: 'routes.create',
    method: 'POST',
    url: base,
    summary: 'Create a route; the gateway configuration is validated and applied before it is stored',
    tags: ['routes'],
    access: write,
    params: envParams,
    body: createRouteRequestSchema,
    response: { status: 201, description: 'The route and the gateway version that applied it' },
    target: { kind: 'route', name: (p, b) => `${p.project}/${p.env}/${b.name}` },
    async handler({ params, body, actor }) {
      const v = await svc.create(params, body.name, body.spec, actor.name, body.reason);
      const route = await svc.route({ ...params, route: body.name });
      const warnings = await tlsWarnings(svc.certificates, params.project, body.spec);
      return { status: 201, body: { route: await one(route), gatewayVersion: versionRef(v), warnings } };
    },
  });

  registry.add({
    id: 'routes.update',
    method: 'PUT',
    url: `${base}/:route`,
    summary: 'Replace the spec of a route (send its current version)',
    tags: ['routes'],
    access: write,
    params: routeParams,
    body: updateRouteRequestSchema,
    target: { kind: 'route' },
    async handler({ params, body, actor }) {
      const reason = body.reason ?? `update route ${params.project}/${params.route}`;
      const v = await svc.update(params, { spec: body.spec, version: body.version }, actor.name, reason);
      const warnings = await tlsWarnings(svc.certificates, params.project, body.spec);
      return { route: await one(await svc.route(params)), gatewayVersion: versionRef(v), warnings };
    },
  });

  registry.add({
    id: 'routes.delete',
    method: 'DELETE',
    url: `${base}/:route`,
    summary: 'Delete a route',
    tags: ['routes'],
    access: write,
    params: routeParams,
    query: deleteQuery,
    target: { kind: 'route' },
    async handler({ params, query, actor }) {
      await svc.remove(params, query.version, actor.name);
      return { status: 204 };
    },
  });

  registry.add({
    id: 'routes.canary',
    method: 'POST',
    url: `${base}/:route/canary`,
    summary:
      'Start or change a canary: a percentage, or a header or cookie value, goes to another service or release',
    tags: ['routes'],
    access: write,
    params: routeParams,
    body: canaryRequestSchema,
    target: { kind: 'route' },
    async handler({ params, body, actor }) {
      const { version, reason, ...canary } = body;
      const v = await svc.update(
        params,
        { canary, version },
        actor.name,
        reason ?? `canary on ${params.route}`,
      );
      return { route: await one(await svc.route(params)), gatewayVersion: versionRef(v) };
    },
  });

  for (const action of ['promote', 'abort'] as const) {
    registry.add({
      id: `routes.canary.${action}`,
      method: 'POST',
      url: `${base}/:route/canary/${action}`,
      summary:
        action === 'promote'
          ? "Promote the canary: its service becomes the route's service, or the service rolls to its release"
          : 'Abort the canary: all traffic goes to the route’s service again',
      tags: ['routes'],
      access: write,
      params: routeParams,
      body: routeActionRequestSchema,
      target: { kind: 'route' },
      async handler({ params, body, actor }) {
        const v =
          action === 'promote'
            ? await svc.promote(params, body.version, actor, body.reason)
            : await svc.update(
                params,
                { canary: null, version: body.version },
                actor.name,
                body.reason ?? `abort canary of ${params.route}`,
              );
        return { route: await one(await svc.route(params)), gatewayVersion: versionRef(v) };
      },
    });
  }
}
