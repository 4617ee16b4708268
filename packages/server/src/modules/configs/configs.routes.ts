import { z } from 'zod';
import { configCreateSchema, configRollbackSchema, configUpdateSchema, nameSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { ConfigsService } from './configs.service';

const projectParams = z.object({ project: nameSchema }).strict();
const configParams = z.object({ project: nameSchema, config: nameSchema }).strict();
const versionParams = configParams.extend({ version: z.coerce.number().int().min(1) }).strict();
const diffQuery = z
  .object({ from: z.coerce.number().int().min(1), to: z.coerce.number().int().min(1) })
  .strict();
const projectScope = (p: { project: string }) => ({ kind: 'project' as const, project: p.project });
/** JSON-escaped text of up to 1 MiB of files. */
const configBodyLimit = 4 * 1024 * 1024;

/** /api/v1/projects/{project}/configs (docs/configs.md). */
export function registerConfigRoutes(registry: RouteRegistry, configs: ConfigsService): void {
  const base = '/api/v1/projects/:project/configs';
  const read = { permission: 'services:read' as const, scope: projectScope };
  const write = { permission: 'services:write' as const, scope: projectScope };

  registry.add({
    id: 'configs.list',
    method: 'GET',
    url: base,
    summary: "A project's configs (current version, number of files, size)",
    tags: ['configs'],
    access: read,
    params: projectParams,
    handler: async ({ params }) => ({ items: await configs.list(params.project), nextCursor: null }),
  });

  registry.add({
    id: 'configs.create',
    method: 'POST',
    url: base,
    summary: 'Create a config: a named set of text files (version 1)',
    tags: ['configs'],
    access: write,
    params: projectParams,
    body: configCreateSchema,
    bodyLimit: configBodyLimit,
    response: { status: 201, description: 'The config with its files' },
    target: { kind: 'config', name: (p, b) => `${p.project}/${b.name}` },
    handler: async ({ params, body, actor }) => ({
      status: 201,
      body: await configs.create(params.project, body, actor.name),
    }),
  });

  registry.add({
    id: 'configs.get',
    method: 'GET',
    url: `${base}/:config`,
    summary: 'A config with the files of its current version',
    tags: ['configs'],
    access: read,
    params: configParams,
    handler: async ({ params }) => configs.view(await configs.resolve(params.project, params.config)),
  });

  registry.add({
    id: 'configs.update',
    method: 'PUT',
    url: `${base}/:config`,
    summary:
      'Replace the files of a config: a new version when they changed, and its consumers refresh (rolling-restart, signal or none)',
    tags: ['configs'],
    access: write,
    params: configParams,
    body: configUpdateSchema,
    bodyLimit: configBodyLimit,
    response: { status: 200, description: 'The config, whether it changed, and what each consumer did' },
    target: { kind: 'config' },
    handler: ({ params, body, actor }) => configs.update(params.project, params.config, body, actor.name),
  });

  registry.add({
    id: 'configs.delete',
    method: 'DELETE',
    url: `${base}/:config`,
    summary: 'Delete a config; refused (409, naming them) while any service release mounts it',
    tags: ['configs'],
    access: write,
    params: configParams,
    response: { status: 204, description: 'Deleted' },
    target: { kind: 'config' },
    handler: async ({ params }) => {
      await configs.remove(params.project, params.config);
      return { status: 204 };
    },
  });

  registry.add({
    id: 'configs.versions',
    method: 'GET',
    url: `${base}/:config/versions`,
    summary: "A config's versions, newest first: author, reason and the files each changed",
    tags: ['configs'],
    access: read,
    params: configParams,
    handler: async ({ params }) => ({
      items: await configs.versions(params.project, params.config),
      nextCursor: null,
    }),
  });

  registry.add({
    id: 'configs.version',
    method: 'GET',
    url: `${base}/:config/versions/:version`,
    summary: 'One version of a config: its files and the line diff of each file from the previous version',
    tags: ['configs'],
    access: read,
    params: versionParams,
    handler: ({ params }) => configs.version(params.project, params.config, params.version),
  });

  registry.add({
    id: 'configs.diff',
    method: 'GET',
    url: `${base}/:config/diff`,
    summary: 'The per-file line diff between two versions of a config',
    tags: ['configs'],
    access: read,
    params: configParams,
    query: diffQuery,
    handler: ({ params, query }) => configs.diff(params.project, params.config, query.from, query.to),
  });

  registry.add({
    id: 'configs.rollback',
    method: 'POST',
    url: `${base}/:config/rollback`,
    summary: 'Roll a config back: a new version with the files of an earlier one (consumers refresh)',
    tags: ['configs'],
    access: write,
    params: configParams,
    body: configRollbackSchema,
    response: { status: 200, description: 'The config, and what each consumer did' },
    target: { kind: 'config' },
    handler: ({ params, body, actor }) => configs.rollback(params.project, params.config, body, actor.name),
  });

  registry.add({
    id: 'configs.usage',
    method: 'GET',
    url: `${base}/:config/usage`,
    summary: 'Which services and which of their releases mount the config, at which version',
    tags: ['configs'],
    access: read,
    params: configParams,
    handler: ({ params }) => configs.usage(params.project, params.config),
  });
}
