import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';
import { scopeOfPath, type Scope } from '../nav/last-scope';

const probePages = /^\/p\/[^/]+\/[^/]+\/probes(\/|$)/;

/** True on an environment's site monitoring page. */
export function isProbePage(pathname: string): boolean {
  return probePages.test(pathname);
}

/** "Site monitoring" of the project and env of the current page, else of the last one. */
export function probeMenuItems(pathname: string, last: Scope | null, t: Translate) {
  const scope = scopeOfPath(pathname, last);
  if (!scope) return [];
  return [
    {
      key: 'probes',
      label: (
        <Link to={`/p/${scope.project}/${scope.env}/probes`} data-testid="nav-probes">
          {t('nav.probes')}
        </Link>
      ),
    },
  ];
}
