import { Button, Empty, Space, Table, Tag, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import type { Build, Pipeline } from '@berth/shared';
import { Link } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { BuildStateTag, buildDurationMs, CommitText, formatDuration, isBuildFinished } from './build-view';
import { listBuilds, pipelineKeys } from './pipelines-api';
import './strings';

const pageSize = 20;

/** The builds of a pipeline, newest first, paged with "load more"; refreshed while one runs. */
export function BuildsTable({ pipeline, env }: { pipeline: Pipeline; env: string }) {
  const { t } = useI18n();
  const builds = useInfiniteQuery({
    queryKey: pipelineKeys.builds(pipeline.project, pipeline.name),
    queryFn: ({ pageParam }) =>
      listBuilds(pipeline.project, pipeline.name, { limit: pageSize, cursor: pageParam ?? undefined }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    refetchInterval: (q) =>
      q.state.data?.pages[0]?.items.some((b) => !isBuildFinished(b.state)) ? 3000 : 15_000,
  });
  if (builds.isError) return <ErrorState error={builds.error} onRetry={() => void builds.refetch()} />;
  const items = builds.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <Table<Build>
        rowKey="id"
        size="middle"
        loading={builds.isPending}
        dataSource={items}
        pagination={false}
        scroll={{ x: 900 }}
        data-testid="builds-table"
        locale={{ emptyText: <Empty description={t('builds.empty')} /> }}
        columns={[
          {
            key: 'number',
            title: t('builds.col.number'),
            width: 80,
            render: (_, b) => (
              <Link
                to={`/p/${pipeline.project}/${env}/builds/${b.id}`}
                data-testid={`build-link-${b.number}`}
              >
                #{b.number}
              </Link>
            ),
          },
          {
            key: 'state',
            title: t('builds.col.state'),
            width: 120,
            render: (_, b) => <BuildStateTag state={b.state} />,
          },
          { key: 'trigger', title: t('builds.col.trigger'), render: (_, b) => <TriggerText build={b} /> },
          { key: 'commit', title: t('builds.col.commit'), render: (_, b) => <CommitText build={b} /> },
          {
            key: 'author',
            title: t('builds.col.author'),
            render: (_, b) => b.commit?.author ?? <Typography.Text type="secondary">—</Typography.Text>,
          },
          {
            key: 'duration',
            title: t('builds.col.duration'),
            width: 110,
            render: (_, b) => formatDuration(buildDurationMs(b)),
          },
          {
            key: 'created',
            title: t('builds.col.created'),
            width: 150,
            render: (_, b) => <TimeText at={b.createdAt} />,
          },
        ]}
      />
      {builds.hasNextPage ? (
        <Button
          style={{ marginTop: 12 }}
          loading={builds.isFetchingNextPage}
          onClick={() => void builds.fetchNextPage()}
        >
          {t('common.loadMore')}
        </Button>
      ) : null}
    </>
  );
}

/** "manual by alice", "GitLab webhook" and the ref it built. */
export function TriggerText({ build }: { build: Build }) {
  const { t } = useI18n();
  const source = build.trigger.source ? t(`builds.trigger.source.${build.trigger.source}`) : '';
  return (
    <Space size={4} wrap>
      {build.trigger.kind === 'manual' ? (
        <Tag>{t('builds.trigger.manual', { user: build.trigger.by })}</Tag>
      ) : (
        <Tag color="purple">{t('builds.trigger.webhook', { source })}</Tag>
      )}
      <Typography.Text code>{build.ref}</Typography.Text>
    </Space>
  );
}
