import { queryOptions, useQuery, type UseQueryResult } from '@tanstack/react-query';
import type { Me } from '@berth/shared';
import { setCsrfToken } from '../../api/client';
import { getMe } from '../../api/resources';

export const meKey = ['me'] as const;

const sessionHintKey = 'berth.session';

/**
 * Whether the last session check in this browser found a session: the boot code then asks for
 * the page's data beside the check instead of after it (a guess; the check still decides).
 */
export function sessionLikely(): boolean {
  try {
    return localStorage.getItem(sessionHintKey) === '1';
  } catch {
    return false;
  }
}

export function rememberSession(found: boolean): void {
  try {
    if (found) localStorage.setItem(sessionHintKey, '1');
    else localStorage.removeItem(sessionHintKey);
  } catch {
    // no storage (private mode): the boot code waits for the check
  }
}

/** The signed-in user; a 401 (no or expired session) is data `null`, not an error. */
export const meQuery = queryOptions({
  queryKey: meKey,
  queryFn: async (): Promise<Me | null> => {
    try {
      const me = await getMe();
      setCsrfToken(me.csrfToken);
      rememberSession(true);
      return me;
    } catch (err) {
      if (err instanceof Error && 'status' in err && err.status === 401) {
        rememberSession(false);
        return null;
      }
      throw err;
    }
  },
  staleTime: 60_000,
  retry: false,
});

export function useMe(): UseQueryResult<Me | null> {
  return useQuery(meQuery);
}

/** Platform and team admins may read the audit log (the API filters what each one sees). */
export function canAudit(me: Me): boolean {
  return me.bindings.some((b) => b.role === 'platform-admin' || b.role === 'team-admin');
}
