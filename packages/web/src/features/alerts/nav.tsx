import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';
import { scopeOfPath, type Scope } from '../nav/last-scope';

const alertPages = /^\/p\/[^/]+\/[^/]+\/alerts(\/|$)/;

/** True on a project's Alerts pages (alerts, channels, silences). */
export function isAlertPage(pathname: string): boolean {
  return alertPages.test(pathname);
}

/** "Alerts" of the project and env of the current page, else of the last one; none without a scope. */
export function alertMenuItems(pathname: string, last: Scope | null, t: Translate) {
  const scope = scopeOfPath(pathname, last);
  if (!scope) return [];
  return [
    {
      key: 'alerts',
      label: (
        <Link to={`/p/${scope.project}/${scope.env}/alerts`} data-testid="nav-alerts">
          {t('nav.alerts')}
        </Link>
      ),
    },
  ];
}
