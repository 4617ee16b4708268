import { useState } from 'react';
import { Button, Empty, Input, Table, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { isPlatformAdmin } from '../admin/admin-access';
import { useMe } from '../auth/session';
import { ClusterFormModal } from './ClusterFormModal';
import { CapacityBar, ClusterFlags, ClusterKindTag, ClusterLabels, ClusterStateTag } from './ClusterTags';
import { clusterKeys, listClusters, type Cluster } from './clusters-api';
import { normalizeLabelFilter } from './cluster-view';
import { EnvClustersSection } from './EnvClustersSection';
import { FleetMoves } from './FleetMoves';
import { useClusterAction } from './useClusterAction';
import './clusters.css';
import './strings';

function CheckNowButton({ name }: { name: string }) {
  const { t } = useI18n();
  const check = useClusterAction(name);
  return (
    <Button
      size="small"
      loading={check.isPending}
      onClick={() => check.mutate('check')}
      data-testid={`cluster-check-${name}`}
    >
      {t('clusters.check')}
    </Button>
  );
}

/**
 * Every cluster with its state, latency, capacity and labels, filterable by label (`?label=dc=dc1`);
 * admins add clusters, check them now and see endpoints. Below: the moves in progress and the
 * environments' clusters.
 */
export function ClusterListPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const label = params.get('label') ?? '';
  const [filterText, setFilterText] = useState(label);
  const [filterError, setFilterError] = useState(false);
  const [adding, setAdding] = useState(false);
  const me = useMe();
  const admin = me.data ? isPlatformAdmin(me.data) : false;
  const clusters = useQuery({
    queryKey: clusterKeys.list(label),
    queryFn: () => listClusters(label),
    refetchInterval: 10_000,
  });

  const applyFilter = (text: string) => {
    const normalized = normalizeLabelFilter(text);
    setFilterError(normalized === null);
    if (normalized === null) return;
    setFilterText(normalized);
    setParams(normalized ? { label: normalized } : {}, { replace: true });
  };

  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('clusters.title')}
        </Typography.Title>
        {admin ? (
          <Button type="primary" onClick={() => setAdding(true)} data-testid="add-cluster">
            {t('clusters.add')}
          </Button>
        ) : null}
      </div>
      {adding ? <ClusterFormModal onClose={() => setAdding(false)} /> : null}
      <Typography.Paragraph type="secondary">{t('clusters.intro')}</Typography.Paragraph>
      <div className="cluster-toolbar">
        <div>
          <Input.Search
            allowClear
            value={filterText}
            onChange={(e) => setFilterText(e.target.value)}
            onSearch={applyFilter}
            placeholder={t('clusters.filter')}
            aria-label={t('clusters.filter')}
            status={filterError ? 'error' : undefined}
            style={{ width: 320 }}
            data-testid="cluster-label-filter"
          />
          {filterError ? (
            <Typography.Text type="danger" style={{ display: 'block' }}>
              {t('clusters.filter.invalid')}
            </Typography.Text>
          ) : null}
        </div>
        <Button onClick={() => void clusters.refetch()} loading={clusters.isFetching}>
          {t('common.refresh')}
        </Button>
      </div>
      {clusters.isError ? (
        <ErrorState error={clusters.error} onRetry={() => void clusters.refetch()} />
      ) : null}
      {!clusters.isError ? (
        <Table<Cluster>
          rowKey="name"
          size="middle"
          loading={clusters.isPending}
          dataSource={clusters.data?.items ?? []}
          pagination={false}
          scroll={{ x: 1100 }}
          data-testid="clusters-table"
          locale={{
            emptyText: (
              <Empty description={label ? t('clusters.empty.filtered', { label }) : t('clusters.empty')} />
            ),
          }}
          columns={[
            {
              key: 'name',
              title: t('clusters.col.name'),
              render: (_, c) => (
                <>
                  <Link to={`/clusters/${encodeURIComponent(c.name)}`} data-testid={`cluster-link-${c.name}`}>
                    {c.name}
                  </Link>
                  <div>
                    <ClusterKindTag cluster={c} />
                  </div>
                  {admin && c.endpoint ? (
                    <Typography.Paragraph
                      type="secondary"
                      style={{ margin: 0, fontSize: 12 }}
                      translate="no"
                      data-testid={`cluster-endpoint-${c.name}`}
                    >
                      {c.endpoint}
                    </Typography.Paragraph>
                  ) : null}
                </>
              ),
            },
            {
              key: 'state',
              title: t('clusters.col.state'),
              render: (_, c) => (
                <>
                  <ClusterStateTag cluster={c} />
                  <ClusterFlags cluster={c} />
                  {c.message && c.state !== 'ready' ? (
                    // what to fix, readable without hovering (a refused kubeconfig, a missing RBAC right)
                    <Typography.Paragraph
                      type="secondary"
                      ellipsis={{ rows: 2, tooltip: <span translate="no">{c.message}</span> }}
                      style={{ margin: '4px 0 0', fontSize: 12, maxWidth: 260 }}
                      translate="no"
                      data-testid={`cluster-message-text-${c.name}`}
                    >
                      {c.message}
                    </Typography.Paragraph>
                  ) : null}
                </>
              ),
            },
            {
              key: 'latency',
              title: t('clusters.col.latency'),
              render: (_, c) =>
                c.latencyMs === null ? '—' : t('clusters.latency.value', { ms: c.latencyMs }),
            },
            {
              key: 'memory',
              title: t('clusters.col.memory'),
              render: (_, c) => (
                <CapacityBar capacity={c.capacity} kind="memory" testId={`cluster-memory-${c.name}`} />
              ),
            },
            {
              key: 'cpu',
              title: t('clusters.col.cpu'),
              render: (_, c) => (
                <CapacityBar capacity={c.capacity} kind="cpu" testId={`cluster-cpu-${c.name}`} />
              ),
            },
            {
              key: 'labels',
              title: t('clusters.col.labels'),
              render: (_, c) => <ClusterLabels labels={c.labels} />,
            },
            {
              key: 'checked',
              title: t('clusters.col.checked'),
              render: (_, c) => <TimeText at={c.lastCheckedAt} />,
            },
            ...(admin
              ? [
                  {
                    key: 'actions',
                    title: t('clusters.col.actions'),
                    render: (_: unknown, c: Cluster) => <CheckNowButton name={c.name} />,
                  },
                ]
              : []),
          ]}
        />
      ) : null}
      <FleetMoves />
      <EnvClustersSection admin={admin} />
    </>
  );
}
