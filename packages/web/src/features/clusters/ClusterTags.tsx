import { Progress, Space, Tag, Tooltip, Typography } from 'antd';
import type { ClusterRegistryCheck } from '@berth/shared';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import type { Cluster, ClusterCapacity, ClusterState } from './clusters-api';
import { capacityBars, labelPairs, registryCheckShown } from './cluster-view';
import './strings';

const registryCheckColors = { ok: 'success', failed: 'error', skipped: 'default', none: 'default' } as const;

/**
 * The last registry check: whether the cluster's Podman reached Berth's registry under the
 * cluster's address for it, when, and what it said (on a failure, what failed and the fix).
 */
export function RegistryCheckView({
  check,
  shownAbove,
}: {
  check: ClusterRegistryCheck | null;
  /** The cluster's message, shown above the details: a failure's text is not repeated here. */
  shownAbove?: string | null;
}) {
  const { t } = useI18n();
  const shown = registryCheckShown(check);
  if (!check)
    return (
      <span data-testid="cluster-registry-check" data-check="none">
        {t('clusters.registryCheck.none')}
      </span>
    );
  return (
    <Space direction="vertical" size={2} data-testid="cluster-registry-check" data-check={shown}>
      <Space size={4} wrap>
        <Tag color={registryCheckColors[shown]}>{t(`clusters.registryCheck.${shown}`)}</Tag>
        <Typography.Text type="secondary">
          {t('clusters.registryCheck.as', { registry: check.registry })}
        </Typography.Text>
        <TimeText at={check.checkedAt} />
      </Space>
      {shown === 'ok' || shownAbove?.includes(check.message) ? null : (
        <Typography.Text
          type={shown === 'failed' ? 'danger' : 'secondary'}
          translate="no"
          data-testid="cluster-registry-check-message"
        >
          {check.message}
        </Typography.Text>
      )}
    </Space>
  );
}

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

/**
 * The cluster's kind and, once a check read it, its engine's version ("Kubernetes v1.31.2",
 * "Podman 4.3.1"): the two kinds behave differently (who runs the rollout, how pods are reached),
 * so the list says which one a row is.
 */
export function ClusterKindTag({ cluster }: { cluster: Pick<Cluster, 'name' | 'kind' | 'engineVersion'> }) {
  const { t } = useI18n();
  const kind = cluster.kind === 'kubernetes' ? t('clusters.kind.kubernetes') : t('clusters.kind.podman');
  return (
    <Tag
      color={cluster.kind === 'kubernetes' ? 'blue' : 'default'}
      translate="no"
      data-kind={cluster.kind}
      data-testid={`cluster-kind-${cluster.name}`}
    >
      {cluster.engineVersion ? t('clusters.kind.version', { kind, version: cluster.engineVersion }) : kind}
    </Tag>
  );
}
