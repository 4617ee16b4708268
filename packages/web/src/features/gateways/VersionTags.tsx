import { Tag, Tooltip } from 'antd';
import type { GatewayVersionKind, GatewayVersionState } from '@berth/shared';
import { useI18n } from '../../i18n/I18nProvider';

const stateColors: Record<GatewayVersionState, string> = {
  applied: 'success',
  failed: 'error',
  'rolled-back': 'default',
};

export function VersionStateTag({ state, error }: { state: GatewayVersionState; error?: string | null }) {
  const { t } = useI18n();
  const tag = (
    <Tag color={stateColors[state]} data-state={state}>
      {t(`gateways.version.state.${state}`)}
    </Tag>
  );
  return error ? <Tooltip title={error}>{tag}</Tooltip> : tag;
}

export function VersionKindTag({ kind }: { kind: GatewayVersionKind }) {
  const { t } = useI18n();
  return <Tag color={kind === 'config' ? 'blue' : 'default'}>{t(`gateways.version.kind.${kind}`)}</Tag>;
}
