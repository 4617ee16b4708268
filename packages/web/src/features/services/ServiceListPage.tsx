import { useCallback, useMemo, useState } from 'react';
import { Button, Empty, Select, Space } from 'antd';
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import type { ServiceStatus } from '@berth/shared';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { VirtualTable } from '../../components/VirtualTable';
import { AfterFirstPaint } from '../../components/AfterFirstPaint';
import { SearchInput } from '../../components/SearchInput';
import { useI18n } from '../../i18n/I18nProvider';
import { ScopeSelector } from '../nav/ScopeSelector';
import { RoutesLink } from '../routes/RoutesLink';
import { QuotaLink } from '../quotas/QuotaLink';
import { useServiceColumns } from './serviceColumns';
import { nextPageSize, serviceListQuery } from './service-list-query';

const statuses: ServiceStatus[] = ['healthy', 'progressing', 'degraded', 'stopped', 'failed'];

/**
 * Refresh every 5 s while the user looks at the top of the list; once more than a few pages are
 * loaded, every 30 s (a refresh re-reads every loaded page, one after the other).
 */
const refreshEvery = (pages: number) => (pages * nextPageSize > 1_500 ? 30_000 : 5_000);

/**
 * The services of one project and environment, in name order, filtered on the server by name
 * and status. One scrolling list however many there are: the first 50 come at once, the rest
 * page by page (the API's cursor) as the user scrolls near the end, and only the rows in view
 * are in the DOM. The first page usually arrives before this page renders: main.tsx starts the
 * query at boot, beside the session check.
 */
export function ServiceListPage() {
  const { project = '', env = '' } = useParams();
  const { t, lang } = useI18n();
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<string | undefined>();
  const columns = useServiceColumns(project, env);

  const list = useInfiniteQuery({
    ...serviceListQuery(project, env, { q, status }),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => refreshEvery(query.state.data?.pages.length ?? 0),
  });
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const filtered = Boolean(q || status);

  return (
    <>
      {/*
        The rows and the name filter come first on a cold load; the selects and buttons around
        them one frame later, in boxes of their size meanwhile (see AfterFirstPaint).
      */}
      <AfterFirstPaint fallback={<div className="scope-bar" style={{ height: 32 }} />}>
        <ScopeSelector project={project} env={env} />
      </AfterFirstPaint>
      <div className="page-head">
        {/* Plain elements, not Typography: its styles and tooltip cost the first render time. */}
        <h4 className="page-title">{t('services.title')}</h4>
        <AfterFirstPaint fallback={<span style={{ height: 32 }} />}>
          <Space>
            <RoutesLink project={project} env={env} />
            <QuotaLink project={project} env={env} />
            <Link to={`/p/${project}/${env}/new`}>
              <Button type="primary" data-testid="create-service">
                {t('services.create')}
              </Button>
            </Link>
          </Space>
        </AfterFirstPaint>
      </div>
      <Space wrap style={{ marginBottom: 12 }}>
        <SearchInput
          placeholder={t('services.filter.name')}
          label={t('services.filter.name')}
          buttonLabel={t('common.search')}
          onSearch={setQ}
        />
        <AfterFirstPaint fallback={<span style={{ display: 'inline-block', width: 180, height: 32 }} />}>
          <Select
            allowClear
            style={{ width: 180 }}
            placeholder={t('services.filter.status')}
            aria-label={t('services.filter.status')}
            value={status}
            options={statuses.map((s) => ({ value: s, label: t(`status.${s}`) }))}
            onChange={(v: string | undefined) => setStatus(v)}
          />
        </AfterFirstPaint>
        {list.data && rows.length > 0 ? (
          <span className="text-secondary" data-testid="services-count">
            {t(hasNextPage ? 'services.count.more' : 'services.count.all', {
              count: rows.length.toLocaleString(lang),
            })}
          </span>
        ) : null}
      </Space>
      {list.isPending ? <PageSkeleton /> : null}
      {list.isError && !list.data ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : null}
      {list.data && rows.length === 0 ? (
        filtered ? (
          <Empty description={t('services.emptyFilter')} />
        ) : (
          <Empty
            data-testid="services-empty"
            description={
              <>
                <p>
                  <strong>{t('services.empty.title', { project, env })}</strong>
                </p>
                <p className="text-secondary">{t('services.empty.hint')}</p>
              </>
            }
          />
        )
      ) : null}
      {list.data && rows.length > 0 ? (
        <VirtualTable
          // A new filter starts again at the top.
          key={`${q}\n${status ?? ''}`}
          rows={rows}
          columns={columns}
          rowKey={(s) => s.name}
          label={t('services.title')}
          testId="services-table"
          totalRows={hasNextPage ? -1 : rows.length + 1}
          onNearEnd={loadMore}
          style={{ opacity: list.isPlaceholderData ? 0.6 : 1 }}
          footer={isFetchingNextPage ? t('common.loading') : hasNextPage ? t('services.count.scroll') : null}
        />
      ) : null}
    </>
  );
}
