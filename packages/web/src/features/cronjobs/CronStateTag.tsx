import { Tag } from 'antd';
import type { CronRunState } from '@berth/shared';
import { useI18n } from '../../i18n/I18nProvider';
import './strings';

const colors: Record<CronRunState, string | undefined> = {
  pending: 'default',
  running: 'processing',
  backoff: 'orange',
  succeeded: 'success',
  failed: 'error',
  skipped: 'gold',
  missed: 'gold',
};

/** A run's state as a coloured tag. */
export function CronStateTag({ state }: { state: CronRunState }) {
  const { t } = useI18n();
  return (
    <Tag color={colors[state]} data-testid={`cron-state-${state}`}>
      {t(`cron.state.${state}`)}
    </Tag>
  );
}
