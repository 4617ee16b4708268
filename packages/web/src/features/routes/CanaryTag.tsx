import { Tag, Typography } from 'antd';
import type { Canary } from '@berth/shared';
import { useI18n } from '../../i18n/I18nProvider';
import { canaryRule, canaryTargetLabel } from './route-view';

/** "Canary 10% → web-v2" (or "→ Release 3"), or a dash when the route has none. */
export function CanaryTag({ canary }: { canary: Canary | null }) {
  const { t } = useI18n();
  if (!canary) return <Typography.Text type="secondary">—</Typography.Text>;
  const rule = canaryRule(canary);
  return (
    <Tag color="orange" data-testid="canary-tag">
      {t(`routes.canary.rule.${rule.kind}`, { rule: rule.text })} → {canaryTargetLabel(t, canary)}
    </Tag>
  );
}
