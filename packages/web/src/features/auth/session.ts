import { useQuery, type UseQueryResult } from '@tanstack/react-query';
import type { Me } from '@berth/shared';
import { setCsrfToken } from '../../api/client';
import { getMe } from '../../api/resources';

export const meKey = ['me'] as const;

/** The signed-in user; a 401 (no or expired session) is data `null`, not an error. */
export function useMe(): UseQueryResult<Me | null> {
  return useQuery({
    queryKey: meKey,
    queryFn: async () => {
      try {
        const me = await getMe();
        setCsrfToken(me.csrfToken);
        return me;
      } catch (err) {
        if (err instanceof Error && 'status' in err && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

/** Platform and team admins may read the audit log (the API filters what each one sees). */
export function canAudit(me: Me): boolean {
  return me.bindings.some((b) => b.role === 'platform-admin' || b.role === 'team-admin');
}
