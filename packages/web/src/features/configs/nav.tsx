import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';
import { scopeOfPath, type Scope } from '../nav/last-scope';

const configPages = /^\/p\/[^/]+\/[^/]+\/configs(\/|$)/;

/** True on a project's Configs pages (the header menu's "Configs" section). */
export function isConfigPage(pathname: string): boolean {
  return configPages.test(pathname);
}

/** "Configs" of the project (and env) of the current page, else of the last one; none without a scope. */
export function configMenuItems(pathname: string, last: Scope | null, t: Translate) {
  const scope = scopeOfPath(pathname, last);
  if (!scope) return [];
  return [
    {
      key: 'configs',
      label: (
        <Link to={`/p/${scope.project}/${scope.env}/configs`} data-testid="nav-configs">
          {t('nav.configs')}
        </Link>
      ),
    },
  ];
}
