import { z } from 'zod';
import { deleteTagQuerySchema, embeddedRegistryName, nameSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import { decodeCursor, pageQuerySchema } from '../../http/pagination';
import { repositoryPattern, tagPattern } from './image-ref';
import { projectOfRepository, type ImagesService } from './images.service';
import type { RegistryGc } from './registry-gc';
import { registryParams } from './registries.routes';

const base = '/api/v1/registries/:registry/repositories';

/**
 * `<repo>/tags` or `<repo>/tags/<tag>` after `/repositories/`: repository names hold slashes, so
 * the rest of the path is one wildcard, split here (a tag never holds a slash).
 */
function repoPath(withTag: 'optional' | 'required') {
  return z
    .string()
    .max(512)
    .transform((raw, ctx) => {
      const m = /^(.+?)\/tags(?:\/([^/]+))?\/?$/.exec(raw);
      const repo = m?.[1] ?? '';
      const tag = m?.[2];
      if (!m || !repositoryPattern.test(repo)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${raw}" is not <repository>/tags${withTag === 'required' ? '/<tag>' : '[/<tag>]'}; repository names are lowercase path components such as shop/web`,
        });
        return z.NEVER;
      }
      if ((withTag === 'required' && tag === undefined) || (tag !== undefined && !tagPattern.test(tag))) {
        ctx.addIssue({
          code: 'custom',
          message: 'a tag is 1-128 letters, digits, "_", "." or "-" (not starting with . or -)',
        });
        return z.NEVER;
      }
      return { repo, tag };
    });
}

const tagParams = (withTag: 'optional' | 'required') =>
  z.object({ registry: nameSchema, '*': repoPath(withTag) }).strict();

/** A repository belongs to the project named by its first path segment; platform admins see every one. */
const repoScope = (p: { '*': { repo: string } }) => ({
  kind: 'project' as const,
  project: projectOfRepository(p['*'].repo),
});

/** Image management: repositories, tags (with the services that run them), delete by digest, GC. */
export function registerImageRoutes(registry: RouteRegistry, images: ImagesService, gc: RegistryGc): void {
  registry.add({
    id: 'images.repositories',
    method: 'GET',
    url: base,
    summary: 'List the repositories of a registry you may read (<project>/<service>; admins see all)',
    tags: ['images'],
    access: 'authenticated',
    params: registryParams,
    query: pageQuerySchema.extend({ q: z.string().max(200).optional() }).strict(),
    handler: ({ params, query, actor }) =>
      images.repositories(params.registry, actor, {
        limit: query.limit,
        after: decodeCursor(query.cursor),
        q: query.q,
      }),
  });

  registry.add({
    id: 'images.tags',
    method: 'GET',
    url: `${base}/*`,
    summary:
      'GET …/<repository>/tags lists tags (digest, size, created, architecture, used by); …/tags/<tag> shows one with the tags sharing its digest',
    tags: ['images'],
    access: { permission: 'services:read', scope: repoScope },
    params: tagParams('optional'),
    query: pageQuerySchema,
    async handler({ params, query, actor }) {
      const { repo, tag } = params['*'];
      if (tag !== undefined) return images.tag(params.registry, repo, tag, actor);
      return images.tags(params.registry, repo, actor, {
        limit: query.limit,
        after: decodeCursor(query.cursor),
      });
    },
  });

  registry.add({
    id: 'images.tags.delete',
    method: 'DELETE',
    url: `${base}/*`,
    summary:
      'DELETE …/<repository>/tags/<tag>: deletes the manifest by digest (every tag sharing it goes too); 409 while a running service uses it, unless force=true',
    tags: ['images'],
    access: { permission: 'services:write', scope: repoScope },
    params: tagParams('required'),
    query: deleteTagQuerySchema,
    target: { kind: 'image', name: (p) => `${p.registry}/${p['*'].repo}:${p['*'].tag ?? ''}` },
    handler: ({ params, query, actor }) =>
      images.deleteTag(params.registry, params['*'].repo, params['*'].tag ?? '', actor, query.force),
  });

  registry.add({
    id: 'images.gc',
    method: 'POST',
    url: `/api/v1/registries/:registry/gc`,
    summary: `Garbage-collect the embedded registry ("${embeddedRegistryName}") as a task: it is stopped, collected and started again`,
    tags: ['images'],
    access: { permission: 'platform:admin', scope: () => ({ kind: 'platform' }) },
    params: registryParams,
    response: { status: 202, description: 'The task; its log reports the freed blobs and bytes' },
    target: { kind: 'registry' },
    async handler({ params, actor }) {
      return { status: 202, body: await gc.start(params.registry, actor.name) };
    },
  });
}
