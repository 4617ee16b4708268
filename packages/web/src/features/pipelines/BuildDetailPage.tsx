import { Alert, App, Button, Card, Descriptions, Popconfirm, Space, Steps, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Build, BuildStep } from '@berth/shared';
import { Link, useParams } from 'react-router-dom';
import { ErrorState, errorText } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { BuildLog } from './BuildLog';
import { TriggerText } from './BuildsTable';
import { BuildStateTag, buildDurationMs, formatDuration, isBuildFinished, shortSha } from './build-view';
import { cancelBuild, getBuild, getPipeline, pipelineKeys } from './pipelines-api';
import './pipelines.css';
import './strings';

const stepStatus: Record<BuildStep['state'], 'wait' | 'process' | 'finish' | 'error'> = {
  pending: 'wait',
  running: 'process',
  succeeded: 'finish',
  failed: 'error',
  skipped: 'wait',
  cancelled: 'error',
};

/** One build, live: state, commit, the step timeline, the image it pushed and its log. */
export function BuildDetailPage() {
  const { project = '', env = '', build: id = '' } = useParams();
  const { t } = useI18n();
  const build = useQuery({
    queryKey: pipelineKeys.build(project, id),
    queryFn: () => getBuild(project, id),
    refetchInterval: (q) => (q.state.data && isBuildFinished(q.state.data.state) ? false : 2000),
  });
  const pipeline = useQuery({
    queryKey: pipelineKeys.one(project, build.data?.pipeline ?? ''),
    queryFn: () => getPipeline(project, build.data!.pipeline),
    enabled: Boolean(build.data),
  });
  const b = build.data;
  return (
    <>
      <div className="page-head">
        <Space align="center">
          {b ? (
            <Link to={`/p/${project}/${env}/pipelines/${b.pipeline}`}>
              {t('builds.backToPipeline', { pipeline: b.pipeline })}
            </Link>
          ) : null}
          <Typography.Title level={4} style={{ margin: 0 }}>
            {b ? t('builds.detail.title', { pipeline: b.pipeline, number: b.number }) : t('builds.title')}
          </Typography.Title>
          {b ? <BuildStateTag state={b.state} /> : null}
        </Space>
        {b && !isBuildFinished(b.state) ? <CancelButton build={b} /> : null}
      </div>
      {build.isPending ? <PageSkeleton /> : null}
      {build.isError ? <ErrorState error={build.error} onRetry={() => void build.refetch()} /> : null}
      {b ? (
        <>
          {b.error ? (
            <Alert
              type="error"
              showIcon
              style={{ marginBottom: 16 }}
              title={b.error}
              data-testid="build-error"
            />
          ) : null}
          <Card size="small" style={{ marginBottom: 16 }}>
            <Descriptions
              size="small"
              column={{ xs: 1, md: 2, xl: 3 }}
              items={[
                { key: 'trigger', label: t('builds.col.trigger'), children: <TriggerText build={b} /> },
                {
                  key: 'commit',
                  label: t('builds.col.commit'),
                  children: b.commit ? (
                    <Typography.Text code copyable={{ text: b.commit.sha }} data-testid="build-commit">
                      {shortSha(b.commit.sha)}
                    </Typography.Text>
                  ) : (
                    '—'
                  ),
                },
                { key: 'author', label: t('builds.col.author'), children: b.commit?.author ?? '—' },
                {
                  key: 'message',
                  label: t('builds.detail.message'),
                  span: 'filled',
                  children: (
                    <Typography.Text style={{ whiteSpace: 'pre-wrap' }} data-testid="build-message">
                      {b.commit?.message ?? '—'}
                    </Typography.Text>
                  ),
                },
                { key: 'created', label: t('builds.col.created'), children: <TimeText at={b.createdAt} /> },
                {
                  key: 'duration',
                  label: t('builds.col.duration'),
                  children: formatDuration(buildDurationMs(b)),
                },
                {
                  key: 'target',
                  label: t('pipelines.col.target'),
                  children: pipeline.data ? (
                    <Link
                      to={`/p/${project}/${pipeline.data.target.env}/s/${pipeline.data.target.service}`}
                      data-testid="build-service-link"
                    >
                      {pipeline.data.target.env} / {pipeline.data.target.service}
                    </Link>
                  ) : (
                    '—'
                  ),
                },
                {
                  key: 'image',
                  label: t('builds.detail.image'),
                  span: 'filled',
                  children: b.image ? (
                    <Typography.Text code copyable data-testid="build-image">
                      {b.image}
                    </Typography.Text>
                  ) : (
                    '—'
                  ),
                },
                {
                  key: 'digest',
                  label: t('builds.detail.digest'),
                  span: 'filled',
                  children: b.imageDigest ? (
                    <Typography.Text code copyable data-testid="build-digest">
                      {b.imageDigest}
                    </Typography.Text>
                  ) : (
                    '—'
                  ),
                },
              ]}
            />
          </Card>
          <Card size="small" title={t('builds.steps')} style={{ marginBottom: 16 }}>
            <StepsTimeline build={b} />
          </Card>
          <Card size="small" title={t('builds.log')}>
            <BuildLog taskId={b.taskId} />
          </Card>
        </>
      ) : null}
    </>
  );
}

/** The six steps with state, duration and "cached" for a reused pre-processing layer. */
function StepsTimeline({ build }: { build: Build }) {
  const { t } = useI18n();
  if (build.steps.length === 0)
    return <Typography.Text type="secondary">{t('builds.steps.none')}</Typography.Text>;
  return (
    <Steps
      className="build-steps"
      size="small"
      data-testid="build-steps"
      items={build.steps.map((s) => ({
        key: s.name,
        status: stepStatus[s.state],
        title: (
          <span data-testid={`step-${s.name}`} data-state={s.state}>
            {t(`builds.step.${s.name}`)}
          </span>
        ),
        content: (
          <Space size={4}>
            <span>
              {s.state === 'skipped' ? t('builds.stepState.skipped') : formatDuration(s.durationMs)}
            </span>
            {s.cached ? (
              <Tag color="cyan" data-testid={`step-${s.name}-cached`}>
                {t('builds.cached')}
              </Tag>
            ) : null}
          </Space>
        ),
      }))}
    />
  );
}

function CancelButton({ build }: { build: Build }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => cancelBuild(build.project, build.id),
    onSuccess: () => {
      void message.info(t('builds.cancelRequested'));
      void queryClient.invalidateQueries({ queryKey: pipelineKeys.build(build.project, build.id) });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  return (
    <Popconfirm
      title={t('builds.cancel.confirm', { number: build.number })}
      okText={t('common.confirm')}
      cancelText={t('common.cancel')}
      okButtonProps={{ danger: true }}
      onConfirm={() => cancel.mutate()}
    >
      <Button danger loading={cancel.isPending} data-testid="cancel-build">
        {t('builds.cancel')}
      </Button>
    </Popconfirm>
  );
}
