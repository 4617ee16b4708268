/**
 * Loads the list page's chunk once, for the boot code and the route. A module of its own: the
 * page imports service-list-query.ts, so the loader there would make an import cycle.
 */
import { retryImport } from '../../app/chunk-load';
import type * as ListPage from './ServiceListPage';

type ListPageModule = typeof ListPage;
let listPage: ListPageModule | undefined;
let listPageLoad: Promise<ListPageModule> | undefined;

/** The list page's chunk, fetched once (by the boot code, else by the route). */
export function loadServiceListPage(): Promise<ListPageModule> {
  listPageLoad ??= retryImport(() => import('./ServiceListPage')).then(
    (m) => (listPage = m),
    (err: unknown) => {
      listPageLoad = undefined; // the route tries again
      throw err;
    },
  );
  return listPageLoad;
}

/**
 * The list page's module when its chunk is already loaded. The route renders it directly then:
 * a React.lazy page suspends once even when its chunk is there, and React holds the content back
 * for 300 ms after a Suspense fallback shows.
 */
export function loadedServiceListPage(): ListPageModule | undefined {
  return listPage;
}
