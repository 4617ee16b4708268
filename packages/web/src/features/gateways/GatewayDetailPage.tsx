import { Descriptions, Space, Tabs, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { useI18n } from '../../i18n/I18nProvider';
import { DiffTab } from './DiffTab';
import { NodesTab } from './NodesTab';
import { SnippetsTab } from './SnippetsTab';
import { VipTab } from './VipTab';
import { gatewayKey, getGateway } from './gateways-api';
import { VersionsTab } from './VersionsTab';

const tabs = ['versions', 'diff', 'nodes', 'snippets', 'vip'] as const;
type TabKey = (typeof tabs)[number];

/** One gateway; each tab is a URL (`/gateways/local/diff?a=3&b=7`) so it can be shared. */
export function GatewayDetailPage() {
  const { gateway = '', tab = 'versions' } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const gw = useQuery({
    queryKey: [...gatewayKey(gateway), 'info'],
    queryFn: () => getGateway(gateway),
    refetchInterval: 5000,
  });
  const active: TabKey = (tabs as readonly string[]).includes(tab) ? (tab as TabKey) : 'versions';
  const body = () => {
    if (!gw.data) return null;
    switch (active) {
      case 'versions':
        return <VersionsTab gateway={gateway} applied={gw.data.appliedVersion} />;
      case 'diff':
        return <DiffTab gateway={gateway} />;
      case 'nodes':
        return <NodesTab gateway={gw.data} />;
      case 'snippets':
        return <SnippetsTab key={gw.data.version} gateway={gw.data} />;
      case 'vip':
        return <VipTab gateway={gw.data} />;
    }
  };
  return (
    <>
      <div className="page-head">
        <Space align="center">
          <Link to="/gateways">{t('gateways.back')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="gateway-title">
            {gateway}
          </Typography.Title>
        </Space>
      </div>
      {gw.isPending ? <PageSkeleton /> : null}
      {gw.isError ? <ErrorState error={gw.error} onRetry={() => void gw.refetch()} /> : null}
      {gw.data ? (
        <>
          <Descriptions size="small" column={{ xs: 1, md: 2, xl: 4 }} style={{ marginBottom: 8 }}>
            <Descriptions.Item label={t('gateways.col.env')}>{gw.data.env}</Descriptions.Item>
            <Descriptions.Item label={t('gateways.col.listen')}>
              {gw.data.tlsListen ? `${gw.data.listen} · TLS ${gw.data.tlsListen}` : gw.data.listen}
            </Descriptions.Item>
            <Descriptions.Item
              label={t('gateways.col.suffix')}
            >{`*.${gw.data.env}.${gw.data.domainSuffix}`}</Descriptions.Item>
            <Descriptions.Item label={t('gateways.col.version')}>
              <span data-testid="gateway-applied">#{gw.data.appliedVersion}</span>
            </Descriptions.Item>
          </Descriptions>
          <Tabs
            activeKey={active}
            onChange={(key) => void navigate(`/gateways/${gateway}/${key}`)}
            items={tabs.map((key) => ({ key, label: t(`gateways.tab.${key}`) }))}
          />
        </>
      ) : null}
      {body()}
    </>
  );
}
