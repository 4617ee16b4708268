import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';
import { scopeOfPath, type Scope } from '../nav/last-scope';

const alertRulePages = /^\/p\/[^/]+\/[^/]+\/alert-rules(\/|$)/;

/** True on an environment's alert rules page. */
export function isAlertRulePage(pathname: string): boolean {
  return alertRulePages.test(pathname);
}

/** "Alert rules" of the project and env of the current page, else of the last one; none without a scope. */
export function alertRuleMenuItems(pathname: string, last: Scope | null, t: Translate) {
  const scope = scopeOfPath(pathname, last);
  if (!scope) return [];
  return [
    {
      key: 'alert-rules',
      label: (
        <Link to={`/p/${scope.project}/${scope.env}/alert-rules`} data-testid="nav-alert-rules">
          {t('nav.alertRules')}
        </Link>
      ),
    },
  ];
}
