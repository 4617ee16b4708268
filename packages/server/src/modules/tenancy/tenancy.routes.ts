import { z } from 'zod';
import {
  cidrSchema,
  createDomainRequestSchema,
  createNetworkRequestSchema,
  nameSchema,
  zoneSchema,
} from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { TenancyService } from './tenancy.service';

const platformAdmin = { permission: 'platform:admin' as const, scope: () => ({ kind: 'platform' as const }) };
const zoneParams = z.object({ zone: zoneSchema }).strict();
const networkParams = z.object({ address: z.string().max(15), bits: z.string().max(2) }).strict();
const encodedNetworkParams = z.object({ cidr: cidrSchema }).strict();
const ownerQuery = z
  .object({ team: nameSchema.optional(), project: nameSchema.optional() })
  .strict()
  .refine((q) => !(q.team && q.project), 'give at most one of team or project');

function ownerOf(q: z.output<typeof ownerQuery>) {
  if (q.team) return { kind: 'team' as const, name: q.team };
  if (q.project) return { kind: 'project' as const, name: q.project };
  return null;
}

/** Domain zones and allowed networks: everyone reads their own; platform admins assign them. */
export function registerTenancyRoutes(registry: RouteRegistry, svc: TenancyService): void {
  registry.add({
    id: 'domains.list',
    method: 'GET',
    url: '/api/v1/domains',
    summary: 'List domain zones (platform admins: all; others: the zones of their projects and teams)',
    tags: ['domains'],
    access: 'authenticated',
    handler: async ({ actor }) => ({ items: await svc.listZones(actor), nextCursor: null }),
  });

  registry.add({
    id: 'domains.create',
    method: 'POST',
    url: '/api/v1/domains',
    summary: "Assign a DNS zone to a team or project; its routes' hosts may then lie in it",
    tags: ['domains'],
    access: platformAdmin,
    body: createDomainRequestSchema,
    response: { status: 201, description: 'The zone' },
    target: { kind: 'domain', name: (_p, b) => b.zone },
    handler: async ({ body, actor }) => ({ status: 201, body: await svc.addZone(body, actor) }),
  });

  registry.add({
    id: 'domains.delete',
    method: 'DELETE',
    url: '/api/v1/domains/:zone',
    summary: 'Remove a zone assignment (routes in it stay and are flagged)',
    tags: ['domains'],
    access: platformAdmin,
    params: zoneParams,
    target: { kind: 'domain' },
    async handler({ params }) {
      await svc.removeZone(params.zone);
      return { status: 204 };
    },
  });

  registry.add({
    id: 'networks.list',
    method: 'GET',
    url: '/api/v1/networks',
    summary: "List allowed backend networks (platform admins: all; others: their projects' and teams')",
    tags: ['networks'],
    access: 'authenticated',
    handler: async ({ actor }) => ({ items: await svc.listNetworks(actor), nextCursor: null }),
  });

  registry.add({
    id: 'networks.create',
    method: 'POST',
    url: '/api/v1/networks',
    summary: "Allow a network for a team's or project's route VM backends",
    tags: ['networks'],
    access: platformAdmin,
    body: createNetworkRequestSchema,
    response: { status: 201, description: 'The allowed network' },
    target: { kind: 'network', name: (_p, b) => b.cidr },
    handler: async ({ body, actor }) => ({ status: 201, body: await svc.addNetwork(body, actor) }),
  });

  // DELETE /networks/10.20.0.0/16 (the CIDR's slash as a path separator) or /networks/10.20.0.0%2F16;
  // ?team=T or ?project=P removes only that owner's grant.
  registry.add({
    id: 'networks.delete',
    method: 'DELETE',
    url: '/api/v1/networks/:address/:bits',
    summary: 'Remove an allowed network (all its grants, or one owner’s with ?team= or ?project=)',
    tags: ['networks'],
    access: platformAdmin,
    params: networkParams,
    query: ownerQuery,
    target: { kind: 'network' },
    async handler({ params, query }) {
      await svc.removeNetwork(`${params.address}/${params.bits}`, ownerOf(query));
      return { status: 204 };
    },
  });

  registry.add({
    id: 'networks.delete-encoded',
    method: 'DELETE',
    url: '/api/v1/networks/:cidr',
    summary: 'Remove an allowed network given as one path segment (10.20.0.0%2F16 or a single address)',
    tags: ['networks'],
    access: platformAdmin,
    params: encodedNetworkParams,
    query: ownerQuery,
    target: { kind: 'network' },
    async handler({ params, query }) {
      await svc.removeNetwork(params.cidr, ownerOf(query));
      return { status: 204 };
    },
  });
}
