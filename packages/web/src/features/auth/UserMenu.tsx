import { Button, Dropdown } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import type { Me } from '@berth/shared';
import { setCsrfToken } from '../../api/client';
import { logout } from '../../api/resources';
import { useI18n } from '../../i18n/I18nProvider';
import { rememberSession } from './session';

/** The signed-in user's name; the menu switches the language, opens the API tokens and logs out. */
export function UserMenu({ me }: { me: Me }) {
  const { t, lang, setLang } = useI18n();
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  const signOut = async () => {
    try {
      await logout();
    } finally {
      setCsrfToken(null);
      rememberSession(false);
      queryClient.clear();
      void navigate('/login', { replace: true });
    }
  };

  return (
    <Dropdown
      trigger={['click']}
      menu={{
        selectedKeys: [lang],
        items: [
          {
            type: 'group',
            label: t('lang.label'),
            children: [
              { key: 'en', label: 'English' },
              { key: 'zh-CN', label: '中文' },
            ],
          },
          { type: 'divider' },
          { key: 'tokens', label: t('user.tokens') },
          { key: 'logout', label: t('user.logout') },
        ],
        onClick: ({ key }) => {
          if (key === 'en' || key === 'zh-CN') setLang(key);
          if (key === 'tokens') void navigate('/admin/tokens');
          if (key === 'logout') void signOut();
        },
      }}
    >
      <Button type="text" aria-label={t('user.menu')} className="user-menu">
        {me.user.displayName || me.user.name}
      </Button>
    </Dropdown>
  );
}
