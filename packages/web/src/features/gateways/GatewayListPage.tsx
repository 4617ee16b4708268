import { useState } from 'react';
import { Button, Empty, Space, Table, Typography } from 'antd';
import { useQueries, useQuery } from '@tanstack/react-query';
import type { Gateway } from '@berth/shared';
import { Link } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { useMe } from '../auth/session';
import { CreateGatewayModal } from './CreateGatewayModal';
import { DeleteGatewayButton } from './DeleteGatewayButton';
import { gatewayKey, listGateways, listNodes } from './gateways-api';
import { isPlatformAdmin } from './nav';

/** Every gateway (Nginx cluster): its environment, listeners and the version it runs. */
export function GatewayListPage() {
  const { t } = useI18n();
  const gateways = useQuery({ queryKey: ['gateways'], queryFn: listGateways, refetchInterval: 10_000 });
  const [creating, setCreating] = useState(false);
  const me = useMe();
  const admin = me.data ? isPlatformAdmin(me.data) : false;
  // Node states are for platform admins; others see the gateways without them.
  const nodes = useQueries({
    queries: (admin ? (gateways.data?.items ?? []) : []).map((g) => ({
      queryKey: [...gatewayKey(g.name), 'nodes'],
      queryFn: () => listNodes(g.name),
      refetchInterval: 10_000,
    })),
  });
  const inSync = (i: number) => {
    const items = nodes[i]?.data?.items;
    return items ? `${items.filter((n) => n.state === 'in-sync').length}/${items.length}` : '—';
  };
  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('gateways.title')}
        </Typography.Title>
        {admin ? (
          <Space>
            <Link to="/entry-ports" data-testid="open-entry-ports">
              <Button>{t('entryPorts.open')}</Button>
            </Link>
            <Button type="primary" onClick={() => setCreating(true)} data-testid="create-gateway">
              {t('gateways.create')}
            </Button>
          </Space>
        ) : null}
      </div>
      <CreateGatewayModal open={creating} onClose={() => setCreating(false)} />
      <Typography.Paragraph type="secondary">{t('gateways.intro')}</Typography.Paragraph>
      {gateways.isPending ? <PageSkeleton /> : null}
      {gateways.isError ? (
        <ErrorState error={gateways.error} onRetry={() => void gateways.refetch()} />
      ) : null}
      {gateways.data ? (
        <Table<Gateway>
          rowKey="name"
          size="middle"
          dataSource={gateways.data.items}
          pagination={false}
          scroll={{ x: 900 }}
          data-testid="gateways-table"
          locale={{ emptyText: <Empty description={t('gateways.empty')} /> }}
          columns={[
            {
              key: 'name',
              title: t('gateways.col.name'),
              render: (_, g) => (
                <>
                  <Link to={`/gateways/${g.name}/versions`} data-testid={`gateway-link-${g.name}`}>
                    {g.name}
                  </Link>
                  {g.description ? (
                    <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
                      {g.description}
                    </Typography.Paragraph>
                  ) : null}
                </>
              ),
            },
            { key: 'env', title: t('gateways.col.env'), dataIndex: 'env' },
            {
              key: 'listen',
              title: t('gateways.col.listen'),
              render: (_, g) => (
                <Typography.Text code>
                  {g.tlsListen ? `${g.listen} · TLS ${g.tlsListen}` : g.listen}
                </Typography.Text>
              ),
            },
            {
              key: 'suffix',
              title: t('gateways.col.suffix'),
              render: (_, g) => <Typography.Text code>{`*.${g.env}.${g.domainSuffix}`}</Typography.Text>,
            },
            {
              key: 'version',
              title: t('gateways.col.version'),
              render: (_, g) => (g.appliedVersion ? `#${g.appliedVersion}` : t('gateways.version.none')),
            },
            {
              key: 'nodes',
              title: t('gateways.nodes.inSync'),
              render: (_, g, i) => (
                <Link to={`/gateways/${g.name}/nodes`} data-testid={`gateway-nodes-${g.name}`}>
                  {inSync(i)}
                </Link>
              ),
            },
            {
              key: 'updated',
              title: t('gateways.col.updated'),
              render: (_, g) => <TimeText at={g.updatedAt} />,
            },
            ...(admin
              ? [
                  {
                    key: 'actions',
                    title: '',
                    width: 100,
                    render: (_: unknown, g: Gateway) => <DeleteGatewayButton gateway={g.name} />,
                  },
                ]
              : []),
          ]}
        />
      ) : null}
    </>
  );
}
