import type { Me, Role } from '@berth/shared';

/**
 * Roles that hold `services:exec-root` (shared/src/roles.ts). Kept here as data: importing the
 * roles module would bring zod into the portal's bundle. The server checks again on connect.
 */
const rootShellRoles: ReadonlySet<Role> = new Set(['platform-admin', 'team-admin']);

/** Whether the user may open a root shell in a project of `team`: offer the option only then. */
export function canExecRoot(me: Me | null | undefined, project: string, team: string | undefined): boolean {
  if (!me) return false;
  return me.bindings.some((b) => {
    if (!rootShellRoles.has(b.role)) return false;
    if (b.scope.kind === 'platform') return true;
    if (b.scope.kind === 'team') return team !== undefined && b.scope.name === team;
    return b.scope.name === project;
  });
}
