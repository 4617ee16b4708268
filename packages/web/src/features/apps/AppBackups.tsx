/*
 * The instance page's Backups card (docs/apps.md "Backups"): back up now, the list with state and
 * size, download (for callers who may read the password: a backup holds the data), restore with a
 * confirmation saying the current data is replaced, and the schedule (an ordinary cron job).
 */
import { useState } from 'react';
import {
  Alert,
  App as AntApp,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import type { AppBackup, AppBackupList, AppInstanceDetail } from '@berth/shared';
import { api } from '../../api/client';
import { errorText } from '../../components/ErrorState';
import { formatBytes } from '../../components/chart-math';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import './strings';

const url = (i: AppInstanceDetail) =>
  `/api/v1/projects/${encodeURIComponent(i.project)}/envs/${encodeURIComponent(i.env)}/app-instances/${encodeURIComponent(i.name)}`;
const keys = (i: AppInstanceDetail) => ['app-backups', i.project, i.env, i.name] as const;
const stateColor = { running: 'processing', succeeded: 'success', failed: 'error' } as const;

export function AppBackups({ instance }: { instance: AppInstanceDetail }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const qc = useQueryClient();
  const [restoring, setRestoring] = useState<AppBackup | null>(null);
  const [form] = Form.useForm<{ schedule: string; keep: number }>();
  const list = useQuery({
    queryKey: keys(instance),
    queryFn: () => api<AppBackupList>(`${url(instance)}/backups`),
    // a running backup or restore ends on its own: look again until it has
    refetchInterval: (q) =>
      q.state.data?.items.some((b) => b.state === 'running') || q.state.data?.restore?.state === 'running'
        ? 2000
        : false,
    retry: false,
  });
  const refresh = () => void qc.invalidateQueries({ queryKey: keys(instance) });
  const fail = (err: unknown) => void message.error(errorText(t, err));
  const backup = useMutation({
    mutationFn: () => api<AppBackup>(`${url(instance)}/backups`, { method: 'POST', body: {} }),
    onSuccess: refresh,
    onError: fail,
  });
  const restore = useMutation({
    mutationFn: (b: AppBackup) =>
      api(`${url(instance)}/backups/${encodeURIComponent(b.id)}/restore`, { method: 'POST', body: {} }),
    onSuccess: () => {
      setRestoring(null);
      refresh();
    },
    onError: fail,
  });
  const remove = useMutation({
    mutationFn: (b: AppBackup) =>
      api(`${url(instance)}/backups/${encodeURIComponent(b.id)}`, { method: 'DELETE' }),
    onSuccess: refresh,
    onError: fail,
  });
  const schedule = useMutation({
    mutationFn: (v: { schedule: string; keep: number } | null) =>
      v
        ? api(`${url(instance)}/backup-schedule`, {
            method: 'PUT',
            body: { schedule: v.schedule, keep: v.keep },
          })
        : api(`${url(instance)}/backup-schedule`, { method: 'DELETE' }),
    onSuccess: () => {
      void message.success(t('apps.backups.scheduleSaved'));
      refresh();
    },
    onError: fail,
  });
  if (list.isError) return null; // an app without backups (422), or no permission: no card
  const data = list.data;
  const running = instance.state === 'running';
  const restoreNow = data?.restore;
  return (
    <Card
      title={t('apps.backups.title')}
      style={{ marginTop: 16 }}
      data-testid="app-backups"
      extra={
        <Button
          type="primary"
          onClick={() => backup.mutate()}
          loading={backup.isPending}
          disabled={!running}
          data-testid="app-backup-now"
        >
          {t('apps.backups.now')}
        </Button>
      }
    >
      <Typography.Paragraph type="secondary">
        {t('apps.backups.help', { volume: `${instance.name}-backups` })}
      </Typography.Paragraph>
      {restoreNow ? (
        <Alert
          style={{ marginBottom: 12 }}
          type={restoreNow.state === 'failed' ? 'error' : restoreNow.state === 'running' ? 'info' : 'success'}
          showIcon
          data-testid="app-restore-state"
          data-state={restoreNow.state}
          title={t(`apps.backups.restore.${restoreNow.state}`, { id: restoreNow.backupId })}
          description={restoreNow.state === 'failed' ? restoreNow.message : undefined}
        />
      ) : null}
      <Table<AppBackup>
        rowKey="id"
        size="small"
        pagination={false}
        loading={list.isLoading}
        dataSource={data?.items ?? []}
        data-testid="app-backup-list"
        locale={{ emptyText: t('apps.backups.empty') }}
        columns={[
          {
            title: t('apps.backups.file'),
            render: (_v, b) => (
              <span translate="no" data-testid={`app-backup-${b.id}`}>
                {b.file ?? b.id}
              </span>
            ),
          },
          {
            title: t('apps.backups.state'),
            render: (_v, b) => (
              <Tag
                color={stateColor[b.state]}
                data-testid={`app-backup-state-${b.id}`}
                title={b.message ?? undefined}
              >
                {t(`apps.backups.state.${b.state}`)}
              </Tag>
            ),
          },
          {
            title: t('apps.backups.trigger'),
            render: (_v, b) => t(`apps.backups.trigger.${b.trigger}`),
          },
          {
            title: t('apps.backups.size'),
            render: (_v, b) => (b.sizeBytes === null ? '—' : formatBytes(b.sizeBytes)),
          },
          {
            title: t('apps.backups.started'),
            render: (_v, b) => (b.startedAt ? <TimeText at={b.startedAt} /> : '—'),
          },
          {
            title: '',
            render: (_v, b) =>
              b.state === 'succeeded' ? (
                <Space>
                  {instance.connection.passwordReadable ? (
                    <Button
                      size="small"
                      href={`${url(instance)}/backups/${encodeURIComponent(b.id)}/download`}
                    >
                      {t('apps.backups.download')}
                    </Button>
                  ) : null}
                  <Button
                    size="small"
                    danger
                    disabled={!running || restoreNow?.state === 'running'}
                    onClick={() => setRestoring(b)}
                    data-testid={`app-backup-restore-${b.id}`}
                  >
                    {t('apps.backups.restore')}
                  </Button>
                  <Button size="small" onClick={() => remove.mutate(b)}>
                    {t('apps.backups.delete')}
                  </Button>
                </Space>
              ) : null,
          },
        ]}
      />
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('apps.backups.schedule')}
      </Typography.Title>
      {data?.schedule ? (
        <Typography.Paragraph data-testid="app-backup-schedule">
          {t('apps.backups.scheduleNow', {
            schedule: data.schedule.schedule,
            keep: data.schedule.keep,
          })}{' '}
          <Link to={`/p/${instance.project}/${instance.env}/cronjobs/${data.schedule.cronJob}`}>
            {data.schedule.cronJob}
          </Link>
        </Typography.Paragraph>
      ) : null}
      <Form
        form={form}
        layout="inline"
        initialValues={{ schedule: data?.schedule?.schedule ?? '0 3 * * *', keep: data?.schedule?.keep ?? 7 }}
        onFinish={(v) => schedule.mutate(v)}
      >
        <Form.Item name="schedule" label={t('apps.backups.cron')} rules={[{ required: true }]}>
          <Input style={{ width: 140 }} translate="no" data-testid="app-backup-cron" />
        </Form.Item>
        <Form.Item name="keep" label={t('apps.backups.keep')}>
          <InputNumber min={1} max={100} />
        </Form.Item>
        <Button htmlType="submit" loading={schedule.isPending} data-testid="app-backup-schedule-save">
          {t('apps.backups.scheduleSave')}
        </Button>
        {data?.schedule ? (
          <Button style={{ marginLeft: 8 }} onClick={() => schedule.mutate(null)}>
            {t('apps.backups.scheduleOff')}
          </Button>
        ) : null}
      </Form>
      <Modal
        open={restoring !== null}
        title={t('apps.backups.restore.title', { name: instance.name })}
        okText={t('apps.backups.restore.ok')}
        okButtonProps={{ danger: true }}
        onOk={() => restoring && restore.mutate(restoring)}
        confirmLoading={restore.isPending}
        onCancel={() => setRestoring(null)}
        data-testid="app-restore-confirm"
      >
        <Typography.Paragraph>
          {t('apps.backups.restore.explain', { name: instance.name, file: restoring?.file ?? '' })}
        </Typography.Paragraph>
      </Modal>
    </Card>
  );
}
