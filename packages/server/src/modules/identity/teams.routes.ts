import { createTeamRequestSchema } from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { IdentityServices } from './identity-services';
import { pageQuery, teamParams } from './identity.schemas';
import { teamNotFound } from './teams.service';

const platform = () => ({ kind: 'platform' }) as const;

/** Teams: platform admins create and delete them; members see the teams they belong to. */
export function registerTeamRoutes(registry: RouteRegistry, s: IdentityServices, ctx: AppContext): void {
  registry.add({
    id: 'teams.list',
    method: 'GET',
    url: '/api/v1/teams',
    summary: 'List the teams visible to the caller',
    tags: ['teams'],
    access: 'authenticated',
    query: pageQuery,
    response: { status: 200, description: 'Teams by name' },
    handler: async ({ actor, query }) =>
      s.teams.list(await s.authorizer.visibleTeams(actor), query.limit, query.cursor),
  });

  registry.add({
    id: 'teams.create',
    method: 'POST',
    url: '/api/v1/teams',
    summary: 'Create a team',
    tags: ['teams'],
    access: { permission: 'platform:admin', scope: platform },
    body: createTeamRequestSchema,
    response: { status: 201, description: 'The team' },
    target: { kind: 'team', name: (_params, body) => body.name },
    handler: async ({ body, actor }) => ({ status: 201, body: await s.teams.create(body, actor.name) }),
  });

  registry.add({
    id: 'teams.get',
    method: 'GET',
    url: '/api/v1/teams/:team',
    summary: 'Get a team (404 also when the caller may not see it)',
    tags: ['teams'],
    access: 'authenticated',
    params: teamParams,
    response: { status: 200, description: 'The team' },
    async handler({ actor, params, req }) {
      const visible = await s.authorizer.visibleTeams(actor);
      const err = teamNotFound(params.team);
      if (visible !== null && !visible.includes(params.team)) {
        // The route layer audits only project denials it raises itself; record this one here.
        await ctx.audit.record({
          actor: actor.name,
          action: 'teams.get',
          targetKind: 'team',
          target: params.team,
          project: null,
          request: null,
          result: 'denied',
          statusCode: 404,
          sourceIp: req.ip,
          message: err.message,
        });
        throw err;
      }
      const team = await s.teams.find(params.team);
      if (!team) throw err;
      return team;
    },
  });

  registry.add({
    id: 'teams.delete',
    method: 'DELETE',
    url: '/api/v1/teams/:team',
    summary: 'Delete a team that owns no projects',
    tags: ['teams'],
    access: { permission: 'platform:admin', scope: platform },
    params: teamParams,
    response: { status: 204, description: 'Deleted' },
    target: { kind: 'team' },
    async handler({ params }) {
      await s.teams.delete(params.team);
      return { status: 204 };
    },
  });
}
