import type { Me } from '@berth/shared';
import { Link } from 'react-router-dom';
import type { Translate } from '../../i18n/I18nProvider';
import { canAdmin } from './admin-access';

/** The header menu's "Admin" for platform and team admins (everyone reaches their tokens via the user menu). */
export function adminMenuItems(me: Me, t: Translate) {
  return canAdmin(me) ? [{ key: 'admin', label: <Link to="/admin">{t('nav.admin')}</Link> }] : [];
}

export function isAdminPage(pathname: string): boolean {
  return pathname === '/admin' || pathname.startsWith('/admin/');
}
