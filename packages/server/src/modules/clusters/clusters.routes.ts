import { z } from 'zod';
import {
  clusterNameSchema,
  createClusterRequestSchema,
  nameSchema,
  patchClusterRequestSchema,
  patchEnvRequestSchema,
} from '@berth/shared';
import type { Actor, AppContext, Scope } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { ClusterFlag, ClustersService } from './clusters.service';

const base = '/api/v1/clusters';
const clusterParams = z.object({ name: clusterNameSchema }).strict();
const envParams = z.object({ name: nameSchema }).strict();
const listQuery = z
  .object({
    /** `k=v` (or `k`: has the label); repeat for several, all must match. */
    label: z.union([z.string().max(200), z.array(z.string().max(200)).max(20)]).optional(),
  })
  .strict();
const eventsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: z.string().max(64).optional(),
  })
  .strict();

const platform = (): Scope => ({ kind: 'platform' });

/**
 * The cluster registry. Every signed-in user reads clusters (their endpoint and credentials only
 * platform admins); writes need `clusters:write` on the platform (platform admins). Environments'
 * clusters and failover grace are read by everyone and changed by platform admins.
 */
export function registerClusterRoutes(registry: RouteRegistry, ctx: AppContext, svc: ClustersService): void {
  const write = { permission: 'clusters:write' as const, scope: platform };
  const isAdmin = (actor: Actor) => ctx.auth.authorize(actor, 'clusters:write', platform());

  registry.add({
    id: 'clusters.list',
    method: 'GET',
    url: base,
    summary:
      'List clusters with state, latency and capacity (every signed-in user; endpoints for platform admins only). ?label=k=v filters',
    tags: ['clusters'],
    access: 'authenticated',
    query: listQuery,
    async handler({ query, actor }) {
      const labels =
        query.label === undefined ? [] : Array.isArray(query.label) ? query.label : [query.label];
      return { items: await svc.list(await isAdmin(actor), labels), nextCursor: null };
    },
  });

  registry.add({
    id: 'clusters.get',
    method: 'GET',
    url: `${base}/:name`,
    summary: 'Show a cluster and what is placed on it',
    tags: ['clusters'],
    access: 'authenticated',
    params: clusterParams,
    handler: async ({ params, actor }) => svc.get(params.name, await isAdmin(actor)),
  });

  registry.add({
    id: 'clusters.events',
    method: 'GET',
    url: `${base}/:name/events`,
    summary: "A cluster's state changes and cordon/drain actions, newest first",
    tags: ['clusters'],
    access: 'authenticated',
    params: clusterParams,
    query: eventsQuery,
    async handler({ params, query }) {
      const rows = await svc.events(params.name, query.limit, query.before);
      const items = rows.slice(0, query.limit);
      return { items, nextCursor: rows.length > query.limit ? (items[items.length - 1]?.id ?? null) : null };
    },
  });

  registry.add({
    id: 'clusters.create',
    method: 'POST',
    url: base,
    summary:
      'Register a cluster: a Podman engine at unix:///path or ssh://user@host[:port]/path (credentials sealed)',
    tags: ['clusters'],
    access: write,
    body: createClusterRequestSchema,
    response: { status: 201, description: 'The registered cluster (its first health check runs now)' },
    target: { kind: 'cluster', name: (_p, b) => b.name },
    async handler({ body, actor }) {
      return { status: 201, body: await svc.create(body, actor.name) };
    },
  });

  registry.add({
    id: 'clusters.update',
    method: 'PATCH',
    url: `${base}/:name`,
    summary: "Change a cluster's endpoint, credentials or labels (JSON merge patch)",
    tags: ['clusters'],
    access: write,
    params: clusterParams,
    body: patchClusterRequestSchema,
    target: { kind: 'cluster' },
    handler: ({ params, body }) => svc.patch(params.name, body),
  });

  registry.add({
    id: 'clusters.delete',
    method: 'DELETE',
    url: `${base}/:name`,
    summary: 'Remove a cluster (refused while an environment names it or containers run on it)',
    tags: ['clusters'],
    access: write,
    params: clusterParams,
    target: { kind: 'cluster' },
    async handler({ params }) {
      await svc.remove(params.name);
      return { status: 204 };
    },
  });

  const flags: Array<[ClusterFlag, string]> = [
    ['cordon', 'Cordon a cluster: no new replicas are placed on it'],
    ['uncordon', 'Uncordon a cluster: new replicas may be placed on it again'],
    ['drain', 'Drain a cluster: its replicas are to move away (the fleet controller acts on it)'],
    ['undrain', 'Stop draining a cluster'],
  ];
  for (const [action, summary] of flags) {
    registry.add({
      id: `clusters.${action}`,
      method: 'POST',
      url: `${base}/:name/${action}`,
      summary,
      tags: ['clusters'],
      access: write,
      params: clusterParams,
      target: { kind: 'cluster' },
      handler: ({ params, actor }) => svc.setFlag(params.name, action, actor.name),
    });
  }

  registry.add({
    id: 'clusters.check',
    method: 'POST',
    url: `${base}/:name/check`,
    summary: 'Run a health check of a cluster now',
    tags: ['clusters'],
    access: write,
    params: clusterParams,
    target: { kind: 'cluster' },
    handler: ({ params }) => svc.check(params.name, true),
  });

  registry.add({
    id: 'envs.get',
    method: 'GET',
    url: '/api/v1/envs/:name',
    summary: 'Show an environment: its clusters and failover grace',
    tags: ['envs'],
    access: 'authenticated',
    params: envParams,
    handler: ({ params }) => svc.getEnv(params.name),
  });

  registry.add({
    id: 'envs.update',
    method: 'PATCH',
    url: '/api/v1/envs/:name',
    summary: "Change an environment's clusters or failover grace (platform admins)",
    tags: ['envs'],
    access: write,
    params: envParams,
    body: patchEnvRequestSchema,
    target: { kind: 'env' },
    handler: ({ params, body }) => svc.patchEnv(params.name, body),
  });
}
