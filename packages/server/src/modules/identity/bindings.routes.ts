import { createBindingRequestSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { IdentityServices } from './identity-services';
import { bindingListQuery, idParams } from './identity.schemas';

/** Role bindings. Access depends on the binding's scope, so the service checks it. */
export function registerBindingRoutes(registry: RouteRegistry, s: IdentityServices): void {
  registry.add({
    id: 'bindings.list',
    method: 'GET',
    url: '/api/v1/bindings',
    summary:
      'List role bindings visible to the caller; filter by ?user= and ?scope=platform|team:<name>|project:<name>',
    tags: ['bindings'],
    access: 'authenticated',
    query: bindingListQuery,
    response: { status: 200, description: 'Bindings, oldest first' },
    handler: ({ actor, query }) =>
      s.bindings.list(actor, { user: query.user, scope: query.scope }, query.limit, query.cursor),
  });

  registry.add({
    id: 'bindings.create',
    method: 'POST',
    url: '/api/v1/bindings',
    summary: 'Grant a role at a scope (needs members:write there and a role at least as high)',
    tags: ['bindings'],
    access: 'authenticated',
    body: createBindingRequestSchema,
    response: { status: 201, description: 'The binding' },
    target: {
      kind: 'binding',
      name: (_params, body) =>
        `${body.user}:${body.role}@${body.scope.kind === 'platform' ? 'platform' : `${body.scope.kind}:${body.scope.name}`}`,
    },
    handler: async ({ actor, body }) => ({ status: 201, body: await s.bindings.create(actor, body) }),
  });

  registry.add({
    id: 'bindings.delete',
    method: 'DELETE',
    url: '/api/v1/bindings/:id',
    summary: 'Revoke a role binding (same rules as granting it)',
    tags: ['bindings'],
    access: 'authenticated',
    params: idParams,
    response: { status: 204, description: 'Revoked' },
    target: { kind: 'binding' },
    async handler({ actor, params }) {
      await s.bindings.delete(actor, params.id);
      return { status: 204 };
    },
  });
}
