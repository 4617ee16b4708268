import { Space, Tag, Tooltip } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { divisionKinds, type DivisionKind, type PlacementInput } from '@berth/shared';
import { refKey, type ServiceRef } from '../../api/paths';
import { useI18n, type Translate } from '../../i18n/I18nProvider';
import { reasonText } from './PlacementEditor';
import { previewServicePlacement } from './service-api';
import { clusterKeys, listClusters } from '../clusters/clusters-api';
import { defaultPlacementOf, describePlacement } from './service-form';

/**
 * "local ×2, c1 ×1 (weighted)" in the UI's language; the default placement says so, and which one
 * it is (`clusterNames`: the registered clusters, defaultPlacementOf).
 */
export function placementText(
  t: Translate,
  placement: PlacementInput | undefined,
  clusterNames: readonly string[] | null = null,
): string {
  if (!placement)
    return t(
      defaultPlacementOf(clusterNames).clusters === 'all'
        ? 'svc.placement.overview.defaultAll'
        : 'svc.placement.overview.default',
    );
  return describePlacement(placement, {
    all: t('svc.placement.summary.all'),
    division: Object.fromEntries(divisionKinds.map((d) => [d, t(`svc.placement.division.${d}`)])) as Record<
      DivisionKind,
      string
    >,
    min: (count) => t('svc.placement.summary.min', { count }),
  });
}

/**
 * The service's placement and its replicas per cluster: running now, and the division's count
 * when it differs (a move or scale in progress), from the service's placement preview.
 */
export function PlacementSummary({
  serviceRef,
  placement,
}: {
  serviceRef: ServiceRef;
  placement: PlacementInput | undefined;
}) {
  const { t } = useI18n();
  const division = useQuery({
    queryKey: ['service', ...refKey(serviceRef), 'placement'],
    queryFn: () => previewServicePlacement(serviceRef, {}),
    // stops polling once it fails (a deleted service, an expired session) instead of repeating errors
    refetchInterval: (q) => (q.state.status === 'error' ? false : 5000),
    retry: false,
  });
  const clusters = useQuery({ queryKey: clusterKeys.list(''), queryFn: () => listClusters() });
  const clusterNames = clusters.data?.items.map((c) => c.name) ?? null;
  const items = (division.data?.items ?? []).filter((i) => i.replicas > 0 || i.current > 0);
  return (
    <Space direction="vertical" size={4}>
      <span data-testid="service-placement" translate="no">
        {placementText(t, placement, clusterNames)}
      </span>
      {items.length ? (
        <Space size={[4, 4]} wrap data-testid="service-placement-clusters">
          <span>{t('svc.placement.overview.perCluster')}</span>
          {items.map((i) => {
            const text =
              i.current === i.replicas
                ? `${i.cluster} ×${i.current}`
                : `${i.cluster} ×${i.current} → ${i.replicas}`;
            const tag = (
              <Tag
                key={i.cluster}
                color={i.current === i.replicas ? 'blue' : 'orange'}
                data-testid={`service-placement-${i.cluster}`}
                data-current={i.current}
                data-replicas={i.replicas}
                translate="no"
              >
                {text}
              </Tag>
            );
            return i.reason ? (
              <Tooltip key={i.cluster} title={reasonText(t, i.reason)}>
                {tag}
              </Tooltip>
            ) : (
              tag
            );
          })}
        </Space>
      ) : null}
    </Space>
  );
}
