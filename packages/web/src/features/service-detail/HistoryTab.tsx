import { useState } from 'react';
import { Button, Input, Space, Table } from 'antd';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import type { Container } from '@berth/shared';
import { refKey, type ServiceRef } from '../../api/paths';
import { listHistory } from '../../api/resources';
import { ErrorState } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { listEnvsWithClusters } from '../clusters/clusters-api';
import { ClusterFilter } from './ClusterFilter';
import { ContainerStateTag } from './ContainerStateTag';

/** The container ledger, newest first, filterable by IP, read page by page with the cursor. */
export function HistoryTab({ serviceRef }: { serviceRef: ServiceRef }) {
  const { t, lang } = useI18n();
  const [ip, setIp] = useState('');
  const [cluster, setCluster] = useState<string | undefined>(undefined);
  const history = useInfiniteQuery({
    queryKey: ['service', ...refKey(serviceRef), 'history', ip, cluster ?? ''],
    queryFn: ({ pageParam }) => listHistory(serviceRef, { ip: ip || undefined, cluster, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const envs = useQuery({
    queryKey: ['envs', 'clusters-of-history'],
    queryFn: listEnvsWithClusters,
    staleTime: 60_000,
  });
  if (history.isError) return <ErrorState error={history.error} onRetry={() => void history.refetch()} />;
  const rows = history.data?.pages.flatMap((p) => p.items) ?? [];
  // The clusters present: the environment's, and any a container of the ledger ran on.
  const env = envs.data?.items.find((e) => e.name === serviceRef.env);
  const clusters = [...new Set([...(env?.clusters ?? []), ...rows.map((c) => c.cluster)])];
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space wrap>
        <Input.Search
          allowClear
          style={{ width: 260 }}
          placeholder={t('history.filterIp')}
          aria-label={t('history.filterIp')}
          onSearch={(v) => setIp(v.trim())}
        />
        <ClusterFilter clusters={clusters} value={cluster} onChange={setCluster} />
      </Space>
      <Table<Container>
        rowKey={(c) => `${c.name}|${c.createdAt}`}
        size="small"
        loading={history.isPending}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 1000 }}
        columns={[
          { key: 'name', title: t('container.name'), dataIndex: 'name' },
          { key: 'release', title: t('container.release'), render: (_, c) => `#${c.release}` },
          {
            key: 'state',
            title: t('container.state'),
            render: (_, c) => <ContainerStateTag container={c} />,
          },
          { key: 'cluster', title: t('container.cluster'), render: (_, c) => c.cluster },
          { key: 'ip', title: t('container.ip'), render: (_, c) => c.ip ?? '' },
          {
            key: 'created',
            title: t('container.created'),
            render: (_, c) => formatDateTime(c.createdAt, lang),
          },
          {
            key: 'stopped',
            title: t('container.stopped'),
            render: (_, c) => formatDateTime(c.stoppedAt, lang),
          },
          {
            key: 'exit',
            title: t('container.exit'),
            render: (_, c) =>
              c.exitCode === null ? '' : `${c.exitCode}${c.exitReason ? ` (${c.exitReason})` : ''}`,
          },
          {
            key: 'collected',
            title: '',
            render: (_, c) => (
              <Link
                to={`/p/${serviceRef.project}/${serviceRef.env}/s/${serviceRef.service}/containers/${encodeURIComponent(c.name)}/files?tab=collected`}
                data-testid={`collected-${c.name}`}
              >
                {t('files.collectedLink')}
              </Link>
            ),
          },
        ]}
      />
      {history.hasNextPage ? (
        <Button onClick={() => void history.fetchNextPage()} loading={history.isFetchingNextPage}>
          {t('common.loadMore')}
        </Button>
      ) : null}
    </Space>
  );
}
