import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';
import { scopeOfPath, type Scope } from '../nav/last-scope';

const cronPages = /^\/p\/[^/]+\/[^/]+\/cronjobs(\/|$)/;

/** True on an environment's cron job pages (the header menu's "Cron jobs" section). */
export function isCronJobPage(pathname: string): boolean {
  return cronPages.test(pathname);
}

/** "Cron jobs" of the project and env of the current page, else of the last one; none without a scope. */
export function cronJobMenuItems(pathname: string, last: Scope | null, t: Translate) {
  const scope = scopeOfPath(pathname, last);
  if (!scope) return [];
  return [
    {
      key: 'cronjobs',
      label: (
        <Link to={`/p/${scope.project}/${scope.env}/cronjobs`} data-testid="nav-cronjobs">
          {t('nav.cronjobs')}
        </Link>
      ),
    },
  ];
}
