import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';
import { scopeOfPath, type Scope } from '../nav/last-scope';

/** The header's entry for the page: the catalog, an environment's app instances, or neither. */
export function appSection(pathname: string): 'apps' | 'app-instances' | null {
  if (/^\/apps(\/|$)/.test(pathname)) return 'apps';
  if (/^\/p\/[^/]+\/[^/]+\/apps(\/|$)/.test(pathname)) return 'app-instances';
  return null;
}

/**
 * "App store" (the catalog, for everyone) and "App instances" of the project and env of the
 * current page, else of the last one (none without a scope).
 */
export function appMenuItems(pathname: string, last: Scope | null, t: Translate) {
  const scope = scopeOfPath(pathname, last);
  const store = {
    key: 'apps',
    label: (
      <Link to="/apps" data-testid="nav-apps">
        {t('nav.apps')}
      </Link>
    ),
  };
  if (!scope) return [store];
  return [
    store,
    {
      key: 'app-instances',
      label: (
        <Link to={`/p/${scope.project}/${scope.env}/apps`} data-testid="nav-app-instances">
          {t('nav.appInstances')}
        </Link>
      ),
    },
  ];
}
