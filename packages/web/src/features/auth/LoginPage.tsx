import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { setCsrfToken } from '../../api/client';
import { isApiError } from '../../api/errors';
import { login } from '../../api/resources';
import { tokenLogin } from './auth-api';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { LanguageSwitch } from './LanguageSwitch';
import { meKey, rememberSession } from './session';

interface LoginForm {
  username: string;
  password: string;
}

interface TokenForm {
  token: string;
}

/**
 * Password login, or "use an API token" (exchanged for a session). `?expired=1` says why the user
 * is here; `?next=` is where they were.
 */
export function LoginPage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [mode, setMode] = useState<'password' | 'token'>('password');

  const submit = async (values: LoginForm | TokenForm) => {
    setBusy(true);
    setError(null);
    try {
      const me =
        'token' in values
          ? await tokenLogin(values.token.trim())
          : await login(values.username, values.password);
      setCsrfToken(me.csrfToken);
      queryClient.setQueryData(meKey, me);
      rememberSession(true);
      const next = params.get('next');
      // Only same-site paths: `next` comes from the URL and must not send the user elsewhere.
      void navigate(next?.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (err) {
      if (isApiError(err) && err.status === 401)
        setError(t('token' in values ? 'login.token.failed' : 'login.failed'));
      else if (isApiError(err) && err.status === 429) setError(t('login.rateLimited'));
      else setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-page" style={{ minHeight: '100vh' }}>
      <Card className="login-card">
        <div className="login-head">
          <Typography.Title level={3} style={{ margin: 0 }}>
            {t('login.title')}
          </Typography.Title>
          <LanguageSwitch />
        </div>
        <Typography.Paragraph type="secondary">{t('login.subtitle')}</Typography.Paragraph>
        {params.get('expired') && !error ? (
          <Alert type="warning" showIcon title={t('login.expired')} style={{ marginBottom: 16 }} />
        ) : null}
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} /> : null}
        {mode === 'password' ? (
          <Form<LoginForm> layout="vertical" onFinish={(v) => void submit(v)} requiredMark={false}>
            <Form.Item
              name="username"
              label={t('login.username')}
              rules={[{ required: true, message: t('login.required', { field: t('login.username') }) }]}
            >
              <Input autoComplete="username" autoFocus id="login-username" />
            </Form.Item>
            <Form.Item
              name="password"
              label={t('login.password')}
              rules={[{ required: true, message: t('login.required', { field: t('login.password') }) }]}
            >
              <Input.Password autoComplete="current-password" id="login-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>
              {t('login.submit')}
            </Button>
          </Form>
        ) : (
          <Form<TokenForm> layout="vertical" onFinish={(v) => void submit(v)} requiredMark={false}>
            <Form.Item
              name="token"
              label={t('login.token')}
              extra={t('login.token.help')}
              rules={[{ required: true, message: t('login.required', { field: t('login.token') }) }]}
            >
              <Input.Password autoComplete="off" autoFocus id="login-token" placeholder="berth_…" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy} data-testid="token-submit">
              {t('login.submit')}
            </Button>
          </Form>
        )}
        <Button
          type="link"
          block
          style={{ marginTop: 8 }}
          onClick={() => {
            setError(null);
            setMode(mode === 'password' ? 'token' : 'password');
          }}
          data-testid="login-mode"
        >
          {mode === 'password' ? t('login.useToken') : t('login.usePassword')}
        </Button>
      </Card>
    </div>
  );
}
