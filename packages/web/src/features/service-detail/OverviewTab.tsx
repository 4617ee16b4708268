import { Button, Card, Descriptions, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { Release, Service } from '@berth/shared';
import { refKey, type ServiceRef } from '../../api/paths';
import { listReleases, promoteService, rollbackService } from '../../api/resources';
import { ErrorState } from '../../components/ErrorState';
import { StatusTag } from '../../components/StatusTag';
import { formatDateTime, TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { ServiceDomains } from '../routes/ServiceDomains';
import { ServicePipelines } from '../pipelines/ServicePipelines';
import { PlacementSummary } from '../services/PlacementSummary';
import { useServiceAction } from './useServiceAction';

/** Status, what the current release runs, and the releases with rollback and promote. */
export function OverviewTab({ service, serviceRef }: { service: Service; serviceRef: ServiceRef }) {
  const { t, lang } = useI18n();
  const releases = useQuery({
    queryKey: ['service', ...refKey(serviceRef), 'releases'],
    queryFn: () => listReleases(serviceRef),
    refetchInterval: 5000,
  });
  const rollback = useServiceAction((release: number) => rollbackService(serviceRef, release));
  const promote = useServiceAction((release: number) => promoteService(serviceRef, release));
  const spec = service.spec;
  const readiness = spec.readiness
    ? `${spec.readiness.type.toUpperCase()} ${spec.readiness.path ?? ''} ${spec.readiness.port ?? ''}`.trim()
    : t('create.readiness.none');

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card size="small">
        <Descriptions column={{ xs: 1, md: 2, xl: 3 }} size="small">
          <Descriptions.Item label={t('detail.status')}>
            <StatusTag status={service.status} />
          </Descriptions.Item>
          <Descriptions.Item label={t('detail.replicas')}>
            {service.readyReplicas}/{service.replicas}
          </Descriptions.Item>
          <Descriptions.Item label={t('detail.release')}>
            #{service.release}
            {service.stableRelease ? ` (${t('detail.stableRelease')} #${service.stableRelease})` : ''}
          </Descriptions.Item>
          <Descriptions.Item label={t('detail.image')}>
            <Typography.Text code>{spec.image}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('detail.ports')}>
            {spec.ports.map((p) => p.containerPort).join(', ') || t('common.none')}
          </Descriptions.Item>
          <Descriptions.Item label={t('detail.resources')}>
            {spec.resources.cpu ? `${spec.resources.cpu} CPU` : t('detail.unlimited')} ·{' '}
            {spec.resources.memoryMiB ? `${spec.resources.memoryMiB} MiB` : t('detail.unlimited')}
          </Descriptions.Item>
          <Descriptions.Item label={t('detail.readiness')}>{readiness}</Descriptions.Item>
          <Descriptions.Item label={t('svc.placement.overview')} span="filled">
            <PlacementSummary serviceRef={serviceRef} placement={spec.placement} />
          </Descriptions.Item>
          <Descriptions.Item label={t('detail.updated')}>
            <span>
              <TimeText at={service.updatedAt} /> {t('common.by', { user: service.updatedBy })}
            </span>
          </Descriptions.Item>
          <Descriptions.Item label={t('detail.env')}>
            {spec.env.length === 0
              ? t('common.none')
              : spec.env.map((e) => (
                  <Tag key={e.name}>
                    {e.secret ? `${e.name} (${t('detail.secretSet')})` : `${e.name}=${e.value ?? ''}`}
                  </Tag>
                ))}
          </Descriptions.Item>
          {spec.command?.length ? (
            <Descriptions.Item label={t('detail.command')} span="filled">
              <Typography.Text code>{[...spec.command, ...(spec.args ?? [])].join(' ')}</Typography.Text>
            </Descriptions.Item>
          ) : null}
          {service.message ? (
            <Descriptions.Item label={t('detail.message')} span="filled">
              <span translate="no">{service.message}</span>
            </Descriptions.Item>
          ) : null}
        </Descriptions>
      </Card>
      <ServiceDomains project={service.project} env={service.env} service={service.name} />
      <ServicePipelines serviceRef={{ project: service.project, env: service.env, service: service.name }} />
      <Card size="small" title={t('detail.releases')}>
        {releases.isError ? (
          <ErrorState error={releases.error} onRetry={() => void releases.refetch()} />
        ) : null}
        <Table<Release>
          rowKey="number"
          size="small"
          loading={releases.isPending}
          dataSource={releases.data?.items ?? []}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          columns={[
            {
              key: 'number',
              title: t('release.number'),
              render: (_, r) => (
                <Space>
                  {`#${r.number}`}
                  {r.number === service.release ? <Tag color="blue">{t('release.current')}</Tag> : null}
                </Space>
              ),
            },
            { key: 'state', title: t('release.state'), render: (_, r) => t(`release.state.${r.state}`) },
            {
              key: 'image',
              title: t('release.image'),
              render: (_, r) => <Typography.Text code>{r.spec.image}</Typography.Text>,
            },
            {
              key: 'reason',
              title: t('release.reason'),
              render: (_, r) => <span translate="no">{r.reason ?? ''}</span>,
            },
            {
              key: 'created',
              title: t('release.created'),
              render: (_, r) => `${formatDateTime(r.createdAt, lang)} · ${r.createdBy}`,
            },
            {
              key: 'actions',
              title: '',
              render: (_, r) => (
                <Space>
                  {r.number !== service.release ? (
                    <Popconfirm
                      title={t('action.rollback.confirm', { service: service.name, release: r.number })}
                      okText={t('common.confirm')}
                      cancelText={t('common.cancel')}
                      onConfirm={() => rollback.mutate(r.number)}
                    >
                      <Button size="small" data-testid={`rollback-${r.number}`} loading={rollback.isPending}>
                        {t('action.rollback')}
                      </Button>
                    </Popconfirm>
                  ) : null}
                  {service.env !== 'prod' && r.state === 'succeeded' ? (
                    <Popconfirm
                      title={t('action.promote.confirm', { service: service.name, release: r.number })}
                      okText={t('common.confirm')}
                      cancelText={t('common.cancel')}
                      onConfirm={() => promote.mutate(r.number)}
                    >
                      <Button size="small" type="link" loading={promote.isPending}>
                        {t('action.promote')}
                      </Button>
                    </Popconfirm>
                  ) : null}
                </Space>
              ),
            },
          ]}
        />
      </Card>
    </Space>
  );
}
