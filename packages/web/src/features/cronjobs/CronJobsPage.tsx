import { useState } from 'react';
import { App, Button, Empty, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CronJobView } from '@berth/shared';
import { Link, useParams } from 'react-router-dom';
import { isApiError } from '../../api/errors';
import { ErrorState, errorText } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { ScopeSelector } from '../nav/ScopeSelector';
import { CronJobFormModal } from './CronJobFormModal';
import { CronStateTag } from './CronStateTag';
import { cronKeys, deleteCronJob, listCronJobs, runCronJob, setCronJobSuspended } from './cronjobs-api';
import './strings';

/** Run now, suspend/resume, edit and delete: the actions of the list and of the detail page. */
export function useCronActions(project: string, env: string) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const reload = () => queryClient.invalidateQueries({ queryKey: cronKeys.list(project, env) });
  const fail = async (err: unknown) => {
    void message.error(
      isApiError(err) && err.code === 'VERSION_CONFLICT' ? t('cron.conflict') : errorText(t, err),
    );
    await reload();
  };
  const run = useMutation({
    mutationFn: (name: string) => runCronJob(project, env, name),
    onSuccess: async (_r, name) => {
      void message.success(t('cron.runStarted', { name }));
      await reload();
    },
    onError: fail,
  });
  const suspend = useMutation({
    mutationFn: ({ name, suspend }: { name: string; suspend: boolean }) =>
      setCronJobSuspended(project, env, name, suspend),
    onSuccess: reload,
    onError: fail,
  });
  const remove = useMutation({
    mutationFn: (name: string) => deleteCronJob(project, env, name),
    onSuccess: async (_r, name) => {
      void message.success(t('cron.deleted', { name }));
      await reload();
    },
    onError: fail,
  });
  return { run, suspend, remove, reload };
}

/** The cron jobs of one project and environment: next run, last result, and the actions. */
export function CronJobsPage() {
  const { project = '', env = '' } = useParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const jobs = useQuery({
    queryKey: cronKeys.list(project, env),
    queryFn: () => listCronJobs(project, env),
    refetchInterval: 5000,
  });
  // null: closed; '': creating; a name: editing that job
  const [editing, setEditing] = useState<string | null>(null);
  const actions = useCronActions(project, env);
  const current = editing ? (jobs.data?.items.find((j) => j.name === editing) ?? null) : null;

  return (
    <>
      <ScopeSelector project={project} env={env} />
      <div className="page-head">
        <Space align="center">
          <Link to={`/p/${project}/${env}`}>{t('cron.toServices')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('cron.title')}
          </Typography.Title>
        </Space>
        <Button type="primary" data-testid="create-cronjob" onClick={() => setEditing('')}>
          {t('cron.create')}
        </Button>
      </div>
      <Typography.Paragraph type="secondary">{t('cron.intro')}</Typography.Paragraph>
      {jobs.isPending ? <PageSkeleton /> : null}
      {jobs.isError ? <ErrorState error={jobs.error} onRetry={() => void jobs.refetch()} /> : null}
      {jobs.data ? (
        <Table<CronJobView>
          rowKey="name"
          size="middle"
          dataSource={jobs.data.items}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          scroll={{ x: 900 }}
          data-testid="cronjobs-table"
          locale={{
            emptyText: (
              <Empty
                data-testid="cronjobs-empty"
                description={
                  <>
                    <Typography.Paragraph strong>
                      {t('cron.empty.title', { project, env })}
                    </Typography.Paragraph>
                    <Typography.Paragraph type="secondary">{t('cron.empty.hint')}</Typography.Paragraph>
                  </>
                }
              />
            ),
          }}
          columns={[
            {
              key: 'name',
              title: t('cron.col.name'),
              render: (_, j) => (
                <Link to={`/p/${project}/${env}/cronjobs/${j.name}`} data-testid={`cronjob-link-${j.name}`}>
                  {j.name}
                </Link>
              ),
            },
            {
              key: 'schedule',
              title: t('cron.col.schedule'),
              render: (_, j) => (
                <Space size={4}>
                  <Typography.Text code>{j.spec.schedule}</Typography.Text>
                  {j.spec.timeZone !== 'UTC' ? (
                    <Typography.Text type="secondary">{j.spec.timeZone}</Typography.Text>
                  ) : null}
                  {j.suspended ? (
                    <Tag color="warning" data-testid={`cronjob-suspended-${j.name}`}>
                      {t('cron.suspended')}
                    </Tag>
                  ) : null}
                </Space>
              ),
            },
            {
              key: 'next',
              title: t('cron.col.next'),
              render: (_, j) => (j.nextRunAt ? <TimeText at={j.nextRunAt} /> : '—'),
            },
            {
              key: 'last',
              title: t('cron.col.last'),
              render: (_, j) =>
                j.activeRuns > 0 ? (
                  <Tag color="processing" data-testid={`cronjob-last-${j.name}`}>
                    {t('cron.running', { count: j.activeRuns })}
                  </Tag>
                ) : j.lastRun ? (
                  <Space size={4} data-testid={`cronjob-last-${j.name}`}>
                    <CronStateTag state={j.lastRun.state} />
                    <TimeText at={j.lastRun.finishedAt} />
                  </Space>
                ) : (
                  <Typography.Text type="secondary">{t('cron.never')}</Typography.Text>
                ),
            },
            {
              key: 'actions',
              title: '',
              width: 330,
              render: (_, j) => (
                <Space size={4} wrap>
                  <Button
                    size="small"
                    data-testid={`cronjob-run-${j.name}`}
                    loading={actions.run.isPending && actions.run.variables === j.name}
                    onClick={() => actions.run.mutate(j.name)}
                  >
                    {t('cron.runNow')}
                  </Button>
                  <Button
                    size="small"
                    data-testid={`cronjob-${j.suspended ? 'resume' : 'suspend'}-${j.name}`}
                    onClick={() => actions.suspend.mutate({ name: j.name, suspend: !j.suspended })}
                  >
                    {j.suspended ? t('cron.resume') : t('cron.suspend')}
                  </Button>
                  <Button
                    size="small"
                    data-testid={`cronjob-edit-${j.name}`}
                    onClick={() => setEditing(j.name)}
                  >
                    {t('cron.edit')}
                  </Button>
                  <Popconfirm
                    title={t('cron.delete.confirm', { name: j.name })}
                    okButtonProps={{ danger: true, ...{ 'data-testid': `cronjob-delete-ok-${j.name}` } }}
                    onConfirm={() => actions.remove.mutate(j.name)}
                  >
                    <Button size="small" danger data-testid={`cronjob-delete-${j.name}`}>
                      {t('cron.delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      ) : null}
      {editing !== null ? (
        <CronJobFormModal
          project={project}
          env={env}
          job={current}
          onDone={(saved) => {
            setEditing(null);
            void message.success(t('cron.saved', { name: saved.name }));
            void actions.reload();
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
    </>
  );
}
