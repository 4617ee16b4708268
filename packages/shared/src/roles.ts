import { z } from 'zod';

/** Roles, from the most to the least powerful. A user can grant only roles at or below their own. */
export const roles = ['platform-admin', 'team-admin', 'developer', 'viewer'] as const;
export type Role = (typeof roles)[number];
export const roleSchema = z.enum(roles);

export const scopeKinds = ['platform', 'team', 'project'] as const;
export type ScopeKind = (typeof scopeKinds)[number];

/** Every permission a route can declare. */
export const permissions = [
  'platform:admin',
  'teams:read',
  'teams:write',
  'members:write',
  'projects:read',
  'projects:write',
  'services:read',
  'services:write',
  'services:exec',
  'services:exec-root',
  'services:capabilities',
  'audit:read',
  'tasks:read',
  'clusters:read',
  'clusters:write',
] as const;
export type Permission = (typeof permissions)[number];

const viewer: Permission[] = ['teams:read', 'projects:read', 'services:read', 'tasks:read', 'clusters:read'];
const developer: Permission[] = [...viewer, 'services:write', 'services:exec'];
const teamAdmin: Permission[] = [
  ...developer,
  'projects:write',
  'members:write',
  'audit:read',
  'services:exec-root',
  'services:capabilities',
];

export const rolePermissions: Record<Role, readonly Permission[]> = {
  viewer,
  developer,
  'team-admin': teamAdmin,
  'platform-admin': [...permissions],
};

export function roleRank(role: Role): number {
  return roles.length - roles.indexOf(role);
}

export function roleGrants(role: Role, permission: Permission): boolean {
  return rolePermissions[role].includes(permission);
}
