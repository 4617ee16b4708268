import { z } from 'zod';
import { createRegistryRequestSchema, nameSchema, updateRegistryRequestSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import { decodeCursor, pageOf, pageQuerySchema } from '../../http/pagination';
import type { RegistriesRepository } from './registries.repository';
import { toRegistry, type RegistriesService } from './registries.service';

export const registryParams = z.object({ registry: nameSchema }).strict();
const platformAdmin = { permission: 'platform:admin' as const, scope: () => ({ kind: 'platform' as const }) };
const base = '/api/v1/registries';

/** Registries: any logged-in user lists them (credentials are write-only); platform admins manage them. */
export function registerRegistryRoutes(
  registry: RouteRegistry,
  repo: RegistriesRepository,
  svc: RegistriesService,
): void {
  registry.add({
    id: 'registries.list',
    method: 'GET',
    url: base,
    summary: 'List image registries (the embedded one and external OCI registries)',
    tags: ['registries'],
    access: 'authenticated',
    query: pageQuerySchema,
    async handler({ query }) {
      const page = pageOf(
        await repo.list(decodeCursor(query.cursor), query.limit),
        query.limit,
        (r) => r.name,
      );
      return { items: page.items.map(toRegistry), nextCursor: page.nextCursor };
    },
  });

  registry.add({
    id: 'registries.get',
    method: 'GET',
    url: `${base}/:registry`,
    summary: 'Show a registry',
    tags: ['registries'],
    access: 'authenticated',
    params: registryParams,
    handler: async ({ params }) => toRegistry(await svc.get(params.registry)),
  });

  registry.add({
    id: 'registries.create',
    method: 'POST',
    url: base,
    summary: 'Add an external OCI registry; the password or token is stored encrypted and never returned',
    tags: ['registries'],
    access: platformAdmin,
    body: createRegistryRequestSchema,
    response: { status: 201, description: 'The registry' },
    target: { kind: 'registry', name: (_p, b) => b.name },
    async handler({ body, actor }) {
      return { status: 201, body: toRegistry(await svc.create(body, actor.name)) };
    },
  });

  registry.add({
    id: 'registries.update',
    method: 'PATCH',
    url: `${base}/:registry`,
    summary: 'Change an external registry (URL, username, password or token)',
    tags: ['registries'],
    access: platformAdmin,
    params: registryParams,
    body: updateRegistryRequestSchema,
    target: { kind: 'registry' },
    handler: async ({ params, body }) => toRegistry(await svc.update(params.registry, body)),
  });

  registry.add({
    id: 'registries.delete',
    method: 'DELETE',
    url: `${base}/:registry`,
    summary: 'Remove an external registry from Berth (its images stay where they are)',
    tags: ['registries'],
    access: platformAdmin,
    params: registryParams,
    target: { kind: 'registry' },
    async handler({ params }) {
      await svc.remove(params.registry);
      return { status: 204 };
    },
  });

  registry.add({
    id: 'registries.test',
    method: 'POST',
    url: `${base}/:registry/test`,
    summary: 'Test the connection: ping /v2/ with the stored credentials (basic or bearer-token auth)',
    tags: ['registries'],
    access: platformAdmin,
    params: registryParams,
    target: { kind: 'registry' },
    handler: async ({ params }) => svc.test(params.registry),
  });
}
