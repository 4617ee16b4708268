import {
  createUserRequestSchema,
  ForbiddenError,
  InvalidError,
  updateUserRequestSchema,
} from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { IdentityServices } from './identity-services';
import { pageQuery, userParams, versionFromIfMatch } from './identity.schemas';

const platform = () => ({ kind: 'platform' }) as const;

/** Users: platform admins manage them; anyone may read their own record. */
export function registerUserRoutes(registry: RouteRegistry, s: IdentityServices): void {
  registry.add({
    id: 'users.list',
    method: 'GET',
    url: '/api/v1/users',
    summary: 'List users',
    tags: ['users'],
    access: { permission: 'platform:admin', scope: platform },
    query: pageQuery,
    response: { status: 200, description: 'Users by name' },
    handler: ({ query }) => s.users.list(query.limit, query.cursor),
  });

  registry.add({
    id: 'users.create',
    method: 'POST',
    url: '/api/v1/users',
    summary: 'Create a user',
    tags: ['users'],
    access: { permission: 'platform:admin', scope: platform },
    body: createUserRequestSchema,
    response: { status: 201, description: 'The user' },
    target: { kind: 'user', name: (_params, body) => body.name },
    handler: async ({ body, actor }) => ({ status: 201, body: await s.users.create(body, actor.name) }),
  });

  registry.add({
    id: 'users.get',
    method: 'GET',
    url: '/api/v1/users/:user',
    summary: 'Get a user (platform admins, or the user themselves)',
    tags: ['users'],
    access: 'authenticated',
    params: userParams,
    response: { status: 200, description: 'The user' },
    async handler({ params, actor }) {
      if (
        params.user !== actor.name &&
        !(await s.authorizer.authorize(actor, 'platform:admin', platform()))
      ) {
        throw new ForbiddenError('You need the "platform:admin" permission to read other users.', {
          permission: 'platform:admin',
          scope: platform(),
        });
      }
      return s.users.get(params.user);
    },
  });

  registry.add({
    id: 'users.update',
    method: 'PATCH',
    url: '/api/v1/users/:user',
    summary: 'Change a user (JSON merge patch); send If-Match: <version> to avoid lost updates',
    tags: ['users'],
    access: { permission: 'platform:admin', scope: platform },
    params: userParams,
    body: updateUserRequestSchema,
    response: { status: 200, description: 'The changed user' },
    target: { kind: 'user' },
    async handler({ params, body, req }) {
      const expected = versionFromIfMatch(req.headers['if-match']);
      if (expected === 'invalid') {
        throw new InvalidError(
          'The If-Match header must be the version number you last read, e.g. If-Match: 3.',
        );
      }
      return s.users.update(params.user, body, expected);
    },
  });

  registry.add({
    id: 'users.delete',
    method: 'DELETE',
    url: '/api/v1/users/:user',
    summary: 'Delete a user with their sessions, tokens and role bindings',
    tags: ['users'],
    access: { permission: 'platform:admin', scope: platform },
    params: userParams,
    response: { status: 204, description: 'Deleted' },
    target: { kind: 'user' },
    async handler({ params }) {
      await s.users.delete(params.user);
      return { status: 204 };
    },
  });
}
