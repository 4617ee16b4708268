import { z } from 'zod';
import {
  NotFoundError,
  createRegistryRequestSchema,
  embeddedRegistryName,
  localStoreRegistryName,
  nameSchema,
  publicRepositoryRequestSchema,
  updateRegistryRequestSchema,
} from '@berth/shared';
import type { Actor } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { decodeCursor, pageOf, pageQuerySchema } from '../../http/pagination';
import type { RegistryAccess } from './registry-access';
import type { RegistriesRepository, RegistryRow } from './registries.repository';
import { registryNotFound, toRegistry, type RegistriesService } from './registries.service';

export const registryParams = z.object({ registry: nameSchema }).strict();
const platformAdmin = { permission: 'platform:admin' as const, scope: () => ({ kind: 'platform' as const }) };
const base = '/api/v1/registries';

/**
 * Registries: platform admins manage them and see all; everyone else sees only the registries
 * they may use (the embedded one, those assigned to their teams or projects, those with public
 * repositories), without usernames. Credentials are write-only for everyone.
 */
export function registerRegistryRoutes(
  registry: RouteRegistry,
  repo: RegistriesRepository,
  svc: RegistriesService,
  access: RegistryAccess,
): void {
  const view = async (row: RegistryRow, actor: Actor) =>
    toRegistry(
      row,
      {
        assignedTo: await access.assignments(row.name),
        publicRepositories: await access.publicRepositories(row.name),
      },
      !(await access.isAdmin(actor)),
    );
  /** A registry the caller may not use is reported as missing (no names leak). */
  const visible = async (name: string, actor: Actor): Promise<RegistryRow> => {
    const allowed = await access.visibleRegistries(actor);
    if (allowed !== null && !allowed.has(name)) throw registryNotFound(name);
    return svc.get(name);
  };

  registry.add({
    id: 'registries.list',
    method: 'GET',
    url: base,
    summary:
      'List the image registries you may use (platform admins: all) with their assignments and public repositories',
    tags: ['registries'],
    access: 'authenticated',
    query: pageQuerySchema,
    async handler({ query, actor }) {
      const allowed = await access.visibleRegistries(actor);
      const rows: RegistryRow[] = [];
      let after = decodeCursor(query.cursor);
      // Filtered pages: read on until one more than a page is visible or the table ends.
      for (;;) {
        const batch = await repo.list(after, query.limit);
        const read = batch.slice(0, query.limit);
        rows.push(...read.filter((r) => allowed === null || allowed.has(r.name)));
        if (batch.length <= query.limit || rows.length > query.limit) break;
        after = read[read.length - 1]!.name;
      }
      const page = pageOf(rows.slice(0, query.limit + 1), query.limit, (r) => r.name);
      return {
        items: await Promise.all(page.items.map((r) => view(r, actor))),
        nextCursor: page.nextCursor,
      };
    },
  });

  registry.add({
    id: 'registries.get',
    method: 'GET',
    url: `${base}/:registry`,
    summary: 'Show a registry you may use',
    tags: ['registries'],
    access: 'authenticated',
    params: registryParams,
    handler: async ({ params, actor }) => view(await visible(params.registry, actor), actor),
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
      if (body.assignedTo) await access.checkAssignments(body.name, body.assignedTo);
      const row = await svc.create(body, actor.name);
      if (body.assignedTo) await access.setAssignments(row.name, body.assignedTo, actor.name);
      return { status: 201, body: await view(row, actor) };
    },
  });

  registry.add({
    id: 'registries.update',
    method: 'PATCH',
    url: `${base}/:registry`,
    summary:
      'Change a registry: URL, username, password or token (external ones), and assignedTo (the teams and projects that may use it)',
    tags: ['registries'],
    access: platformAdmin,
    params: registryParams,
    body: updateRegistryRequestSchema,
    target: { kind: 'registry' },
    async handler({ params, body, actor }) {
      if (body.assignedTo) await access.checkAssignments(params.registry, body.assignedTo);
      const row = await svc.update(params.registry, body);
      if (body.assignedTo) await access.setAssignments(row.name, body.assignedTo, actor.name);
      return view(row, actor);
    },
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
    async handler({ params, actor }) {
      await svc.remove(params.registry);
      await access.setAssignments(params.registry, [], actor.name);
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

  /** The registry of a public-repository route: a configured one, or the local image store. */
  const publicTarget = async (name: string): Promise<string> => {
    if (name === localStoreRegistryName) return name;
    if (!(await repo.find(name)))
      throw new NotFoundError(
        'NOT_FOUND',
        `Registry '${name}' does not exist; use "${embeddedRegistryName}", "${localStoreRegistryName}" (Podman's local images) or one of \`berth registries list\`.`,
      );
    return name;
  };

  registry.add({
    id: 'registries.publicRepositories.list',
    method: 'GET',
    url: `${base}/:registry/public-repositories`,
    summary: `Repositories of a registry every logged-in user may pull and run ("${localStoreRegistryName}": Podman's local images)`,
    tags: ['registries'],
    access: 'authenticated',
    params: registryParams,
    async handler({ params }) {
      const name = await publicTarget(params.registry);
      return { items: (await access.publicRepositories(name)).map((repository) => ({ repository })) };
    },
  });

  registry.add({
    id: 'registries.publicRepositories.add',
    method: 'POST',
    url: `${base}/:registry/public-repositories`,
    summary: 'Mark a repository public: every logged-in user may pull it and run it in any project',
    tags: ['registries'],
    access: platformAdmin,
    params: registryParams,
    body: publicRepositoryRequestSchema,
    response: { status: 201, description: 'The public repository' },
    target: { kind: 'registry', name: (p, b) => `${p.registry}/${b.repository}` },
    async handler({ params, body, actor }) {
      const name = await publicTarget(params.registry);
      await access.addPublic(name, body.repository, actor.name);
      return { status: 201, body: { registry: name, repository: body.repository } };
    },
  });

  registry.add({
    id: 'registries.publicRepositories.remove',
    method: 'DELETE',
    url: `${base}/:registry/public-repositories/*`,
    summary:
      'DELETE …/public-repositories/<repository>: make a public repository private again (running services keep running)',
    tags: ['registries'],
    access: platformAdmin,
    params: z.object({ registry: nameSchema, '*': publicRepositoryRequestSchema.shape.repository }).strict(),
    target: { kind: 'registry', name: (p) => `${p.registry}/${p['*']}` },
    async handler({ params }) {
      const name = await publicTarget(params.registry);
      await access.removePublic(name, params['*']);
      return { status: 204 };
    },
  });
}
