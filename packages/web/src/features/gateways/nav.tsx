import type { Me } from '@berth/shared';
import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';
import type { Scope } from '../nav/last-scope';

/** Platform admins manage gateways (their versions hold every project's hosts). */
export function isPlatformAdmin(me: Me): boolean {
  return me.bindings.some((b) => b.role === 'platform-admin');
}

/** The header menu's section for a path of the gateway pages, or null for other pages. */
export function gatewaySection(pathname: string): 'routes' | 'gateways' | null {
  if (pathname.startsWith('/gateways')) return 'gateways';
  return /^\/p\/[^/]+\/[^/]+\/routes(\/|$)/.test(pathname) ? 'routes' : null;
}

/** "Routes" of the last project/env, and "Gateways" for platform admins. */
export function gatewayMenuItems(me: Me, scope: Scope | null, t: Translate) {
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
