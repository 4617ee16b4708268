import {
  roles,
  type ApiToken,
  type Project,
  type Role,
  type RoleBinding,
  type Team,
  type User,
} from '@berth/shared';
import type {
  ApiTokensTable,
  ProjectsTable,
  RoleBindingsTable,
  TeamsTable,
  UsersTable,
} from '../../db/schema';
import type { Scope } from '../../http/context';

/** Maps stored rows to API objects: the one place column names meet field names. */
export function toUser(row: UsersTable): User {
  return {
    name: row.name,
    displayName: row.display_name,
    email: row.email,
    disabled: row.disabled !== 0,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
    version: row.version,
  };
}

export function toTeam(row: TeamsTable): Team {
  return {
    name: row.name,
    displayName: row.display_name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
    version: row.version,
  };
}

export function toProject(row: ProjectsTable): Project {
  return {
    name: row.name,
    team: row.team,
    displayName: row.display_name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
    version: row.version,
  };
}

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** The scope a binding row applies to. */
export function scopeOfBinding(row: Pick<RoleBindingsTable, 'scope_kind' | 'scope_name'>): Scope {
  if (row.scope_kind === 'team') return { kind: 'team', team: row.scope_name };
  if (row.scope_kind === 'project') return { kind: 'project', project: row.scope_name };
  return { kind: 'platform' };
}

export function toBinding(row: RoleBindingsTable): RoleBinding {
  const scope: RoleBinding['scope'] =
    row.scope_kind === 'team' || row.scope_kind === 'project'
      ? { kind: row.scope_kind, name: row.scope_name }
      : { kind: 'platform' };
  return {
    id: row.id,
    user: row.user_name,
    // Roles are validated on insert; the authorizer ignores any unknown role a manual edit left.
    role: row.role as Role,
    scope,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

export function toToken(row: ApiTokensTable): ApiToken {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  };
}
