import { Suspense } from 'react';
import { lazyChunk } from '../../app/lazy-chunk';
import { Button, Space, Tabs, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { getService } from '../../api/resources';
import type { ServiceRef } from '../../api/paths';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { StatusTag } from '../../components/StatusTag';
import { useI18n } from '../../i18n/I18nProvider';
import { ScopeSelector } from '../nav/ScopeSelector';
import { ContainersTab } from './ContainersTab';
import { EventsTab } from './EventsTab';
import { HistoryTab } from './HistoryTab';
import { LogsTab } from './LogsTab';
import { MetricsTab } from './MetricsTab';
import { OverviewTab } from './OverviewTab';
import { ScaleTab } from './ScaleTab';
import { ServiceAuditTab } from './ServiceAuditTab';

// The edit form is the largest part of the page and only needed when someone edits.
const SettingsTab = lazyChunk(() => import('./SettingsTab').then((m) => ({ default: m.SettingsTab })));
// Only services on Kubernetes clusters have manifests to read: loaded when the tab is opened.
const ManifestsTab = lazyChunk(() =>
  import('../manifests/ManifestsTab').then((m) => ({ default: m.ManifestsTab })),
);

const tabs = [
  'overview',
  'containers',
  'history',
  'logs',
  'events',
  'metrics',
  'scale',
  'audit',
  'manifests',
  'settings',
] as const;
type TabKey = (typeof tabs)[number];

export function useServiceRef(): ServiceRef {
  const { project = '', env = '', service = '' } = useParams();
  return { project, env, service };
}

export function serviceQueryKey(ref: ServiceRef) {
  return ['service', ref.project, ref.env, ref.service] as const;
}

/** One service; each tab is a URL (`…/s/web/logs?container=…`) so it can be shared and reloaded. */
export function ServiceDetailPage() {
  const ref = useServiceRef();
  const { tab = 'overview' } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const service = useQuery({
    queryKey: serviceQueryKey(ref),
    queryFn: () => getService(ref),
    refetchInterval: 3000,
  });
  const active: TabKey = (tabs as readonly string[]).includes(tab) ? (tab as TabKey) : 'overview';

  const body = () => {
    if (!service.data) return null;
    switch (active) {
      case 'overview':
        return <OverviewTab service={service.data} serviceRef={ref} />;
      case 'containers':
        return <ContainersTab serviceRef={ref} />;
      case 'history':
        return <HistoryTab serviceRef={ref} />;
      case 'logs':
        return <LogsTab serviceRef={ref} />;
      case 'events':
        return <EventsTab serviceRef={ref} />;
      case 'metrics':
        return <MetricsTab serviceRef={ref} />;
      case 'scale':
        return <ScaleTab service={service.data} serviceRef={ref} />;
      case 'audit':
        return <ServiceAuditTab serviceRef={ref} />;
      case 'manifests':
        return (
          <Suspense fallback={<PageSkeleton />}>
            <ManifestsTab serviceRef={ref} />
          </Suspense>
        );
      case 'settings':
        return (
          <Suspense fallback={<PageSkeleton />}>
            <SettingsTab service={service.data} serviceRef={ref} />
          </Suspense>
        );
    }
  };

  return (
    <>
      <ScopeSelector project={ref.project} env={ref.env} />
      <div className="page-head">
        <Space align="center">
          <Link to={`/p/${ref.project}/${ref.env}`}>{t('detail.back')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="service-title">
            {ref.service}
          </Typography.Title>
          {service.data ? <StatusTag status={service.data.status} /> : null}
          {service.data ? (
            <Typography.Text type="secondary" data-testid="service-replicas">
              {t('detail.replicas')} {service.data.readyReplicas}/{service.data.replicas}
            </Typography.Text>
          ) : null}
        </Space>
        {service.data && active !== 'settings' ? (
          <Button
            onClick={() => void navigate(`/p/${ref.project}/${ref.env}/s/${ref.service}/settings`)}
            data-testid="edit-service"
          >
            {t('svc.edit.button')}
          </Button>
        ) : null}
      </div>
      {service.isPending ? <PageSkeleton /> : null}
      {service.isError ? <ErrorState error={service.error} onRetry={() => void service.refetch()} /> : null}
      {service.data ? (
        <Tabs
          activeKey={active}
          onChange={(key) => void navigate(`/p/${ref.project}/${ref.env}/s/${ref.service}/${key}`)}
          items={tabs.map((key) => ({ key, label: t(`detail.tab.${key}`) }))}
        />
      ) : null}
      {body()}
    </>
  );
}
