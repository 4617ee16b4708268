import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { setCsrfToken } from '../../api/client';
import { isApiError } from '../../api/errors';
import { login } from '../../api/resources';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { LanguageSwitch } from './LanguageSwitch';
import { meKey } from './session';

interface LoginForm {
  username: string;
  password: string;
}

/** Password login. `?expired=1` says why the user is here; `?next=` is where they were. */
export function LoginPage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (values: LoginForm) => {
    setBusy(true);
    setError(null);
    try {
      const me = await login(values.username, values.password);
      setCsrfToken(me.csrfToken);
      queryClient.setQueryData(meKey, me);
      const next = params.get('next');
      // Only same-site paths: `next` comes from the URL and must not send the user elsewhere.
      void navigate(next?.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (err) {
      if (isApiError(err) && err.status === 401) setError(t('login.failed'));
      else if (isApiError(err) && err.status === 429) setError(t('login.rateLimited'));
      else setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-page">
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
      </Card>
    </div>
  );
}
