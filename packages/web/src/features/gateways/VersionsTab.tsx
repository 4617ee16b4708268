import { useState } from 'react';
import { Button, Segmented, Space, Table, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import type { GatewayVersion, GatewayVersionKind } from '@berth/shared';
import { useNavigate } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { gatewayKey, listVersions } from './gateways-api';
import { RollbackModal } from './RollbackModal';
import { VersionDrawer } from './VersionDrawer';
import { VersionKindTag, VersionStateTag } from './VersionTags';
import { authorText, reasonText } from './version-reason';

type KindFilter = 'all' | GatewayVersionKind;

/**
 * The versions of a gateway, newest first, filterable by kind. Pick two rows to compare them
 * side by side; open one to read its files; roll back to an applied configuration.
 */
export function VersionsTab({ gateway, applied }: { gateway: string; applied: number }) {
  const { t, lang } = useI18n();
  const navigate = useNavigate();
  const [kind, setKind] = useState<KindFilter>('all');
  const [selected, setSelected] = useState<number[]>([]);
  const [viewing, setViewing] = useState<number | null>(null);
  const [rollbackTarget, setRollbackTarget] = useState<GatewayVersion | null>(null);
  const versions = useInfiniteQuery({
    queryKey: [...gatewayKey(gateway), 'versions', kind],
    queryFn: ({ pageParam }) =>
      listVersions(gateway, { kind: kind === 'all' ? undefined : kind, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 10_000,
  });
  const rows = versions.data?.pages.flatMap((p) => p.items) ?? [];
  const compare = () => {
    const [b, a] = [...selected].sort((x, y) => y - x);
    if (a !== undefined && b !== undefined) void navigate(`/gateways/${gateway}/diff?a=${a}&b=${b}`);
  };

  return (
    <>
      <Space wrap style={{ marginBottom: 12, justifyContent: 'space-between', width: '100%' }}>
        <Segmented<KindFilter>
          value={kind}
          onChange={(v) => {
            setKind(v);
            setSelected([]);
          }}
          options={[
            { value: 'all', label: t('common.all') },
            { value: 'config', label: t('gateways.version.kind.config') },
            { value: 'endpoints', label: t('gateways.version.kind.endpoints') },
          ]}
          aria-label={t('gateways.version.kind')}
        />
        <Space>
          <Typography.Text type="secondary">{t('gateways.compare.help')}</Typography.Text>
          <Button
            type="primary"
            disabled={selected.length !== 2}
            onClick={compare}
            data-testid="compare-versions"
          >
            {t('gateways.compare', { count: selected.length })}
          </Button>
        </Space>
      </Space>
      {versions.isError ? (
        <ErrorState error={versions.error} onRetry={() => void versions.refetch()} />
      ) : (
        <Table<GatewayVersion>
          rowKey="number"
          size="small"
          loading={versions.isPending}
          dataSource={rows}
          pagination={false}
          scroll={{ x: 1000 }}
          data-testid="versions-table"
          locale={{ emptyText: t('gateways.versions.empty') }}
          rowSelection={{
            selectedRowKeys: selected,
            hideSelectAll: true,
            columnTitle: t('gateways.compare.column'),
            columnWidth: 90,
            onChange: (keys) => setSelected((keys as number[]).slice(-2)),
            getCheckboxProps: (v) => ({
              disabled: selected.length >= 2 && !selected.includes(v.number),
              'aria-label': t('gateways.compare.pick', { version: v.number }),
            }),
          }}
          columns={[
            {
              key: 'number',
              title: t('gateways.version.number'),
              width: 150,
              render: (_, v) => (
                <Space size={4}>
                  <Button
                    type="link"
                    size="small"
                    onClick={() => setViewing(v.number)}
                    data-testid={`version-${v.number}`}
                  >
                    #{v.number}
                  </Button>
                  {v.number === applied ? (
                    <Typography.Text type="success" strong>
                      {t('gateways.version.current')}
                    </Typography.Text>
                  ) : null}
                </Space>
              ),
            },
            {
              key: 'kind',
              title: t('gateways.version.kind'),
              width: 110,
              render: (_, v) => <VersionKindTag kind={v.kind} />,
            },
            {
              key: 'author',
              title: t('gateways.version.author'),
              width: 120,
              render: (_, v) => authorText(t, v.author),
            },
            {
              key: 'time',
              title: t('gateways.version.time'),
              width: 180,
              render: (_, v) => formatDateTime(v.createdAt, lang),
            },
            {
              key: 'reason',
              title: t('gateways.version.reason'),
              ellipsis: true,
              render: (_, v) => reasonText(t, v.reason),
            },
            {
              key: 'state',
              title: t('gateways.version.state'),
              width: 120,
              render: (_, v) => <VersionStateTag state={v.state} error={v.error} />,
            },
            {
              key: 'actions',
              title: '',
              width: 120,
              render: (_, v) =>
                v.kind === 'config' && v.state !== 'failed' && v.number !== applied ? (
                  <Button
                    size="small"
                    onClick={() => setRollbackTarget(v)}
                    data-testid={`rollback-version-${v.number}`}
                  >
                    {t('gateways.rollback')}
                  </Button>
                ) : null,
            },
          ]}
        />
      )}
      {versions.hasNextPage ? (
        <Button
          style={{ marginTop: 12 }}
          onClick={() => void versions.fetchNextPage()}
          loading={versions.isFetchingNextPage}
        >
          {t('common.loadMore')}
        </Button>
      ) : null}
      <VersionDrawer gateway={gateway} n={viewing} onClose={() => setViewing(null)} />
      <RollbackModal gateway={gateway} target={rollbackTarget} onClose={() => setRollbackTarget(null)} />
    </>
  );
}
