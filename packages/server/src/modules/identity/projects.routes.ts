import { createProjectRequestSchema, ForbiddenError } from '@berth/shared';
import type { Scope } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { IdentityServices } from './identity-services';
import { projectListQuery, projectParams } from './identity.schemas';
import { teamNotFound } from './teams.service';

const projectScope = (p: { project: string }): Scope => ({ kind: 'project', project: p.project });

/** Projects: created by team admins in their team; listed and read only where visible. */
export function registerProjectRoutes(registry: RouteRegistry, s: IdentityServices): void {
  registry.add({
    id: 'projects.list',
    method: 'GET',
    url: '/api/v1/projects',
    summary: 'List the projects visible to the caller',
    tags: ['projects'],
    access: 'authenticated',
    query: projectListQuery,
    response: { status: 200, description: 'Projects by name' },
    handler: async ({ actor, query }) =>
      s.projects.list(
        await s.authorizer.visibleProjects(actor),
        { team: query.team },
        query.limit,
        query.cursor,
      ),
  });

  registry.add({
    id: 'projects.create',
    method: 'POST',
    url: '/api/v1/projects',
    summary: 'Create a project in a team (needs projects:write on the team)',
    tags: ['projects'],
    // The scope is the team named in the body, which the declarative access cannot see: checked below.
    access: 'authenticated',
    body: createProjectRequestSchema,
    response: { status: 201, description: 'The project' },
    target: { kind: 'project', name: (_params, body) => body.name },
    async handler({ actor, body }) {
      const scope: Scope = { kind: 'team', team: body.team };
      if (!(await s.authorizer.authorize(actor, 'projects:write', scope))) {
        const visible = await s.authorizer.visibleTeams(actor);
        if (visible !== null && !visible.includes(body.team)) throw teamNotFound(body.team);
        throw new ForbiddenError(
          `You need the "projects:write" permission on team '${body.team}' to create projects in it.`,
          {
            permission: 'projects:write',
            scope,
          },
        );
      }
      if (!(await s.teams.find(body.team))) throw teamNotFound(body.team);
      return { status: 201, body: await s.projects.create(body, actor.name) };
    },
  });

  registry.add({
    id: 'projects.get',
    method: 'GET',
    url: '/api/v1/projects/:project',
    summary: 'Get a project',
    tags: ['projects'],
    access: { permission: 'projects:read', scope: projectScope },
    params: projectParams,
    response: { status: 200, description: 'The project' },
    handler: ({ params }) => s.projects.get(params.project),
  });

  registry.add({
    id: 'projects.delete',
    method: 'DELETE',
    url: '/api/v1/projects/:project',
    summary: 'Delete a project that has no services',
    tags: ['projects'],
    access: { permission: 'projects:write', scope: projectScope },
    params: projectParams,
    response: { status: 204, description: 'Deleted' },
    target: { kind: 'project' },
    async handler({ params }) {
      await s.projects.delete(params.project);
      return { status: 204 };
    },
  });
}
