import { useState } from 'react';
import { Alert, Descriptions, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { defaultPublishAddress } from '@berth/shared';
import { Link, useParams } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { isPlatformAdmin } from '../admin/admin-access';
import { useMe } from '../auth/session';
import { ClusterActions } from './ClusterActions';
import { ClusterEvents } from './ClusterEvents';
import {
  CapacityBar,
  ClusterFlags,
  ClusterKindTag,
  ClusterLabels,
  ClusterStateTag,
  RegistryCheckView,
} from './ClusterTags';
import { clusterKeys, getCluster, listEnvsWithClusters, type ClusterPlacement } from './clusters-api';
import { formatBytes, isInCluster } from './cluster-view';
import { envLabel } from './EnvClustersSection';
import './clusters.css';
import './strings';

/** One cluster: its state and capacity, what runs on it, the environments naming it; admin actions. */
export function ClusterDetailPage() {
  const { cluster: name = '' } = useParams();
  const { t } = useI18n();
  const me = useMe();
  const admin = me.data ? isPlatformAdmin(me.data) : false;
  const [refusal, setRefusal] = useState<string | null>(null);
  const cluster = useQuery({
    queryKey: clusterKeys.one(name),
    queryFn: () => getCluster(name),
    refetchInterval: 10_000,
  });
  const envs = useQuery({ queryKey: clusterKeys.envs, queryFn: listEnvsWithClusters });
  const naming = (envs.data?.items ?? []).filter((e) => e.clusters.includes(name));
  const c = cluster.data;
  const placed = c?.placed ?? [];
  const kube = c?.kind === 'kubernetes';
  return (
    <>
      <div className="page-head">
        <Space align="center">
          <Link to="/clusters">{t('clusters.back')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="cluster-title">
            {name}
          </Typography.Title>
          {c ? <ClusterStateTag cluster={c} /> : null}
          {c ? <ClusterFlags cluster={c} /> : null}
        </Space>
        {c && admin ? <ClusterActions cluster={c} onRefused={setRefusal} /> : null}
      </div>
      {refusal ? (
        <Alert
          type="error"
          showIcon
          closable
          onClose={() => setRefusal(null)}
          title={t('clusters.delete.refused', { cluster: name })}
          description={<span translate="no">{refusal}</span>}
          style={{ marginBottom: 12 }}
          data-testid="cluster-delete-refused"
        />
      ) : null}
      {cluster.isPending ? <PageSkeleton /> : null}
      {cluster.isError ? <ErrorState error={cluster.error} onRetry={() => void cluster.refetch()} /> : null}
      {c ? (
        <>
          {c.message ? (
            <Alert
              type={c.state === 'ready' ? 'info' : 'warning'}
              showIcon
              title={t('clusters.detail.message')}
              description={<span translate="no">{c.message}</span>}
              style={{ marginBottom: 12 }}
              data-testid="cluster-message"
            />
          ) : null}
          <Descriptions
            size="small"
            bordered
            column={{ xs: 1, md: 2, xl: 3 }}
            data-testid="cluster-details"
            style={{ marginBottom: 16 }}
          >
            <Descriptions.Item label={t('clusters.detail.kind')}>
              <ClusterKindTag cluster={c} />
            </Descriptions.Item>
            <Descriptions.Item label={t('clusters.detail.version')}>
              <span translate="no" data-testid="cluster-version">
                {c.engineVersion ?? '—'}
              </span>
            </Descriptions.Item>
            {admin ? (
              <Descriptions.Item label={t('clusters.col.endpoint')}>
                <Typography.Text code translate="no" data-testid="cluster-endpoint">
                  {c.endpoint ?? '—'}
                </Typography.Text>
              </Descriptions.Item>
            ) : null}
            {admin ? (
              <Descriptions.Item
                label={t(kube ? 'clusters.detail.kubeconfig' : 'clusters.detail.credentials')}
              >
                <span data-testid="cluster-credentials">
                  {kube && isInCluster(c.endpoint)
                    ? t('clusters.credentials.inCluster')
                    : c.hasCredentials
                      ? t(kube ? 'clusters.credentials.kubeconfigSet' : 'clusters.credentials.set')
                      : t('clusters.credentials.none')}
                </span>
              </Descriptions.Item>
            ) : null}
            {kube ? (
              <Descriptions.Item label={t('clusters.detail.exposure')}>
                <span data-testid="cluster-exposure" data-exposure={c.exposure ?? ''}>
                  {c.exposure ? (
                    <Tooltip title={t(`clusters.form.exposure.${c.exposure}.help`)}>
                      {t(`clusters.form.exposure.${c.exposure}`)}
                    </Tooltip>
                  ) : (
                    '—'
                  )}
                </span>
              </Descriptions.Item>
            ) : null}
            {kube ? (
              <Descriptions.Item label={t('clusters.detail.namespacePrefix')}>
                <span data-testid="cluster-namespace-prefix" translate="no">
                  {c.namespacePrefix || t('clusters.form.namespacePrefix.none')}
                </span>
              </Descriptions.Item>
            ) : null}
            {kube ? (
              <Descriptions.Item label={t('clusters.detail.gatewayCidrs')}>
                <span data-testid="cluster-gateway-cidrs" translate="no">
                  {c.gatewayCidrs?.length ? c.gatewayCidrs.join(', ') : '—'}
                </span>
              </Descriptions.Item>
            ) : null}
            {kube ? null : (
              <Descriptions.Item label={t('clusters.detail.publishAddress')}>
                <Typography.Text code translate="no" data-testid="cluster-publish-address">
                  {c.publishAddress ?? defaultPublishAddress}
                </Typography.Text>
              </Descriptions.Item>
            )}
            {kube ? null : (
              <Descriptions.Item label={t('clusters.detail.registry')}>
                {c.registry ? (
                  <Typography.Text code translate="no" data-testid="cluster-registry">
                    {c.registry}
                  </Typography.Text>
                ) : (
                  <span data-testid="cluster-registry">{t('clusters.detail.registry.own')}</span>
                )}
              </Descriptions.Item>
            )}
            <Descriptions.Item label={t('clusters.detail.registryCheck')}>
              <RegistryCheckView check={c.registryCheck ?? null} shownAbove={c.message} />
            </Descriptions.Item>
            <Descriptions.Item label={t('clusters.col.latency')}>
              {c.latencyMs === null ? '—' : t('clusters.latency.value', { ms: c.latencyMs })}
            </Descriptions.Item>
            <Descriptions.Item label={t('clusters.col.checked')}>
              <TimeText at={c.lastCheckedAt} />
            </Descriptions.Item>
            <Descriptions.Item label={t('clusters.col.memory')}>
              <CapacityBar capacity={c.capacity} kind="memory" testId="cluster-memory" />
            </Descriptions.Item>
            <Descriptions.Item label={t('clusters.col.cpu')}>
              <CapacityBar capacity={c.capacity} kind="cpu" testId="cluster-cpu" />
            </Descriptions.Item>
            <Descriptions.Item label={t('clusters.detail.memoryTotal')}>
              {c.capacity ? formatBytes(c.capacity.memoryBytes) : '—'}
            </Descriptions.Item>
            <Descriptions.Item label={t('clusters.detail.containers')}>
              <span data-testid="cluster-containers">{c.capacity ? c.capacity.used.containers : '—'}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('clusters.col.labels')}>
              <span data-testid="cluster-labels-view">
                <ClusterLabels labels={c.labels} />
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t('clusters.detail.envs')}>
              <span data-testid="cluster-envs">
                {naming.length
                  ? naming.map((e) => (
                      <Tag key={e.name} translate="no">
                        {envLabel(t, e)}
                      </Tag>
                    ))
                  : t('clusters.detail.envs.none')}
              </span>
            </Descriptions.Item>
          </Descriptions>
          <Typography.Title level={5}>{t('clusters.placed.title')}</Typography.Title>
          <Table<ClusterPlacement>
            rowKey={(p) => `${p.project}/${p.env}/${p.service}`}
            size="middle"
            dataSource={placed}
            pagination={false}
            data-testid="cluster-placed"
            locale={{ emptyText: t('clusters.placed.empty') }}
            columns={[
              { key: 'project', title: t('clusters.placed.project'), dataIndex: 'project' },
              { key: 'env', title: t('clusters.placed.env'), dataIndex: 'env' },
              {
                key: 'service',
                title: t('clusters.placed.service'),
                render: (_, p) => (
                  <Link to={`/p/${p.project}/${p.env}/s/${p.service}/overview`}>{p.service}</Link>
                ),
              },
              {
                key: 'containers',
                title: t('clusters.placed.containers'),
                render: (_, p) => (
                  <Link to={`/p/${p.project}/${p.env}/s/${p.service}/containers`}>{p.containers}</Link>
                ),
              },
            ]}
          />
          <ClusterEvents name={name} />
        </>
      ) : null}
    </>
  );
}
