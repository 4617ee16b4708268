import { createTokenRequestSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { IdentityServices } from './identity-services';
import { idParams } from './identity.schemas';

/** The caller's own profile and API tokens. */
export function registerMeRoutes(registry: RouteRegistry, s: IdentityServices): void {
  registry.add({
    id: 'me.get',
    method: 'GET',
    url: '/api/v1/me',
    summary: 'The caller, their role bindings and (for cookie sessions) the CSRF token',
    tags: ['auth'],
    access: 'authenticated',
    response: { status: 200, description: 'Me' },
    handler: ({ actor }) => s.auth.me(actor),
  });

  registry.add({
    id: 'me.tokens.list',
    method: 'GET',
    url: '/api/v1/me/tokens',
    summary: "The caller's API tokens (never their values)",
    tags: ['auth'],
    access: 'authenticated',
    response: { status: 200, description: 'Tokens' },
    handler: async ({ actor }) => ({ items: await s.tokens.list(actor.name), nextCursor: null }),
  });

  registry.add({
    id: 'me.tokens.create',
    method: 'POST',
    url: '/api/v1/me/tokens',
    summary: 'Create an API token; its value is in this response only',
    tags: ['auth'],
    access: 'authenticated',
    body: createTokenRequestSchema,
    response: { status: 201, description: 'The token, with its value in `token`' },
    target: { kind: 'token', name: (_params, body) => body.name },
    handler: async ({ actor, body }) => ({
      status: 201,
      body: await s.tokens.create(actor.name, body.name, body.expiresInDays),
    }),
  });

  registry.add({
    id: 'me.tokens.delete',
    method: 'DELETE',
    url: '/api/v1/me/tokens/:id',
    summary: 'Revoke one of your API tokens',
    tags: ['auth'],
    access: 'authenticated',
    params: idParams,
    response: { status: 204, description: 'Revoked' },
    target: { kind: 'token' },
    async handler({ actor, params }) {
      await s.tokens.revoke(actor.name, params.id);
      return { status: 204 };
    },
  });
}
