import { useState } from 'react';
import { Button, Table, Tag, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import type { AuditEvent } from '@berth/shared';
import { ErrorState } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { listAuditEvents, shellSessionOf, type AuditFilter } from './audit-api';
import { AuditDrawer, resultColors } from './AuditDrawer';
import { AuditFilters } from './AuditFilters';
import { AuditTarget, actorLabel } from './audit-labels';
import './audit.css';

/**
 * The audit explorer: newest first, filtered on the server (actor, action, target, project,
 * result, time range), 50 per page; a row opens the event in a drawer.
 */
export function AuditPage() {
  const { t, lang } = useI18n();
  const [filter, setFilter] = useState<AuditFilter>({});
  const [open, setOpen] = useState<AuditEvent | null>(null);
  const audit = useInfiniteQuery({
    queryKey: ['audit', filter],
    queryFn: ({ pageParam }) => listAuditEvents(filter, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = audit.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('audit.title')}
        </Typography.Title>
      </div>
      <AuditFilters filter={filter} onChange={setFilter} />
      {audit.isError ? (
        <ErrorState error={audit.error} onRetry={() => void audit.refetch()} />
      ) : (
        <Table<AuditEvent>
          rowKey="id"
          size="small"
          loading={audit.isPending}
          dataSource={rows}
          pagination={false}
          scroll={{ x: 1100 }}
          locale={{ emptyText: t('audit.empty') }}
          data-testid="audit-table"
          onRow={(e) => ({ onClick: () => setOpen(e), style: { cursor: 'pointer' } })}
          columns={[
            { key: 'at', title: t('audit.at'), width: 170, render: (_, e) => formatDateTime(e.at, lang) },
            { key: 'actor', title: t('audit.actor'), render: (_, e) => actorLabel(t, e.actor) },
            {
              key: 'action',
              title: t('audit.action'),
              render: (_, e) => <Typography.Text code>{e.action}</Typography.Text>,
            },
            {
              key: 'target',
              title: t('audit.target'),
              render: (_, e) => <AuditTarget t={t} kind={e.targetKind} target={e.target} />,
            },
            { key: 'project', title: t('audit.project'), render: (_, e) => e.project ?? '' },
            {
              key: 'result',
              title: t('audit.result'),
              render: (_, e) => <Tag color={resultColors[e.result]}>{t(`audit.result.${e.result}`)}</Tag>,
            },
            { key: 'status', title: t('audit.status'), dataIndex: 'statusCode', width: 70 },
            { key: 'source', title: t('audit.source'), dataIndex: 'sourceIp' },
            {
              key: 'detail',
              title: '',
              width: 90,
              render: (_, e) => (
                <Button
                  size="small"
                  type="link"
                  onClick={(ev) => {
                    ev.stopPropagation();
                    setOpen(e);
                  }}
                  data-testid={shellSessionOf(e) ? 'audit-detail-shell' : 'audit-detail'}
                >
                  {t('audit.detail')}
                </Button>
              ),
            },
          ]}
        />
      )}
      {audit.hasNextPage ? (
        <Button
          style={{ marginTop: 12 }}
          onClick={() => void audit.fetchNextPage()}
          loading={audit.isFetchingNextPage}
          data-testid="audit-more"
        >
          {t('common.loadMore')}
        </Button>
      ) : null}
      {open ? <AuditDrawer event={open} onClose={() => setOpen(null)} /> : null}
    </>
  );
}
