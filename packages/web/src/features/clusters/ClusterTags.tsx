import { Progress, Space, Tag, Tooltip } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';
import type { Cluster, ClusterCapacity, ClusterState } from './clusters-api';
import { capacityBars, labelPairs } from './cluster-view';

const stateColors: Record<ClusterState, string> = {
  ready: 'success',
  degraded: 'warning',
  unreachable: 'error',
  unknown: 'default',
};

/** A state as a plain coloured tag (in the events). */
export function StateTag({ state }: { state: ClusterState }) {
  const { t } = useI18n();
  return (
    <Tag color={stateColors[state]} data-state={state}>
      {t(`clusters.state.${state}`)}
    </Tag>
  );
}

/** The state as a coloured tag; hovering shows why it is not ready (the last check's message). */
export function ClusterStateTag({ cluster }: { cluster: Pick<Cluster, 'name' | 'state' | 'message'> }) {
  const { t } = useI18n();
  const tag = (
    <Tag
      color={stateColors[cluster.state]}
      data-state={cluster.state}
      data-testid={`cluster-state-${cluster.name}`}
    >
      {t(`clusters.state.${cluster.state}`)}
    </Tag>
  );
  const hint = cluster.message ?? (cluster.state === 'unknown' ? t('clusters.state.notChecked') : null);
  return hint ? (
    <Tooltip title={<span translate="no">{hint}</span>}>
      <span data-testid={`cluster-message-${cluster.name}`}>{tag}</span>
    </Tooltip>
  ) : (
    tag
  );
}

/** "Cordoned" and "Draining" tags, each explaining itself on hover. */
export function ClusterFlags({ cluster }: { cluster: Pick<Cluster, 'name' | 'cordoned' | 'draining'> }) {
  const { t } = useI18n();
  return (
    <>
      {cluster.cordoned ? (
        <Tooltip title={t('clusters.cordoned.help')}>
          <Tag color="orange" data-testid={`cluster-cordoned-${cluster.name}`}>
            {t('clusters.cordoned')}
          </Tag>
        </Tooltip>
      ) : null}
      {cluster.draining ? (
        <Tooltip title={t('clusters.draining.help')}>
          <Tag color="purple" data-testid={`cluster-draining-${cluster.name}`}>
            {t('clusters.draining')}
          </Tag>
        </Tooltip>
      ) : null}
    </>
  );
}

/** The labels as `key=value` tags. */
export function ClusterLabels({ labels }: { labels: Record<string, string> }) {
  const pairs = labelPairs(labels);
  if (!pairs.length) return <span>—</span>;
  return (
    <Space size={[0, 4]} wrap>
      {pairs.map((p) => (
        <Tag key={p} translate="no">
          {p}
        </Tag>
      ))}
    </Space>
  );
}

/** One capacity bar: how much of it Berth's containers use, with the numbers beside it. */
export function CapacityBar({
  capacity,
  kind,
  testId,
}: {
  capacity: ClusterCapacity | null;
  kind: 'memory' | 'cpu';
  testId: string;
}) {
  const { t } = useI18n();
  if (!capacity) return <span data-testid={testId}>{t('clusters.capacity.none')}</span>;
  const bar = capacityBars(capacity)[kind];
  return (
    <div className="cluster-capacity" data-testid={testId}>
      <Progress
        percent={bar.percent}
        size="small"
        showInfo={false}
        status={bar.percent >= 90 ? 'exception' : 'normal'}
        aria-label={bar.text}
      />
      <span className="cluster-capacity-text">{bar.text}</span>
    </div>
  );
}
