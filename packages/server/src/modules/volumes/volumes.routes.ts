import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { BerthError, createVolumeRequestSchema, nameSchema, volumeClassRequestSchema } from '@berth/shared';
import { handled, type RouteRegistry } from '../../http/route';
import type { VolumesService } from './volumes.service';

const classParams = z.object({ name: nameSchema }).strict();
const envParams = z.object({ project: nameSchema, env: nameSchema }).strict();
const volumeParams = z.object({ project: nameSchema, env: nameSchema, volume: nameSchema }).strict();
const base = '/api/v1/projects/:project/envs/:env/volumes';

/** An import's body is streamed to the engine as it arrives (no buffering, no body limit but the volume's size). */
const tarTypes = ['application/x-tar', 'application/octet-stream'];

/** Volume classes (platform admins) and the volumes of a project's environment (docs/volumes.md). */
export function registerVolumeRoutes(
  registry: RouteRegistry,
  app: FastifyInstance,
  svc: VolumesService,
): void {
  for (const type of tarTypes)
    if (!app.hasContentTypeParser(type))
      app.addContentTypeParser(type, (_req, _payload, done) => done(null, undefined));

  const platform = { permission: 'platform:admin' as const, scope: () => ({ kind: 'platform' as const }) };
  const read = {
    permission: 'services:read' as const,
    scope: (p: { project: string }) => ({ kind: 'project' as const, project: p.project }),
  };
  const write = {
    permission: 'services:write' as const,
    scope: (p: { project: string }) => ({ kind: 'project' as const, project: p.project }),
  };

  registry.add({
    id: 'volumeClasses.list',
    method: 'GET',
    url: '/api/v1/volume-classes',
    summary: 'List volume classes (local, nfs, cephfs) a volume can be created in (every signed-in user)',
    tags: ['volumes'],
    access: 'authenticated',
    handler: async () => ({ items: await svc.listClasses(), nextCursor: null }),
  });

  registry.add({
    id: 'volumeClasses.get',
    method: 'GET',
    url: '/api/v1/volume-classes/:name',
    summary: 'Show a volume class',
    tags: ['volumes'],
    access: 'authenticated',
    params: classParams,
    handler: ({ params }) => svc.getClass(params.name),
  });

  registry.add({
    id: 'volumeClasses.put',
    method: 'PUT',
    url: '/api/v1/volume-classes/:name',
    summary:
      'Create or replace a volume class (platform admins); kind, server and path are fixed once it has volumes',
    tags: ['volumes'],
    access: platform,
    params: classParams,
    body: volumeClassRequestSchema,
    target: { kind: 'volume-class' },
    handler: ({ params, body, actor }) => svc.putClass(params.name, body, actor.name),
  });

  registry.add({
    id: 'volumeClasses.delete',
    method: 'DELETE',
    url: '/api/v1/volume-classes/:name',
    summary: 'Delete a volume class that has no volumes (platform admins)',
    tags: ['volumes'],
    access: platform,
    params: classParams,
    target: { kind: 'volume-class' },
    response: { status: 204, description: 'Deleted' },
    async handler({ params }) {
      await svc.deleteClass(params.name);
      return { status: 204 };
    },
  });

  registry.add({
    id: 'volumes.list',
    method: 'GET',
    url: base,
    summary: "List an environment's volumes with class, size, whether the size is enforced, usage and users",
    tags: ['volumes'],
    access: read,
    params: envParams,
    handler: async ({ params }) => ({ items: await svc.list(params.project, params.env), nextCursor: null }),
  });

  registry.add({
    id: 'volumes.create',
    method: 'POST',
    url: base,
    summary: 'Create a volume {name, class, sizeMiB, cluster?} (cluster: local classes only)',
    tags: ['volumes'],
    access: write,
    params: envParams,
    body: createVolumeRequestSchema,
    target: { kind: 'volume', name: (p, b) => `${p.project}/${p.env}/${b.name}` },
    response: { status: 201, description: 'Volume' },
    handler: async ({ params, body, actor }) => ({
      status: 201,
      body: await svc.create(params.project, params.env, body, actor.name),
    }),
  });

  registry.add({
    id: 'volumes.get',
    method: 'GET',
    url: `${base}/:volume`,
    summary: 'Show a volume: class, size, usage and who mounts it',
    tags: ['volumes'],
    access: read,
    params: volumeParams,
    handler: ({ params }) => svc.get(params.project, params.env, params.volume, true),
  });

  registry.add({
    id: 'volumes.delete',
    method: 'DELETE',
    url: `${base}/:volume`,
    summary:
      'Delete a volume and its data; refused (409, naming them) while a service or container mounts it',
    tags: ['volumes'],
    access: write,
    params: volumeParams,
    target: { kind: 'volume' },
    response: { status: 204, description: 'Deleted' },
    async handler({ params }) {
      await svc.remove(params.project, params.env, params.volume);
      return { status: 204 };
    },
  });

  registry.add({
    id: 'volumes.export',
    method: 'GET',
    url: `${base}/:volume/export`,
    summary: "Download the volume's content as a tar archive",
    tags: ['volumes'],
    access: write,
    params: volumeParams,
    response: { status: 200, description: 'A tar archive', contentType: 'application/x-tar' },
    async handler({ params, reply }) {
      const { stream, filename } = await svc.export(params.project, params.env, params.volume);
      await reply
        .code(200)
        .header('Content-Type', 'application/x-tar')
        .header('Content-Disposition', `attachment; filename="${filename}"`)
        .send(stream);
      return handled;
    },
  });

  registry.add({
    id: 'volumes.import',
    method: 'POST',
    url: `${base}/:volume/import`,
    summary:
      'Upload a tar archive (Content-Type: application/x-tar) into the volume; its files replace those of the same name',
    tags: ['volumes'],
    access: write,
    params: volumeParams,
    target: { kind: 'volume' },
    response: { status: 204, description: 'Imported' },
    async handler({ params, req }) {
      const type = String(req.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim();
      if (!tarTypes.includes(type)) throw new UnsupportedType(type);
      const length = Number(req.headers['content-length']);
      await svc.import(
        params.project,
        params.env,
        params.volume,
        req.raw,
        Number.isFinite(length) ? length : undefined,
      );
      return { status: 204 };
    },
  });
}

class UnsupportedType extends BerthError {
  constructor(type: string) {
    super(
      'UNSUPPORTED_MEDIA_TYPE',
      `Send the archive with Content-Type: application/x-tar (got "${type || 'none'}").`,
    );
  }
}
