import { Select } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';

/**
 * The cluster filter of the containers and history tabs: a select of the clusters present, empty
 * for all of them (docs/fleet.md, "Containers across clusters").
 */
export function ClusterFilter({
  clusters,
  value,
  onChange,
}: {
  clusters: readonly string[];
  value: string | undefined;
  onChange: (cluster: string | undefined) => void;
}) {
  const { t } = useI18n();
  const names = [...new Set([...clusters, ...(value ? [value] : [])])].sort((a, b) =>
    a === 'local' ? -1 : b === 'local' ? 1 : a.localeCompare(b),
  );
  return (
    <Select<string>
      allowClear
      style={{ width: 200 }}
      data-testid="cluster-filter"
      aria-label={t('container.filterCluster')}
      placeholder={t('container.allClusters')}
      value={value}
      onChange={(v) => onChange(v || undefined)}
      options={names.map((name) => ({ value: name, label: name }))}
    />
  );
}
