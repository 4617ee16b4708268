import type { Me } from '@berth/shared';

/** Platform admins manage users and everything else. */
export function isPlatformAdmin(me: Me): boolean {
  return me.bindings.some((b) => b.role === 'platform-admin' && b.scope.kind === 'platform');
}

/** Teams the user administers (team-admin on the team); platform admins administer all. */
export function adminTeams(me: Me): string[] {
  return me.bindings.flatMap((b) =>
    b.role === 'team-admin' && b.scope.kind === 'team' ? [b.scope.name] : [],
  );
}

/** The Admin pages are for platform admins and team admins. */
export function canAdmin(me: Me): boolean {
  return isPlatformAdmin(me) || adminTeams(me).length > 0;
}

export const adminTabs = ['users', 'teams', 'projects', 'bindings', 'domains', 'networks', 'tokens'] as const;
export type AdminTab = (typeof adminTabs)[number];

/** The tabs a user sees: users only for platform admins; their own API tokens for everyone. */
export function visibleAdminTabs(me: Me): AdminTab[] {
  if (isPlatformAdmin(me)) return [...adminTabs];
  if (canAdmin(me)) return ['teams', 'projects', 'bindings', 'tokens'];
  return ['tokens'];
}
