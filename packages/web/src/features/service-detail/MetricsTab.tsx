import { useMemo, useState } from 'react';
import { Alert, Card, Col, Row, Segmented, Space, Typography } from 'antd';
import type { ServiceRef } from '../../api/paths';
import { formatBytes, formatPercent, formatRate } from '../../components/chart-math';
import { ErrorState } from '../../components/ErrorState';
import { TimeSeriesChart, type Series } from '../../components/TimeSeriesChart';
import { useI18n } from '../../i18n/I18nProvider';
import { byContainer, perContainer, thin, totalRate } from './stats-series';
import { useServiceStats } from './useServiceStats';

const ranges = ['15m', '1h', '6h'] as const;

/**
 * Metrics of the service's containers over time, from the sampled stats: CPU and memory per
 * container, network and disk throughput of the whole service (rates of the byte counters).
 */
export function MetricsTab({ serviceRef }: { serviceRef: ServiceRef }) {
  const { t, lang } = useI18n();
  const [range, setRange] = useState<(typeof ranges)[number]>('15m');
  const stats = useServiceStats(serviceRef, range);
  const charts = useMemo(() => {
    const groups = byContainer(stats.data?.items ?? []);
    const thinAll = (series: Series[]) => series.map((s) => ({ ...s, points: thin(s.points) }));
    return {
      cpu: thinAll(perContainer(groups, 'cpuPercent')),
      memory: thinAll(perContainer(groups, 'memoryBytes')),
      network: thinAll([
        { name: t('metrics.rx'), points: totalRate(groups, 'netRxBytes') },
        { name: t('metrics.tx'), points: totalRate(groups, 'netTxBytes') },
      ]),
      disk: thinAll([
        { name: t('metrics.read'), points: totalRate(groups, 'blockReadBytes') },
        { name: t('metrics.write'), points: totalRate(groups, 'blockWriteBytes') },
      ]),
    };
  }, [stats.data, t]);

  if (stats.isError) return <ErrorState error={stats.error} onRetry={() => void stats.refetch()} />;
  const empty = stats.isPending ? t('common.loading') : t('metrics.empty');
  const chart = (key: keyof typeof charts, title: string, format: (v: number) => string) => (
    <Col xs={24} xl={12}>
      <Card size="small" title={title}>
        <TimeSeriesChart
          series={charts[key]}
          format={format}
          lang={lang}
          emptyText={empty}
          testId={`chart-${key}`}
        />
      </Card>
    </Col>
  );
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Space wrap>
        <Typography.Text type="secondary">{t('metrics.range')}</Typography.Text>
        <Segmented
          value={range}
          onChange={setRange}
          options={ranges.map((r) => ({ value: r, label: t(`metrics.range.${r}`) }))}
        />
        <Typography.Text type="secondary">{t('metrics.note')}</Typography.Text>
      </Space>
      {stats.data?.unavailable?.map((u) => (
        <Alert
          key={u.cluster}
          type="info"
          showIcon
          data-testid="metrics-unavailable"
          message={t('metrics.unavailable', { cluster: u.cluster })}
          description={u.message}
        />
      ))}
      <Row gutter={[16, 16]}>
        {chart('cpu', t('metrics.cpu'), formatPercent)}
        {chart('memory', t('metrics.memory'), formatBytes)}
        {chart('network', t('metrics.network'), formatRate)}
        {chart('disk', t('metrics.disk'), formatRate)}
      </Row>
    </Space>
  );
}
