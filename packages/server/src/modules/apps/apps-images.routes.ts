import { appImagesBuildSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { AppImages } from './apps-images';

const platformAdmin = { permission: 'platform:admin' as const, scope: () => ({ kind: 'platform' as const }) };

/** The catalog's images (docs/apps.md "Images"): where each is, and the build task. Platform admins only. */
export function registerAppImageRoutes(registry: RouteRegistry, images: AppImages): void {
  registry.add({
    id: 'apps.images.list',
    method: 'GET',
    url: '/api/v1/apps/images',
    summary:
      "The catalog's images: in the embedded registry (digest), in the local store only, missing, or building (platform admins)",
    tags: ['apps'],
    access: platformAdmin,
    handler: () => images.status(),
  });

  registry.add({
    id: 'apps.images.build',
    method: 'POST',
    url: '/api/v1/apps/images/build',
    summary:
      'Build the catalog images {apps?} from Debian packages (scripts/app-images.sh) and push them to the embedded registry, as a task (422 at apps.N, 409 while a build runs)',
    tags: ['apps'],
    access: platformAdmin,
    body: appImagesBuildSchema,
    response: { status: 202, description: 'The build task (GET /api/v1/tasks/{id}, its log)' },
    target: { kind: 'app-images', name: (_p, b) => (b.apps ?? ['all']).join(',') },
    handler: async ({ body, actor }) => ({ status: 202, body: await images.start(body.apps, actor.name) }),
  });
}
