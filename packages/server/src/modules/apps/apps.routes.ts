import { z } from 'zod';
import { appInstanceCreateSchema, nameSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { AppsService } from './apps.service';

const appParams = z.object({ app: nameSchema }).strict();
const envParams = z.object({ project: nameSchema, env: nameSchema }).strict();
const instanceParams = envParams.extend({ name: nameSchema }).strict();
const boolText = (what: string) =>
  z.enum(['true', 'false'], { error: `${what}: give true or false` }).transform((v) => v === 'true');
/** GET of one instance: `?reveal=true` adds the password for callers who may read secrets. */
const getQuery = z.object({ reveal: boolText('reveal').optional() }).strict();
/** The choice is required: deleting an instance's data must never be a default. */
const deleteQuery = z
  .object({
    keepVolumes: boolText('keepVolumes (keep the data volumes, or delete them with the instance)'),
  })
  .strict();
const projectScope = (p: { project: string }) => ({ kind: 'project' as const, project: p.project });

/** The catalog (/api/v1/apps) and a project environment's app instances (docs/apps.md). */
export function registerAppRoutes(registry: RouteRegistry, apps: AppsService): void {
  const base = '/api/v1/projects/:project/envs/:env/app-instances';
  const read = { permission: 'services:read' as const, scope: projectScope };
  const write = { permission: 'services:write' as const, scope: projectScope };
  const tags = ['apps'];

  registry.add({
    id: 'apps.list',
    method: 'GET',
    url: '/api/v1/apps',
    summary:
      'The app store catalog: the templates shipped with Berth and their versions (every signed-in user)',
    tags,
    access: 'authenticated',
    handler: () => Promise.resolve({ items: apps.listApps(), nextCursor: null }),
  });

  registry.add({
    id: 'apps.get',
    method: 'GET',
    url: '/api/v1/apps/:app',
    summary: "An app template: each version's parameters with their limits, what it creates and its notes",
    tags,
    access: 'authenticated',
    params: appParams,
    handler: ({ params }) => Promise.resolve(apps.getApp(params.app)),
  });

  registry.add({
    id: 'appInstances.list',
    method: 'GET',
    url: base,
    summary: "An environment's app instances with their state and members",
    tags,
    access: read,
    params: envParams,
    handler: async ({ params }) => ({ items: await apps.list(params.project, params.env), nextCursor: null }),
  });

  registry.add({
    id: 'appInstances.create',
    method: 'POST',
    url: base,
    summary:
      'Install an app {app, version?, name, params}: makes its volumes and services; the generated password is in this answer only (422 at params.X, 409 naming a taken object)',
    tags,
    access: write,
    params: envParams,
    body: appInstanceCreateSchema,
    response: { status: 201, description: 'The instance, its connection info and its password (shown once)' },
    target: { kind: 'app-instance', name: (p, b) => `${p.project}/${p.env}/${b.name}` },
    handler: async ({ params, body, actor }) => ({
      status: 201,
      body: await apps.create(params.project, params.env, body, actor),
    }),
  });

  registry.add({
    id: 'appInstances.get',
    method: 'GET',
    url: `${base}/:name`,
    summary:
      'An app instance: state, members (ready/desired) and connection info; ?reveal=true adds the password for callers who may exec into services',
    tags,
    access: read,
    params: instanceParams,
    query: getQuery,
    handler: ({ params, query, actor }) =>
      apps.get(params.project, params.env, params.name, actor, query.reveal ?? false),
  });

  registry.add({
    id: 'appInstances.rotatePassword',
    method: 'POST',
    url: `${base}/:name/rotate-password`,
    summary: 'Generate a new password; the members roll to it; the new password is in this answer only',
    tags,
    access: write,
    params: instanceParams,
    target: { kind: 'app-instance', name: (p) => `${p.project}/${p.env}/${p.name}` },
    handler: ({ params, actor }) => apps.rotatePassword(params.project, params.env, params.name, actor),
  });

  registry.add({
    id: 'appInstances.delete',
    method: 'DELETE',
    url: `${base}/:name`,
    summary:
      'Delete an app instance: its services now, then its volumes unless ?keepVolumes=true (the choice is required)',
    tags,
    access: write,
    params: instanceParams,
    query: deleteQuery,
    response: { status: 202, description: 'What is deleted and what is kept' },
    target: { kind: 'app-instance', name: (p) => `${p.project}/${p.env}/${p.name}` },
    handler: async ({ params, query, actor }) => ({
      status: 202,
      body: await apps.remove(params.project, params.env, params.name, query.keepVolumes, actor),
    }),
  });
}
