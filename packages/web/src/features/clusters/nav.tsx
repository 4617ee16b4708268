import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';

/** The header menu's "Clusters": every signed-in user reads them; only platform admins change them. */
export function clusterMenuItems(t: Translate) {
  return [{ key: 'clusters', label: <Link to="/clusters">{t('nav.clusters')}</Link> }];
}

export function isClusterPage(pathname: string): boolean {
  return pathname === '/clusters' || pathname.startsWith('/clusters/');
}
