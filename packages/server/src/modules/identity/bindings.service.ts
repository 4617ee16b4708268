import {
  ConflictError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  roleRank,
  type CreateBindingRequest,
  type Page,
  type Role,
  type RoleBinding,
} from '@berth/shared';
import type { Db } from '../../db/database';
import type { RoleBindingsTable } from '../../db/schema';
import type { Actor, Scope } from '../../http/context';
import { decodeCursor, pageOf } from '../../http/pagination';
import { describeScope } from '../../http/route';
import { newId, nowIso } from '../../util';
import type { Authorizer } from './authorizer';
import { isRole, scopeOfBinding, toBinding } from './identity.mappers';
import { projectNotFound } from './projects.service';
import { isUniqueViolation } from './store-errors';
import { teamNotFound } from './teams.service';

/** Role bindings: who holds which role where. Enforces "a user cannot grant what they do not hold". */
export class BindingsService {
  constructor(
    private readonly db: Db,
    private readonly authorizer: Authorizer,
  ) {}

  /** Bindings the actor may see: their own, and those on teams and projects they can see. */
  async list(
    actor: Actor,
    filter: { user?: string | undefined; scope?: Scope | undefined },
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<RoleBinding>> {
    const after = decodeCursor(cursor);
    const projects = await this.authorizer.visibleProjects(actor);
    const teams = projects === null ? null : await this.authorizer.visibleTeams(actor);
    let q = this.db
      .selectFrom('role_bindings')
      .selectAll()
      .orderBy('id')
      .limit(limit + 1);
    if (projects !== null) {
      q = q.where((eb) =>
        eb.or([
          eb('user_name', '=', actor.name),
          ...(projects.length > 0
            ? [eb.and([eb('scope_kind', '=', 'project'), eb('scope_name', 'in', projects)])]
            : []),
          ...(teams && teams.length > 0
            ? [eb.and([eb('scope_kind', '=', 'team'), eb('scope_name', 'in', teams)])]
            : []),
        ]),
      );
    }
    if (filter.user !== undefined) q = q.where('user_name', '=', filter.user);
    if (filter.scope !== undefined) {
      const { kind, name } = scopeKey(filter.scope);
      q = q.where('scope_kind', '=', kind).where('scope_name', '=', name);
    }
    if (after !== undefined) q = q.where('id', '>', after);
    const page = pageOf(await q.execute(), limit, (r) => r.id);
    return { items: page.items.map(toBinding), nextCursor: page.nextCursor };
  }

  async create(actor: Actor, input: CreateBindingRequest): Promise<RoleBinding> {
    const scope: Scope =
      input.scope.kind === 'platform'
        ? { kind: 'platform' }
        : input.scope.kind === 'team'
          ? { kind: 'team', team: input.scope.name }
          : { kind: 'project', project: input.scope.name };
    if (input.role === 'platform-admin' && scope.kind !== 'platform') {
      throw new InvalidError('The platform-admin role can only be granted at platform scope.', [
        { path: 'role', message: 'platform-admin needs scope {"kind":"platform"}' },
      ]);
    }
    await this.assertMayManage(actor, scope, input.role, 'grant');
    await this.assertScopeExists(scope);
    const user = await this.db
      .selectFrom('users')
      .select('name')
      .where('name', '=', input.user)
      .executeTakeFirst();
    if (!user) throw new NotFoundError('USER_NOT_FOUND', `User '${input.user}' does not exist.`);
    const { kind, name } = scopeKey(scope);
    const row: RoleBindingsTable = {
      id: newId(),
      user_name: input.user,
      role: input.role,
      scope_kind: kind,
      scope_name: name,
      created_at: nowIso(),
      created_by: actor.name,
    };
    try {
      await this.db.insertInto('role_bindings').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConflictError(
          `'${input.user}' already holds ${input.role} on ${describeScope(scope)}.`,
          undefined,
          'ALREADY_EXISTS',
        );
      }
      throw err;
    }
    return toBinding(row);
  }

  async delete(actor: Actor, id: string): Promise<void> {
    const row = await this.db.selectFrom('role_bindings').selectAll().where('id', '=', id).executeTakeFirst();
    const notFound = new NotFoundError(
      'BINDING_NOT_FOUND',
      `Role binding '${id}' does not exist or you have no access to it.`,
    );
    if (!row) throw notFound;
    const scope = scopeOfBinding(row);
    if (row.user_name !== actor.name && !(await this.isVisible(actor, scope))) throw notFound;
    // A role a manual edit left unknown is treated as the lowest, so admins can clean it up.
    await this.assertMayManage(actor, scope, isRole(row.role) ? row.role : 'viewer', 'revoke');
    if (row.role === 'platform-admin' && row.scope_kind === 'platform') {
      const others = await this.db
        .selectFrom('role_bindings')
        .innerJoin('users', 'users.name', 'role_bindings.user_name')
        .select('role_bindings.id')
        .where('role_bindings.role', '=', 'platform-admin')
        .where('role_bindings.scope_kind', '=', 'platform')
        .where('users.disabled', '=', 0)
        .where('role_bindings.id', '!=', id)
        .execute();
      if (others.length === 0) {
        throw new ConflictError(
          'This is the last active platform admin binding; grant platform-admin to another user first.',
        );
      }
    }
    await this.db.deleteFrom('role_bindings').where('id', '=', id).execute();
  }

  /** members:write on the scope, and a role at least as high as `role` on a scope covering it. */
  private async assertMayManage(
    actor: Actor,
    scope: Scope,
    role: Role,
    verb: 'grant' | 'revoke',
  ): Promise<void> {
    if (!(await this.authorizer.authorize(actor, 'members:write', scope))) {
      if (scope.kind !== 'platform' && !(await this.isVisible(actor, scope))) throw hiddenScope(scope);
      throw new ForbiddenError(
        `You need the "members:write" permission on ${describeScope(scope)} to ${verb} roles there.`,
        {
          permission: 'members:write',
          scope,
        },
      );
    }
    const own = await this.authorizer.highestRole(actor, scope);
    if (!own || roleRank(own) < roleRank(role)) {
      throw new ForbiddenError(
        `You cannot ${verb} ${role} on ${describeScope(scope)}: your highest role there is ${own ?? 'none'}, and you can only ${verb} roles up to your own.`,
        { role, held: own, scope },
      );
    }
  }

  private async isVisible(actor: Actor, scope: Scope): Promise<boolean> {
    if (scope.kind === 'platform') return (await this.authorizer.visibleProjects(actor)) === null;
    if (scope.kind === 'project') return this.authorizer.authorize(actor, 'projects:read', scope);
    const teams = await this.authorizer.visibleTeams(actor);
    return teams === null || teams.includes(scope.team);
  }

  private async assertScopeExists(scope: Scope): Promise<void> {
    if (scope.kind === 'team') {
      const row = await this.db
        .selectFrom('teams')
        .select('name')
        .where('name', '=', scope.team)
        .executeTakeFirst();
      if (!row) throw teamNotFound(scope.team);
    } else if (scope.kind === 'project') {
      const row = await this.db
        .selectFrom('projects')
        .select('name')
        .where('name', '=', scope.project)
        .executeTakeFirst();
      if (!row) throw projectNotFound(scope.project);
    }
  }
}

/** A team or project the caller may not see is reported exactly like a missing one. */
function hiddenScope(scope: Exclude<Scope, { kind: 'platform' }>): NotFoundError {
  return scope.kind === 'team' ? teamNotFound(scope.team) : projectNotFound(scope.project);
}

/** How a scope is stored: platform bindings have an empty scope name. */
export function scopeKey(scope: Scope): { kind: Scope['kind']; name: string } {
  if (scope.kind === 'team') return { kind: 'team', name: scope.team };
  if (scope.kind === 'project') return { kind: 'project', name: scope.project };
  return { kind: 'platform', name: '' };
}
