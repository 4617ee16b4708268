import { Alert, Button, Space, Table, Tag, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import type { AuditEvent } from '@berth/shared';
import { refKey, type ServiceRef } from '../../api/paths';
import { listAudit } from '../../api/resources';
import { ErrorState } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { canAudit, useMe } from '../auth/session';

const resultColors: Record<AuditEvent['result'], string> = {
  success: 'success',
  denied: 'warning',
  failure: 'error',
};

/**
 * The audit events of this service and its containers (shells included), newest first. The API
 * matches the target by prefix; events of services whose names merely start alike are dropped.
 */
export function ServiceAuditTab({ serviceRef }: { serviceRef: ServiceRef }) {
  const { t, lang } = useI18n();
  const me = useMe();
  const target = `${serviceRef.project}/${serviceRef.env}/${serviceRef.service}`;
  const allowed = me.data ? canAudit(me.data) : false;
  const audit = useInfiniteQuery({
    queryKey: ['service', ...refKey(serviceRef), 'audit'],
    queryFn: ({ pageParam }) => listAudit({ target: `${target}*`, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled: allowed,
  });
  if (me.data && !allowed) return <Alert type="info" showIcon title={t('audit.forbidden')} />;
  if (audit.isError) return <ErrorState error={audit.error} onRetry={() => void audit.refetch()} />;
  const rows = (audit.data?.pages.flatMap((p) => p.items) ?? []).filter(
    (e) => e.target === target || e.target.startsWith(`${target}/`),
  );
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Table<AuditEvent>
        rowKey="id"
        size="small"
        loading={audit.isPending}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 900 }}
        data-testid="service-audit"
        locale={{ emptyText: t('audit.empty') }}
        columns={[
          { key: 'at', title: t('audit.at'), width: 180, render: (_, e) => formatDateTime(e.at, lang) },
          { key: 'actor', title: t('audit.actor'), dataIndex: 'actor' },
          {
            key: 'action',
            title: t('audit.action'),
            render: (_, e) => <Typography.Text code>{e.action}</Typography.Text>,
          },
          {
            key: 'target',
            title: t('audit.target'),
            render: (_, e) =>
              e.target === target ? t('svc.audit.thisService') : e.target.slice(target.length + 1),
          },
          {
            key: 'result',
            title: t('audit.result'),
            render: (_, e) => <Tag color={resultColors[e.result]}>{t(`audit.result.${e.result}`)}</Tag>,
          },
          { key: 'status', title: t('audit.status'), dataIndex: 'statusCode', width: 70 },
        ]}
      />
      {audit.hasNextPage ? (
        <Button onClick={() => void audit.fetchNextPage()} loading={audit.isFetchingNextPage}>
          {t('common.loadMore')}
        </Button>
      ) : null}
    </Space>
  );
}
