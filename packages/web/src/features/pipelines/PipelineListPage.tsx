import { Button, Empty, Space, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { Pipeline } from '@berth/shared';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { useI18n } from '../../i18n/I18nProvider';
import { TemplateName } from './build-view';
import { LastBuild } from './LastBuild';
import { listPipelines, pipelineKeys } from './pipelines-api';
import { useBuildNow } from './useBuildNow';
import './pipelines.css';
import './strings';

/** The pipelines of one project (every environment they deploy to), each with its last build. */
export function PipelineListPage() {
  const { project = '', env = '' } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const pipelines = useQuery({
    queryKey: pipelineKeys.all(project),
    queryFn: () => listPipelines(project),
    refetchInterval: 30_000,
  });
  const buildNow = useBuildNow(project, env);
  const base = `/p/${project}/${env}/pipelines`;
  return (
    <>
      <div className="page-head">
        <Space align="center">
          <Link to={`/p/${project}/${env}`}>{t('pipelines.toServices')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('pipelines.title', { project })}
          </Typography.Title>
        </Space>
        <Button type="primary" data-testid="create-pipeline" onClick={() => void navigate(`${base}/new`)}>
          {t('pipelines.create')}
        </Button>
      </div>
      {pipelines.isPending ? <PageSkeleton /> : null}
      {pipelines.isError ? (
        <ErrorState error={pipelines.error} onRetry={() => void pipelines.refetch()} />
      ) : null}
      {pipelines.data ? (
        <Table<Pipeline>
          rowKey="name"
          size="middle"
          dataSource={pipelines.data.items}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          scroll={{ x: 1200 }}
          data-testid="pipelines-table"
          locale={{
            emptyText: (
              <Empty
                data-testid="pipelines-empty"
                description={
                  <>
                    <Typography.Paragraph strong>
                      {t('pipelines.empty.title', { project })}
                    </Typography.Paragraph>
                    <Typography.Paragraph type="secondary">{t('pipelines.empty.hint')}</Typography.Paragraph>
                  </>
                }
              >
                <Button type="primary" onClick={() => void navigate(`${base}/new`)}>
                  {t('pipelines.create')}
                </Button>
              </Empty>
            ),
          }}
          columns={[
            {
              key: 'name',
              title: t('pipelines.col.name'),
              sorter: (a, b) => a.name.localeCompare(b.name),
              render: (_, p) => (
                <Link to={`${base}/${p.name}`} data-testid={`pipeline-link-${p.name}`}>
                  {p.name}
                </Link>
              ),
            },
            {
              key: 'target',
              title: t('pipelines.col.target'),
              render: (_, p) => (
                <Link to={`/p/${project}/${p.target.env}/s/${p.target.service}`}>
                  {p.target.env} / {p.target.service}
                </Link>
              ),
            },
            {
              key: 'repo',
              title: t('pipelines.col.repo'),
              render: (_, p) => (
                <Space orientation="vertical" size={0}>
                  <Typography.Text ellipsis style={{ maxWidth: 280 }} title={p.repo.url}>
                    {p.repo.url}
                  </Typography.Text>
                  <Typography.Text code>{p.repo.ref}</Typography.Text>
                </Space>
              ),
            },
            {
              key: 'template',
              title: t('pipelines.col.template'),
              width: 120,
              render: (_, p) => (
                <Tag>
                  <TemplateName template={p.template} />
                </Tag>
              ),
            },
            {
              key: 'lastBuild',
              title: t('pipelines.col.lastBuild'),
              render: (_, p) => <LastBuild pipeline={p} env={env} />,
            },
            {
              key: 'actions',
              title: '',
              width: 190,
              render: (_, p) => (
                <Space>
                  <Button
                    size="small"
                    type="primary"
                    data-testid={`build-now-${p.name}`}
                    loading={buildNow.isPending && buildNow.variables === p.name}
                    onClick={() => buildNow.mutate(p.name)}
                  >
                    {t('pipelines.buildNow')}
                  </Button>
                  <Button size="small" onClick={() => void navigate(`${base}/${p.name}/edit`)}>
                    {t('pipelines.edit')}
                  </Button>
                </Space>
              ),
            },
          ]}
        />
      ) : null}
    </>
  );
}
