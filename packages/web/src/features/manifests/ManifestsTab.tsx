import { App, Alert, Button, Empty, Select, Space, Table, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router-dom';
import type { ServiceRef } from '../../api/paths';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { useI18n } from '../../i18n/I18nProvider';
import { isPlatformAdmin } from '../admin/admin-access';
import { useMe } from '../auth/session';
import { clusterKeys, listClusters, listEnvsWithClusters } from '../clusters/clusters-api';
import { getManifests, manifestsKey, type ManifestObject } from './manifests-api';
import { kubernetesChoices, manifestsFileName, pickCluster } from './manifests-view';
import './manifests.css';

/**
 * A service's Manifests tab: the Kubernetes objects Berth applies for it to a Kubernetes cluster
 * (chosen here; `?cluster=` keeps the choice in the URL), listed by kind and name above the YAML,
 * which can be copied or downloaded. Without a Kubernetes cluster it says when Berth applies them.
 */
export function ManifestsTab({ serviceRef }: { serviceRef: ServiceRef }) {
  const { t } = useI18n();
  const me = useMe();
  const admin = me.data ? isPlatformAdmin(me.data) : false;
  const [params, setParams] = useSearchParams();
  const clusters = useQuery({ queryKey: clusterKeys.list(''), queryFn: () => listClusters() });
  const envs = useQuery({ queryKey: clusterKeys.envs, queryFn: listEnvsWithClusters });
  const envClusters = envs.data?.items.find((e) => e.name === serviceRef.env)?.clusters ?? null;
  const choices = kubernetesChoices(clusters.data?.items ?? [], envClusters);
  const cluster = pickCluster(choices, params.get('cluster'));
  const manifests = useQuery({
    queryKey: manifestsKey(serviceRef, cluster ?? ''),
    queryFn: () => getManifests(serviceRef, cluster!),
    enabled: cluster !== null,
    retry: false,
  });

  if (clusters.isError) return <ErrorState error={clusters.error} onRetry={() => void clusters.refetch()} />;
  if (clusters.isPending) return <PageSkeleton />;
  if (!cluster)
    return (
      <Empty
        data-testid="manifests-empty"
        image={Empty.PRESENTED_IMAGE_SIMPLE}
        description={
          <>
            <Typography.Paragraph style={{ marginBottom: 4 }}>{t('manifests.empty')}</Typography.Paragraph>
            {admin ? <Link to="/clusters">{t('manifests.empty.admin')}</Link> : null}
          </>
        }
      />
    );

  const choose = (name: string) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        next.set('cluster', name);
        return next;
      },
      { replace: true },
    );
  const data = manifests.data;
  return (
    <div data-testid="manifests">
      <Typography.Paragraph type="secondary">{t('manifests.intro')}</Typography.Paragraph>
      <div className="manifests-toolbar">
        <Space wrap align="center">
          <label htmlFor="manifests-cluster">{t('manifests.cluster')}</label>
          <Select
            id="manifests-cluster"
            data-testid="manifests-cluster"
            value={cluster}
            onChange={choose}
            style={{ minWidth: 220 }}
            options={choices.map((c) => ({
              value: c.name,
              label: (
                <span translate="no">
                  {c.name}
                  {c.inEnv || envClusters === null ? null : (
                    <Typography.Text type="secondary" translate="yes">
                      {' '}
                      {t('manifests.cluster.otherEnv')}
                    </Typography.Text>
                  )}
                </span>
              ),
            }))}
          />
          {data ? (
            <span>
              {t('manifests.namespace')}{' '}
              <Typography.Text code translate="no" data-testid="manifests-namespace">
                {data.namespace}
              </Typography.Text>
            </span>
          ) : null}
        </Space>
        {data ? (
          <YamlActions yaml={data.yaml} fileName={manifestsFileName(serviceRef, data.cluster)} />
        ) : null}
      </div>
      {manifests.isPending ? <PageSkeleton /> : null}
      {manifests.isError ? (
        <Alert
          type="error"
          showIcon
          title={t('manifests.refused', { cluster })}
          description={<span translate="no">{manifests.error.message}</span>}
          action={
            <Button size="small" onClick={() => void manifests.refetch()}>
              {t('common.retry')}
            </Button>
          }
          data-testid="manifests-error"
        />
      ) : null}
      {data ? (
        <>
          <Typography.Title level={5}>
            {t('manifests.objects', { count: data.objects.length })}
          </Typography.Title>
          <Table<ManifestObject>
            rowKey={(o) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`}
            size="small"
            pagination={false}
            dataSource={data.objects}
            data-testid="manifests-objects"
            style={{ marginBottom: 16 }}
            columns={[
              {
                key: 'kind',
                title: t('manifests.col.kind'),
                render: (_, o) => (
                  <Typography.Text strong translate="no">
                    {o.kind}
                  </Typography.Text>
                ),
              },
              {
                key: 'name',
                title: t('manifests.col.name'),
                render: (_, o) => (
                  <Typography.Text code translate="no">
                    {o.metadata.name}
                  </Typography.Text>
                ),
              },
              {
                key: 'apiVersion',
                title: t('manifests.col.apiVersion'),
                render: (_, o) => (
                  <Typography.Text type="secondary" translate="no">
                    {o.apiVersion}
                  </Typography.Text>
                ),
              },
            ]}
          />
          <Typography.Title level={5}>{t('manifests.yaml')}</Typography.Title>
          <pre className="manifests-yaml" data-testid="manifests-yaml" translate="no" tabIndex={0}>
            <code>{data.yaml}</code>
          </pre>
        </>
      ) : null}
    </div>
  );
}

/** Copy (to the clipboard) and Download (a `.yaml` file) of the YAML as shown. */
function YamlActions({ yaml, fileName }: { yaml: string; fileName: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const copy = () => {
    // The clipboard API needs a secure origin and the user's permission; say so when refused.
    if (!navigator.clipboard) return void message.warning(t('manifests.copy.failed'));
    navigator.clipboard.writeText(yaml).then(
      () => void message.success(t('manifests.copied')),
      () => void message.warning(t('manifests.copy.failed')),
    );
  };
  const download = () => {
    // A file made from the YAML on screen, so what is saved is what was read.
    const url = URL.createObjectURL(new Blob([yaml], { type: 'application/yaml' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <Space>
      <Button onClick={copy} data-testid="manifests-copy">
        {t('manifests.copy')}
      </Button>
      <Button onClick={download} data-testid="manifests-download">
        {t('manifests.download')}
      </Button>
    </Space>
  );
}
