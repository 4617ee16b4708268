import { App, Button, Card, Col, Descriptions, Popconfirm, Row, Space, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Pipeline } from '@berth/shared';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ErrorState, errorText } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { TemplateName } from './build-view';
import { BuildsTable } from './BuildsTable';
import { DockerfilePanel } from './DockerfilePanel';
import { deletePipeline, getPipeline, pipelineKeys } from './pipelines-api';
import { useBuildNow } from './useBuildNow';
import { WebhookPanel } from './WebhookPanel';
import './pipelines.css';
import './strings';

/** One pipeline: what it builds and where it deploys, its builds, Dockerfile and webhook. */
export function PipelineDetailPage() {
  const { project = '', env = '', pipeline = '' } = useParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const p = useQuery({
    queryKey: pipelineKeys.one(project, pipeline),
    queryFn: () => getPipeline(project, pipeline),
  });
  const buildNow = useBuildNow(project, env);
  const remove = useMutation({
    mutationFn: (version: number) => deletePipeline(project, pipeline, version),
    onSuccess: async () => {
      void message.success(t('pipelines.deleted', { pipeline }));
      await queryClient.invalidateQueries({ queryKey: pipelineKeys.all(project) });
      void navigate(`/p/${project}/${env}/pipelines`);
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  const base = `/p/${project}/${env}/pipelines`;
  return (
    <>
      <div className="page-head">
        <Space align="center">
          <Link to={base}>{t('pipelines.back')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('pipelines.detail.title', { pipeline })}
          </Typography.Title>
        </Space>
        {p.data ? (
          <Space>
            <Button
              type="primary"
              data-testid="build-now"
              loading={buildNow.isPending}
              onClick={() => buildNow.mutate(pipeline)}
            >
              {t('pipelines.buildNow')}
            </Button>
            <Button onClick={() => void navigate(`${base}/${pipeline}/edit`)} data-testid="edit-pipeline">
              {t('pipelines.edit')}
            </Button>
            <Popconfirm
              title={t('pipelines.delete.confirm', { pipeline })}
              okText={t('common.confirm')}
              cancelText={t('common.cancel')}
              okButtonProps={{ danger: true }}
              onConfirm={() => p.data && remove.mutate(p.data.version)}
            >
              <Button danger loading={remove.isPending}>
                {t('pipelines.delete')}
              </Button>
            </Popconfirm>
          </Space>
        ) : null}
      </div>
      {p.isPending ? <PageSkeleton /> : null}
      {p.isError ? <ErrorState error={p.error} onRetry={() => void p.refetch()} /> : null}
      {p.data ? (
        <Row gutter={16}>
          <Col xs={24} xl={15}>
            <Card size="small" style={{ marginBottom: 16 }}>
              <PipelineSummary pipeline={p.data} />
            </Card>
            <Card size="small" title={t('builds.title')} style={{ marginBottom: 16 }}>
              <BuildsTable pipeline={p.data} env={env} />
            </Card>
          </Col>
          <Col xs={24} xl={9}>
            <DockerfilePanel pipeline={p.data} />
            <WebhookPanel pipeline={p.data} />
          </Col>
        </Row>
      ) : null}
    </>
  );
}

function PipelineSummary({ pipeline: p }: { pipeline: Pipeline }) {
  const { t } = useI18n();
  const creds = p.repo.credentials;
  return (
    <Descriptions
      size="small"
      column={{ xs: 1, md: 2 }}
      items={[
        {
          key: 'target',
          label: t('pipelines.col.target'),
          children: (
            <Link
              to={`/p/${p.project}/${p.target.env}/s/${p.target.service}`}
              data-testid="pipeline-service-link"
            >
              {p.target.env} / {p.target.service}
            </Link>
          ),
        },
        {
          key: 'template',
          label: t('pipelines.col.template'),
          children: (
            <Tag>
              <TemplateName template={p.template} />
            </Tag>
          ),
        },
        {
          key: 'repo',
          label: t('pipelines.col.repo'),
          children: <Typography.Text copyable>{p.repo.url}</Typography.Text>,
        },
        {
          key: 'ref',
          label: t('pipelines.form.ref'),
          children: <Typography.Text code>{p.repo.ref}</Typography.Text>,
        },
        {
          key: 'credentials',
          label: t('pipelines.form.credentials'),
          children: creds.isSet
            ? t('pipelines.form.credentials.set', { kind: t(`pipelines.cred.${creds.kind}`) })
            : t('pipelines.cred.none'),
        },
        {
          key: 'updated',
          label: t('pipelines.detail.updated'),
          children: (
            <span>
              <TimeText at={p.updatedAt} />{' '}
              <Typography.Text type="secondary">{t('common.by', { user: p.updatedBy })}</Typography.Text>
            </span>
          ),
        },
      ]}
    />
  );
}
