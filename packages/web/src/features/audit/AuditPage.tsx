import { useState } from 'react';
import { Button, Input, Space, Table, Tag, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import type { AuditEvent } from '@berth/shared';
import { listAudit, type AuditQuery } from '../../api/resources';
import { ErrorState } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';

const resultColors: Record<AuditEvent['result'], string> = {
  success: 'success',
  denied: 'warning',
  failure: 'error',
};

/** The audit log, newest first, filtered on the server by actor, action and target. */
export function AuditPage() {
  const { t, lang } = useI18n();
  const [filter, setFilter] = useState<AuditQuery>({});
  const audit = useInfiniteQuery({
    queryKey: ['audit', filter],
    queryFn: ({ pageParam }) => listAudit({ ...filter, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const set = (key: keyof AuditQuery) => (value: string) =>
    setFilter((f) => ({ ...f, [key]: value.trim() || undefined }));
  const rows = audit.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('audit.title')}
        </Typography.Title>
      </div>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search
          allowClear
          placeholder={t('audit.filter.actor')}
          aria-label={t('audit.actor')}
          onSearch={set('actor')}
        />
        <Input.Search
          allowClear
          placeholder={t('audit.filter.action')}
          aria-label={t('audit.action')}
          onSearch={set('action')}
        />
        <Input.Search
          allowClear
          placeholder={t('audit.filter.target')}
          aria-label={t('audit.target')}
          onSearch={set('target')}
        />
        <Typography.Text type="secondary">{t('audit.filter.help')}</Typography.Text>
      </Space>
      {audit.isError ? (
        <ErrorState error={audit.error} onRetry={() => void audit.refetch()} />
      ) : (
        <Table<AuditEvent>
          rowKey="id"
          size="small"
          loading={audit.isPending}
          dataSource={rows}
          pagination={false}
          scroll={{ x: 1000 }}
          locale={{ emptyText: t('audit.empty') }}
          data-testid="audit-table"
          columns={[
            { key: 'at', title: t('audit.at'), width: 180, render: (_, e) => formatDateTime(e.at, lang) },
            { key: 'actor', title: t('audit.actor'), dataIndex: 'actor' },
            {
              key: 'action',
              title: t('audit.action'),
              render: (_, e) => <Typography.Text code>{e.action}</Typography.Text>,
            },
            { key: 'target', title: t('audit.target'), render: (_, e) => `${e.targetKind} ${e.target}` },
            {
              key: 'result',
              title: t('audit.result'),
              render: (_, e) => <Tag color={resultColors[e.result]}>{t(`audit.result.${e.result}`)}</Tag>,
            },
            { key: 'status', title: t('audit.status'), dataIndex: 'statusCode', width: 70 },
            { key: 'source', title: t('audit.source'), dataIndex: 'sourceIp' },
          ]}
        />
      )}
      {audit.hasNextPage ? (
        <Button
          style={{ marginTop: 12 }}
          onClick={() => void audit.fetchNextPage()}
          loading={audit.isFetchingNextPage}
        >
          {t('common.loadMore')}
        </Button>
      ) : null}
    </>
  );
}
