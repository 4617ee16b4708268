import type { Me } from '@berth/shared';
import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';
import { scopeOfPath, type Scope } from '../nav/last-scope';

/** Platform admins manage gateways (their versions hold every project's hosts). */
export function isPlatformAdmin(me: Me): boolean {
  return me.bindings.some((b) => b.role === 'platform-admin');
}

/** The header menu's section for a path of the gateway pages, or null for other pages. */
export function gatewaySection(pathname: string): 'routes' | 'gateways' | null {
  if (pathname.startsWith('/gateways') || pathname.startsWith('/entry-ports')) return 'gateways';
  // a project's TCP/UDP entry points are reached from its routes page (the header has no room)
  return /^\/p\/[^/]+\/[^/]+\/(routes|entry-points)(\/|$)/.test(pathname) ? 'routes' : null;
}

/** The project/env of the current page, else the last one the user looked at. */

/** "Routes" of the current (or last) project/env, and "Gateways" for platform admins. */
export function gatewayMenuItems(me: Me, last: Scope | null, t: Translate) {
  const scope = scopeOfPath(window.location.pathname, last);
  return [
    ...(scope
      ? [
          {
            key: 'routes',
            label: <Link to={`/p/${scope.project}/${scope.env}/routes`}>{t('nav.routes')}</Link>,
          },
        ]
      : []),
    ...(isPlatformAdmin(me)
      ? [{ key: 'gateways', label: <Link to="/gateways">{t('nav.gateways')}</Link> }]
      : []),
  ];
}
