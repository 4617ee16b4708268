import { meQuery, sessionLikely } from '../features/auth/session';
import { loadServiceListPage } from '../features/services/list-page-loader';
import { serviceListPath, serviceListQuery } from '../features/services/service-list-query';
import { queryClient } from './query-client';

/**
 * Starts what the first page will ask for before anything renders: the session check, and on
 * the service list its first page and its code. Without this the requests run one after the
 * other (scripts → /me → the page's chunk → the list), each waiting for the one before.
 * Imported first by main.tsx, so it runs before React and antd initialise.
 *
 * The list is asked for beside the session check when the last check in this browser found a
 * session, else once this check finds one: a signed-out visitor's bookmark must not cost a 401
 * (a console error, and an audited denial) for a list the page would never have asked for.
 */
export function startBoot(pathname: string): Promise<unknown> {
  if (pathname === '/login' || pathname.startsWith('/login/')) {
    // a head start only: the route fetches it again (and says so) if this fetch failed
    import('../features/auth/LoginPage').catch(() => undefined);
    return Promise.resolve();
  }
  const me = queryClient.fetchQuery(meQuery).catch(() => null);
  const list = serviceListPath(pathname);
  if (!list) return Promise.resolve();
  const code = loadServiceListPage();
  const prefetch = () =>
    queryClient.prefetchInfiniteQuery(serviceListQuery(list.project, list.env, {}, { quiet: true }));
  if (sessionLikely()) void prefetch();
  else void me.then((user) => (user ? prefetch() : undefined));
  return code;
}

/**
 * Settles once the first page's code is loaded: main.tsx renders after it (a few ms after the
 * entry ran, if at all), so the page renders at once instead of suspending.
 */
export const bootCode: Promise<unknown> = startBoot(window.location.pathname).catch(() => undefined);
