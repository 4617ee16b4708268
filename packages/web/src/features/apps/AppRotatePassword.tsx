/*
 * The instance page's password rotation (docs/apps.md, "Rotation") and its config files
 * ("Config files"): a button offered when the template version rotates, a confirmation saying
 * what happens, and the new password shown once with Copy; the configs as links to their pages.
 */
import { useState } from 'react';
import { Alert, App as AntApp, Button, Input, Modal, Space, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import type { AppInstanceDetail } from '@berth/shared';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { appKeys, getApp, rotatePassword } from './apps-api';
import './strings';

/** "Rotate password" for templates that offer it; the new password in a modal, once. */
export function AppRotatePassword({ instance }: { instance: AppInstanceDetail }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const qc = useQueryClient();
  const { project, env, name } = instance;
  const [confirming, setConfirming] = useState(false);
  const [fresh, setFresh] = useState<string | null>(null);
  const app = useQuery({ queryKey: appKeys.app(instance.app), queryFn: () => getApp(instance.app) });
  const rotation = useMutation({
    mutationFn: () => rotatePassword(project, env, name),
    onSuccess: (r) => {
      setConfirming(false);
      setFresh(r.password);
      void qc.invalidateQueries({ queryKey: appKeys.instance(project, env, name) });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  const offered = app.data?.versions.find((v) => v.version === instance.version)?.passwordRotation;
  if (!offered) return null;
  const copy = () =>
    void (navigator.clipboard?.writeText(fresh ?? '') ?? Promise.reject(new Error('no clipboard')))
      .then(() => message.success(t('apps.copied')))
      .catch(() => message.error(t('apps.copyFailed')));
  return (
    <>
      <Button
        onClick={() => setConfirming(true)}
        disabled={instance.state === 'deleting' || instance.state === 'upgrading'}
        data-testid="app-rotate"
      >
        {t('apps.rotate')}
      </Button>
      <Modal
        open={confirming}
        title={t('apps.rotate.title', { name })}
        okText={t('apps.rotate.ok')}
        onOk={() => rotation.mutate()}
        confirmLoading={rotation.isPending}
        onCancel={() => setConfirming(false)}
        data-testid="app-rotate-confirm"
      >
        <Typography.Paragraph>{t('apps.rotate.explain')}</Typography.Paragraph>
      </Modal>
      <Modal
        open={fresh !== null}
        title={t('apps.rotate.done', { name })}
        onCancel={() => setFresh(null)}
        data-testid="app-rotate-password"
        footer={
          <Button type="primary" onClick={() => setFresh(null)}>
            {t('apps.password.done')}
          </Button>
        }
      >
        <Alert type="warning" showIcon title={t('apps.password.once')} style={{ marginBottom: 12 }} />
        <Space.Compact style={{ width: '100%' }}>
          <Input
            readOnly
            value={fresh ?? ''}
            aria-label={t('apps.password.label')}
            translate="no"
            data-testid="app-rotate-password-value"
          />
          <Button onClick={copy}>{t('apps.copy')}</Button>
        </Space.Compact>
      </Modal>
    </>
  );
}

/** The instance's config files, each a link to its config page (edit, versions, diff). */
export function AppConfigLinks({ instance }: { instance: AppInstanceDetail }) {
  const { t } = useI18n();
  if (instance.configs.length === 0) return <>{t('apps.instance.noVolumes')}</>;
  return (
    <Space wrap data-testid="app-configs">
      {instance.configs.map((c) => (
        <Link
          key={c}
          to={`/p/${instance.project}/${instance.env}/configs/${c}`}
          data-testid={`app-config-${c}`}
        >
          {c}
        </Link>
      ))}
    </Space>
  );
}
