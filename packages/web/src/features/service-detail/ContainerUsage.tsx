import { Space, Typography } from 'antd';
import type { StatsSample } from '@berth/shared';
import { formatBytes, formatPercent } from '../../components/chart-math';
import { Sparkline } from '../../components/Sparkline';
import { useI18n } from '../../i18n/I18nProvider';

/** A container's CPU and memory over the last minutes: two sparklines with the latest values. */
export function ContainerUsage(props: {
  samples: readonly StatsSample[] | undefined;
  /** The service's memory limit; without one the engine reports the host's memory, not shown. */
  memoryMiB: number | undefined;
}) {
  const { samples, memoryMiB } = props;
  const { t } = useI18n();
  const last = samples?.[samples.length - 1];
  if (!samples || !last) return <Typography.Text type="secondary">{t('metrics.noSamples')}</Typography.Text>;
  const limit = memoryMiB ? memoryMiB * 1024 * 1024 : undefined;
  const cpu = t('metrics.cpuNow', { value: formatPercent(last.cpuPercent) });
  const memory = t('metrics.memoryNow', {
    value: formatBytes(last.memoryBytes) + (limit ? ` / ${formatBytes(limit)}` : ''),
  });
  return (
    <Space direction="vertical" size={0} data-testid="container-usage">
      <Space size={6}>
        <Sparkline values={samples.map((s) => s.cpuPercent)} label={cpu} />
        <Typography.Text style={{ fontSize: 12 }}>{cpu}</Typography.Text>
      </Space>
      <Space size={6}>
        <Sparkline values={samples.map((s) => s.memoryBytes)} label={memory} max={limit} color="#52c41a" />
        <Typography.Text style={{ fontSize: 12 }}>{memory}</Typography.Text>
      </Space>
    </Space>
  );
}
