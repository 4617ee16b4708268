import { useState } from 'react';
import { Alert, Button, Card, Descriptions, Modal, Space, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { CronRunView } from '@berth/shared';
import { Link, useParams } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { ScopeSelector } from '../nav/ScopeSelector';
import { CronJobFormModal } from './CronJobFormModal';
import { useCronActions } from './CronJobsPage';
import { CronStateTag } from './CronStateTag';
import { cronKeys, cronRunLogs, getCronJob, listCronEvents, listCronRuns } from './cronjobs-api';
import './strings';

/** One cron job: its spec, run history (attempts, exit, duration, logs) and events, and the actions. */
export function CronJobDetailPage() {
  const { project = '', env = '', cronjob = '' } = useParams();
  const { t } = useI18n();
  const key = cronKeys.job(project, env, cronjob);
  const job = useQuery({
    queryKey: key,
    queryFn: () => getCronJob(project, env, cronjob),
    refetchInterval: 3000,
  });
  const runs = useQuery({
    queryKey: [...key, 'runs'],
    queryFn: () => listCronRuns(project, env, cronjob),
    refetchInterval: 2000,
  });
  const events = useQuery({
    queryKey: [...key, 'events'],
    queryFn: () => listCronEvents(project, env, cronjob),
    refetchInterval: 3000,
  });
  const actions = useCronActions(project, env);
  const [editing, setEditing] = useState(false);
  const [logsOf, setLogsOf] = useState<{ run: string; attempt: number } | null>(null);

  if (job.isPending) return <PageSkeleton />;
  if (job.isError) return <ErrorState error={job.error} onRetry={() => void job.refetch()} />;
  const j = job.data;
  const reloadAll = () => {
    void job.refetch();
    void runs.refetch();
  };
  return (
    <>
      <ScopeSelector project={project} env={env} />
      <div className="page-head">
        <Space align="center">
          <Link to={`/p/${project}/${env}/cronjobs`} data-testid="cronjob-back">
            {t('cron.detail.back')}
          </Link>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="cronjob-title">
            {j.name}
          </Typography.Title>
          {j.suspended ? <Tag color="warning">{t('cron.suspended')}</Tag> : null}
        </Space>
        <Space>
          <Button
            type="primary"
            data-testid="cronjob-detail-run"
            onClick={() => actions.run.mutate(j.name, { onSuccess: reloadAll })}
          >
            {t('cron.runNow')}
          </Button>
          <Button
            data-testid="cronjob-detail-suspend"
            onClick={() =>
              actions.suspend.mutate({ name: j.name, suspend: !j.suspended }, { onSuccess: reloadAll })
            }
          >
            {j.suspended ? t('cron.resume') : t('cron.suspend')}
          </Button>
          <Button data-testid="cronjob-detail-edit" onClick={() => setEditing(true)}>
            {t('cron.edit')}
          </Button>
        </Space>
      </div>
      <Card size="small" title={t('cron.detail.spec')} style={{ marginBottom: 16 }}>
        <Descriptions size="small" column={2}>
          <Descriptions.Item label={t('cron.col.schedule')}>
            <Typography.Text code>{j.spec.schedule}</Typography.Text> {j.spec.timeZone}
          </Descriptions.Item>
          <Descriptions.Item label={t('cron.col.next')}>
            {j.nextRunAt ? <TimeText at={j.nextRunAt} /> : '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('cron.form.image')}>
            <Typography.Text code>{j.spec.image}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('cron.form.command')}>
            <Typography.Text code>
              {[...(j.spec.command ?? []), ...(j.spec.args ?? [])].join(' ') || '—'}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('cron.form.concurrency')}>
            {t(`cron.form.concurrency.${j.spec.concurrencyPolicy}`)}
          </Descriptions.Item>
          <Descriptions.Item label={t('cron.form.retries')}>
            {j.spec.retries} · {t('cron.form.backoff')}: {j.spec.backoffSeconds}
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <Card size="small" title={t('cron.detail.runs')} style={{ marginBottom: 16 }}>
        {runs.isError ? <ErrorState error={runs.error} onRetry={() => void runs.refetch()} /> : null}
        <Table<CronRunView>
          rowKey="id"
          size="small"
          loading={runs.isPending}
          dataSource={runs.data?.items ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          data-testid="cron-runs-table"
          locale={{ emptyText: t('cron.run.noRuns') }}
          expandable={{
            rowExpandable: (r) => r.attempts.length > 0,
            expandedRowRender: (r) => (
              <Space orientation="vertical" size={2}>
                {r.attempts.map((a) => (
                  <Space key={a.number} size={8} data-testid={`cron-attempt-${r.id}-${a.number}`}>
                    <Typography.Text>{t('cron.attempt', { number: a.number })}</Typography.Text>
                    <Typography.Text code>{a.exitReason ?? a.state}</Typography.Text>
                    <TimeText at={a.startedAt} />
                    {a.durationSeconds !== null ? (
                      <Typography.Text>{a.durationSeconds} s</Typography.Text>
                    ) : null}
                    <Button
                      size="small"
                      type="link"
                      onClick={() => setLogsOf({ run: r.id, attempt: a.number })}
                    >
                      {t('cron.run.logs')}
                    </Button>
                  </Space>
                ))}
              </Space>
            ),
          }}
          columns={[
            {
              key: 'id',
              title: t('cron.run.col.run'),
              render: (_, r) => <Typography.Text code>{r.id.slice(-8)}</Typography.Text>,
            },
            {
              key: 'trigger',
              title: t('cron.run.col.trigger'),
              render: (_, r) => t(`cron.trigger.${r.trigger}`),
            },
            {
              key: 'scheduled',
              title: t('cron.run.col.scheduled'),
              render: (_, r) => (r.scheduledAt ? <TimeText at={r.scheduledAt} /> : '—'),
            },
            {
              key: 'state',
              title: t('cron.run.col.state'),
              render: (_, r) => (
                <span data-testid={`cron-run-state-${r.id}`}>
                  <CronStateTag state={r.state} />
                </span>
              ),
            },
            { key: 'attempts', title: t('cron.run.col.attempts'), render: (_, r) => r.attempts.length },
            {
              key: 'exit',
              title: t('cron.run.col.exit'),
              render: (_, r) => r.attempts.at(-1)?.exitReason ?? r.message ?? '—',
            },
            {
              key: 'started',
              title: t('cron.run.col.started'),
              render: (_, r) => <TimeText at={r.startedAt} />,
            },
            {
              key: 'duration',
              title: t('cron.run.col.duration'),
              render: (_, r) => (r.durationSeconds === null ? '—' : `${r.durationSeconds} s`),
            },
            {
              key: 'logs',
              title: '',
              render: (_, r) =>
                r.attempts.length ? (
                  <Button
                    size="small"
                    data-testid={`cron-run-logs-${r.id}`}
                    onClick={() => setLogsOf({ run: r.id, attempt: r.attempts.length })}
                  >
                    {t('cron.run.logs')}
                  </Button>
                ) : null,
            },
          ]}
        />
      </Card>
      <Card size="small" title={t('cron.detail.events')}>
        <Table
          rowKey="id"
          size="small"
          dataSource={events.data?.items ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          data-testid="cron-events-table"
          columns={[
            { key: 'at', title: '', width: 180, render: (_, e) => <TimeText at={e.at} /> },
            {
              key: 'type',
              title: '',
              width: 140,
              render: (_, e) => <Tag color={e.severity === 'warning' ? 'orange' : undefined}>{e.type}</Tag>,
            },
            { key: 'message', title: '', render: (_, e) => e.message },
          ]}
        />
      </Card>
      {logsOf ? (
        <RunLogsModal project={project} env={env} name={j.name} {...logsOf} onClose={() => setLogsOf(null)} />
      ) : null}
      {editing ? (
        <CronJobFormModal
          project={project}
          env={env}
          job={j}
          onDone={() => {
            setEditing(false);
            reloadAll();
          }}
          onCancel={() => setEditing(false)}
        />
      ) : null}
    </>
  );
}

function RunLogsModal(props: {
  project: string;
  env: string;
  name: string;
  run: string;
  attempt: number;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const logs = useQuery({
    queryKey: ['cron-logs', props.project, props.env, props.name, props.run, props.attempt],
    queryFn: () => cronRunLogs(props.project, props.env, props.name, props.run, props.attempt),
    refetchInterval: (q) => (q.state.data?.live ? 2000 : false),
  });
  return (
    <Modal
      open
      width={900}
      title={t('cron.logs.title', { run: props.run.slice(-8), attempt: props.attempt })}
      footer={null}
      onCancel={props.onClose}
    >
      {logs.isError ? <ErrorState error={logs.error} onRetry={() => void logs.refetch()} /> : null}
      {logs.data?.live ? (
        <Alert type="info" showIcon title={t('cron.logs.live')} style={{ marginBottom: 8 }} />
      ) : null}
      {logs.data ? (
        <pre className="log-view" data-testid="cron-logs" style={{ maxHeight: 480, overflow: 'auto' }}>
          {logs.data.lines.length ? logs.data.lines.map((l) => l.text).join('\n') : t('cron.logs.empty')}
        </pre>
      ) : null}
    </Modal>
  );
}
