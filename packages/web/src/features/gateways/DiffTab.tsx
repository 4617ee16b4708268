import { Button, Card, Empty, Select, Skeleton, Space, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { DiffView } from './DiffView';
import { diffVersions, gatewayKey, listVersions } from './gateways-api';
import { diffStats } from './side-by-side';
import { reasonText } from './version-reason';

/** Pick any two versions (A and B, kept in the URL) and read their diff side by side. */
export function DiffTab({ gateway }: { gateway: string }) {
  const { t, lang } = useI18n();
  const [params, setParams] = useSearchParams();
  const recent = useQuery({
    queryKey: [...gatewayKey(gateway), 'versions', 'pick'],
    queryFn: () => listVersions(gateway, { limit: 200 }),
  });
  const items = recent.data?.items ?? [];
  const configs = items.filter((v) => v.kind === 'config' && v.state !== 'failed');
  const a = Number(params.get('a')) || configs[1]?.number || items[1]?.number;
  const b = Number(params.get('b')) || configs[0]?.number || items[0]?.number;
  const diff = useQuery({
    queryKey: [...gatewayKey(gateway), 'diff', a, b],
    queryFn: () => diffVersions(gateway, a ?? 0, b ?? 0),
    enabled: Boolean(a && b),
    staleTime: Infinity,
  });
  const pick = (side: 'a' | 'b') => (n: number) => {
    const next = new URLSearchParams(params);
    next.set('a', String(side === 'a' ? n : (a ?? n)));
    next.set('b', String(side === 'b' ? n : (b ?? n)));
    setParams(next, { replace: true });
  };
  const options = items.map((v) => ({
    value: v.number,
    label: `#${v.number} · ${t(`gateways.version.kind.${v.kind}`)} · ${formatDateTime(v.createdAt, lang)} · ${reasonText(t, v.reason)}`,
  }));
  const stats = diff.data ? diffStats(diff.data.diff) : null;

  const picker = (side: 'a' | 'b') => (
    <>
      <Typography.Text strong>{side.toUpperCase()}</Typography.Text>
      <Select
        id={`diff-${side}`}
        aria-label={t(side === 'a' ? 'gateways.diff.pickA' : 'gateways.diff.pickB')}
        showSearch
        optionFilterProp="label"
        value={side === 'a' ? a : b}
        options={options}
        onChange={pick(side)}
        style={{ width: 420 }}
      />
    </>
  );

  if (recent.isPending) return <Skeleton active />;
  if (recent.isError) return <ErrorState error={recent.error} onRetry={() => void recent.refetch()} />;
  if (items.length < 2) return <Empty description={t('gateways.diff.needTwo')} />;
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Card size="small">
        <Space wrap align="center">
          {picker('a')}
          <Button
            onClick={() => {
              if (a && b) setParams(new URLSearchParams({ a: String(b), b: String(a) }), { replace: true });
            }}
            aria-label={t('gateways.diff.swap')}
          >
            ⇄
          </Button>
          {picker('b')}
          {stats ? (
            <Space size={4} data-testid="diff-stats">
              <Tag color="green">+{stats.added}</Tag>
              <Tag color="red">−{stats.removed}</Tag>
            </Space>
          ) : null}
        </Space>
      </Card>
      {diff.isPending && a && b ? <Skeleton active /> : null}
      {diff.isError ? <ErrorState error={diff.error} onRetry={() => void diff.refetch()} /> : null}
      {diff.data ? (
        <DiffView
          diff={diff.data.diff}
          from={t('gateways.diff.side', { version: diff.data.from })}
          to={t('gateways.diff.side', { version: diff.data.to })}
        />
      ) : null}
    </Space>
  );
}
