import { useState } from 'react';
import { Button, Empty, Input, Select, Space, Table, Typography } from 'antd';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import type { ServiceStatus } from '@berth/shared';
import { listServices } from '../../api/resources';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { useI18n } from '../../i18n/I18nProvider';
import { ScopeSelector } from '../nav/ScopeSelector';
import { RoutesLink } from '../routes/RoutesLink';
import { QuotaLink } from '../quotas/QuotaLink';
import { useServiceColumns } from './serviceColumns';

const statuses: ServiceStatus[] = ['healthy', 'progressing', 'degraded', 'stopped', 'failed'];
const pageSize = 50;

/**
 * The services of one project and environment, paged with the API's cursor (so 10,000 services
 * cost one page), filtered on the server by name and status, sortable within the page.
 */
export function ServiceListPage() {
  const { project = '', env = '' } = useParams();
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<string | undefined>();
  // The cursors of the pages before the current one; [] is the first page.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const columns = useServiceColumns(project, env);

  const list = useQuery({
    queryKey: ['services', project, env, q, status, cursor],
    queryFn: () => listServices(project, env, { q: q || undefined, status, cursor, limit: pageSize }),
    placeholderData: keepPreviousData,
    refetchInterval: 5000,
  });
  const resetPaging = () => setCursors([]);
  const filtered = Boolean(q || status);

  return (
    <>
      <ScopeSelector project={project} env={env} />
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('services.title')}
        </Typography.Title>
        <Space>
          <RoutesLink project={project} env={env} />
          <QuotaLink project={project} env={env} />
          <Link to={`/p/${project}/${env}/new`}>
            <Button type="primary" data-testid="create-service">
              {t('services.create')}
            </Button>
          </Link>
        </Space>
      </div>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search
          allowClear
          placeholder={t('services.filter.name')}
          aria-label={t('services.filter.name')}
          style={{ width: 260 }}
          onSearch={(v) => {
            setQ(v.trim());
            resetPaging();
          }}
        />
        <Select
          allowClear
          style={{ width: 180 }}
          placeholder={t('services.filter.status')}
          aria-label={t('services.filter.status')}
          value={status}
          options={statuses.map((s) => ({ value: s, label: t(`status.${s}`) }))}
          onChange={(v: string | undefined) => {
            setStatus(v);
            resetPaging();
          }}
        />
      </Space>
      {list.isPending ? <PageSkeleton /> : null}
      {list.isError ? <ErrorState error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data ? (
        <>
          <Table
            rowKey="name"
            size="middle"
            columns={columns}
            dataSource={list.data.items}
            pagination={false}
            loading={list.isFetching && list.isPlaceholderData}
            scroll={{ x: 960 }}
            locale={{
              emptyText: filtered ? (
                <Empty description={t('services.emptyFilter')} />
              ) : (
                <Empty
                  data-testid="services-empty"
                  description={
                    <>
                      <Typography.Paragraph strong>
                        {t('services.empty.title', { project, env })}
                      </Typography.Paragraph>
                      <Typography.Paragraph type="secondary">{t('services.empty.hint')}</Typography.Paragraph>
                    </>
                  }
                />
              ),
            }}
          />
          <Space style={{ marginTop: 12, display: 'flex', justifyContent: 'flex-end' }}>
            <Button disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
              {t('common.previous')}
            </Button>
            <Button
              disabled={!list.data.nextCursor}
              onClick={() => {
                const next = list.data.nextCursor;
                if (next) setCursors((c) => [...c, next]);
              }}
            >
              {t('common.next')}
            </Button>
          </Space>
        </>
      ) : null}
    </>
  );
}
