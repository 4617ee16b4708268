import { infiniteQueryOptions } from '@tanstack/react-query';
import { listServices } from '../../api/resources';
import { scopeOfPath } from '../nav/last-scope';

/** The first page is small so the list shows at once; later pages are the API's largest. */
export const firstPageSize = 50;
export const nextPageSize = 500;

export interface ServiceListFilter {
  q?: string;
  status?: string;
}

/**
 * The service list of one project and environment as an infinite query over the API's cursor:
 * page one has 50 rows, each next page 500, fetched as the user scrolls toward the end. Shared
 * by the page and by the boot code (main.tsx), which starts it before the app has rendered.
 * `quiet`: a 401 does not count as an expired session (at boot the session check runs beside it).
 */
export function serviceListQuery(
  project: string,
  env: string,
  filter: ServiceListFilter = {},
  opts: { quiet?: boolean } = {},
) {
  const q = filter.q || undefined;
  const status = filter.status || undefined;
  return infiniteQueryOptions({
    queryKey: ['services', project, env, 'list', q ?? '', status ?? ''],
    queryFn: ({ pageParam, signal }) =>
      listServices(
        project,
        env,
        { q, status, cursor: pageParam ?? undefined, limit: pageParam ? nextPageSize : firstPageSize },
        { signal, noSessionRedirect: opts.quiet },
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    // The page mounting right after the boot prefetch uses its answer rather than asking again.
    staleTime: 3_000,
  });
}

/** The list page's path (`/p/:project/:env`), or null for any other page. */
export function serviceListPath(pathname: string): { project: string; env: string } | null {
  return /^\/p\/[^/]+\/[^/]+\/?$/.test(pathname) ? scopeOfPath(pathname, null) : null;
}
