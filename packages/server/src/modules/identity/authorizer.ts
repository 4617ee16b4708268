import { roleGrants, roleRank, type Permission, type Role } from '@berth/shared';
import type { Db } from '../../db/database';
import type { Actor, Scope } from '../../http/context';
import { isRole } from './identity.mappers';

interface Grant {
  role: Role;
  scope: Scope;
}

/**
 * Answers "may this actor do that here" from role_bindings. Platform bindings apply everywhere,
 * team bindings to the team and its projects, project bindings to that project. Bindings are read
 * per call, so a revoked grant stops working on the next request.
 */
export class Authorizer {
  constructor(private readonly db: Db) {}

  /** The actor's valid grants; none for the anonymous system actor. */
  async grantsOf(actor: Actor): Promise<Grant[]> {
    if (actor.via === 'system') return [];
    const rows = await this.db
      .selectFrom('role_bindings')
      .select(['role', 'scope_kind', 'scope_name'])
      .where('user_name', '=', actor.name)
      .execute();
    const out: Grant[] = [];
    for (const r of rows) {
      if (!isRole(r.role)) continue;
      if (r.scope_kind === 'platform') out.push({ role: r.role, scope: { kind: 'platform' } });
      else if (r.scope_kind === 'team')
        out.push({ role: r.role, scope: { kind: 'team', team: r.scope_name } });
      else if (r.scope_kind === 'project')
        out.push({ role: r.role, scope: { kind: 'project', project: r.scope_name } });
    }
    return out;
  }

  async authorize(actor: Actor, permission: Permission, scope: Scope): Promise<boolean> {
    const grants = (await this.grantsOf(actor)).filter((g) => roleGrants(g.role, permission));
    return (await this.covering(grants, scope)).length > 0;
  }

  /** The highest role the actor holds at a scope that covers `scope`, or null. */
  async highestRole(actor: Actor, scope: Scope): Promise<Role | null> {
    const covering = await this.covering(await this.grantsOf(actor), scope);
    let best: Role | null = null;
    for (const g of covering) if (!best || roleRank(g.role) > roleRank(best)) best = g.role;
    return best;
  }

  /** Projects the actor may read; null when a platform-wide binding lets them read all. */
  async visibleProjects(actor: Actor): Promise<string[] | null> {
    const grants = (await this.grantsOf(actor)).filter((g) => roleGrants(g.role, 'projects:read'));
    if (grants.some((g) => g.scope.kind === 'platform')) return null;
    const names = new Set<string>();
    const teams: string[] = [];
    for (const g of grants) {
      if (g.scope.kind === 'project') names.add(g.scope.project);
      else if (g.scope.kind === 'team') teams.push(g.scope.team);
    }
    if (teams.length > 0) {
      const rows = await this.db.selectFrom('projects').select('name').where('team', 'in', teams).execute();
      for (const r of rows) names.add(r.name);
    }
    // Deleting a project removes its bindings; this filter keeps a stale row from ever leaking a name.
    if (names.size === 0) return [];
    const existing = await this.db
      .selectFrom('projects')
      .select('name')
      .where('name', 'in', [...names])
      .execute();
    return existing.map((r) => r.name).sort();
  }

  /** Teams the actor may see: bound directly, or owning a project they can read. Null: all. */
  async visibleTeams(actor: Actor): Promise<string[] | null> {
    const grants = (await this.grantsOf(actor)).filter((g) => roleGrants(g.role, 'teams:read'));
    if (grants.some((g) => g.scope.kind === 'platform')) return null;
    const names = new Set<string>();
    for (const g of grants) if (g.scope.kind === 'team') names.add(g.scope.team);
    const projects = await this.visibleProjects(actor);
    if (projects && projects.length > 0) {
      const rows = await this.db
        .selectFrom('projects')
        .select('team')
        .where('name', 'in', projects)
        .execute();
      for (const r of rows) names.add(r.team);
    }
    return [...names].sort();
  }

  private async covering(grants: Grant[], scope: Scope): Promise<Grant[]> {
    let teamOfProject: string | null | undefined;
    const out: Grant[] = [];
    for (const g of grants) {
      if (g.scope.kind === 'platform') out.push(g);
      else if (g.scope.kind === 'team') {
        if (scope.kind === 'team' && scope.team === g.scope.team) out.push(g);
        else if (scope.kind === 'project') {
          if (teamOfProject === undefined) teamOfProject = await this.teamOf(scope.project);
          if (teamOfProject === g.scope.team) out.push(g);
        }
      } else if (scope.kind === 'project' && scope.project === g.scope.project) out.push(g);
    }
    return out;
  }

  private async teamOf(project: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('projects')
      .select('team')
      .where('name', '=', project)
      .executeTakeFirst();
    return row?.team ?? null;
  }
}
