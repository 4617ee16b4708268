import { useState } from 'react';
import { Alert, App as AntApp, Button, Modal, Progress, Select, Space, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AppInstanceDetail } from '@berth/shared';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { appKeys, getApp, upgradeInstance } from './apps-api';
import { newerVersions } from './app-view';
import './strings';

/**
 * The instance page's upgrade (docs/apps.md, "Upgrade"): an Upgrade action when the catalog has a
 * newer version of the app, and the progress of a running or failed upgrade (members done of all,
 * the member rolling now, the member that failed).
 */
export function AppUpgrade({
  project,
  env,
  instance,
}: {
  project: string;
  env: string;
  instance: AppInstanceDetail;
}) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const app = useQuery({ queryKey: appKeys.app(instance.app), queryFn: () => getApp(instance.app) });
  const newer = app.data ? newerVersions(app.data, instance.version) : [];
  const [version, setVersion] = useState<string | null>(null);
  const chosen = version ?? newer[newer.length - 1] ?? null;
  const upgrade = useMutation({
    mutationFn: (v: string) => upgradeInstance(project, env, instance.name, v),
    onSuccess: (r) => {
      queryClient.setQueryData(appKeys.instance(project, env, instance.name), r);
      void queryClient.invalidateQueries({ queryKey: appKeys.list(project, env) });
      void message.success(t('apps.upgrade.started', { name: instance.name, version: r.upgrade?.to ?? '' }));
      setOpen(false);
    },
  });
  const u = instance.upgrade;
  const rolling = u?.steps.find((s) => s.doneAt === null);
  return (
    <>
      {u && u.state !== 'done' ? (
        <Alert
          style={{ marginTop: 16 }}
          type={u.state === 'failed' ? 'error' : 'info'}
          data-testid="app-upgrade-progress"
          data-state={u.state}
          title={
            u.state === 'failed'
              ? t('apps.upgrade.failed', { from: u.from, to: u.to })
              : t('apps.upgrade.running', { from: u.from, to: u.to })
          }
          description={
            <Space direction="vertical" style={{ width: '100%' }}>
              <Progress percent={Math.round((u.done / Math.max(1, u.members)) * 100)} size="small" />
              <span>{t('apps.upgrade.done', { done: u.done, members: u.members })}</span>
              {rolling && u.state === 'running' ? (
                <span translate="no">
                  {t('apps.upgrade.rolling', { member: rolling.service, role: rolling.role ?? '-' })}
                </span>
              ) : null}
              {u.error ? <Typography.Text type="danger">{u.error}</Typography.Text> : null}
            </Space>
          }
        />
      ) : null}
      {newer.length > 0 && u?.state !== 'running' ? (
        <Button onClick={() => setOpen(true)} data-testid="app-upgrade" style={{ marginTop: 16 }}>
          {t('apps.upgrade')}
        </Button>
      ) : null}
      {open ? (
        <Modal
          open
          title={t('apps.upgrade.title', { name: instance.name })}
          okText={t('apps.upgrade.ok')}
          okButtonProps={{ disabled: !chosen, loading: upgrade.isPending, 'data-testid': 'app-upgrade-ok' }}
          onOk={() => chosen && upgrade.mutate(chosen)}
          onCancel={() => setOpen(false)}
        >
          <Space direction="vertical" style={{ width: '100%' }}>
            <span>{t('apps.upgrade.explain', { version: instance.version })}</span>
            <Select
              value={chosen}
              onChange={setVersion}
              options={newer.map((v) => ({ value: v, label: v }))}
              data-testid="app-upgrade-version"
              style={{ minWidth: 160 }}
            />
            {upgrade.isError ? <Alert type="error" showIcon title={errorText(t, upgrade.error)} /> : null}
          </Space>
        </Modal>
      ) : null}
    </>
  );
}
