import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';
import { scopeOfPath, type Scope } from '../nav/last-scope';

const volumePages = /^\/p\/[^/]+\/[^/]+\/volumes(\/|$)/;

/** True on an environment's Volumes page (the header menu's "Volumes" section). */
export function isVolumePage(pathname: string): boolean {
  return volumePages.test(pathname);
}

/** "Volumes" of the project and env of the current page, else of the last one; none without a scope. */
export function volumeMenuItems(pathname: string, last: Scope | null, t: Translate) {
  const scope = scopeOfPath(pathname, last);
  if (!scope) return [];
  return [
    {
      key: 'volumes',
      label: (
        <Link to={`/p/${scope.project}/${scope.env}/volumes`} data-testid="nav-volumes">
          {t('nav.volumes')}
        </Link>
      ),
    },
  ];
}
