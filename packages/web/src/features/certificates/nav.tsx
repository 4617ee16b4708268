import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';
import { scopeOfPath, type Scope } from '../nav/last-scope';

const certificatePages = /^\/p\/[^/]+\/[^/]+\/certificates(\/|$)/;

/** True on a project's Certificates page (the header menu's "Certificates" section). */
export function isCertificatePage(pathname: string): boolean {
  return certificatePages.test(pathname);
}

/** "Certificates" of the project of the current page, else of the last one; none without a scope. */
export function certificateMenuItems(pathname: string, last: Scope | null, t: Translate) {
  const scope = scopeOfPath(pathname, last);
  if (!scope) return [];
  return [
    {
      key: 'certificates',
      label: (
        <Link to={`/p/${scope.project}/${scope.env}/certificates`} data-testid="nav-certificates">
          {t('nav.certificates')}
        </Link>
      ),
    },
  ];
}
