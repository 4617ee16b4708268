import { Tag } from 'antd';
import type { ServiceStatus, TaskState } from '@berth/shared';
import { useI18n } from '../i18n/I18nProvider';
import './status-chip.css';

const serviceColors: Record<ServiceStatus, string> = {
  healthy: 'success',
  progressing: 'processing',
  degraded: 'warning',
  stopped: 'default',
  failed: 'error',
};

export function StatusTag({ status }: { status: ServiceStatus }) {
  const { t } = useI18n();
  return (
    <Tag color={serviceColors[status]} data-status={status}>
      {t(`status.${status}`)}
    </Tag>
  );
}

/**
 * The same look as StatusTag in plain elements (status-chip.css), for the rows of long lists: a
 * Tag makes antd build its styles during the list's first render.
 */
export function StatusChip({ status }: { status: ServiceStatus }) {
  const { t } = useI18n();
  return (
    <span className={`status-chip status-chip-${serviceColors[status]}`} data-status={status}>
      {t(`status.${status}`)}
    </span>
  );
}

const taskColors: Record<TaskState, string> = {
  queued: 'default',
  running: 'processing',
  succeeded: 'success',
  failed: 'error',
  cancelled: 'default',
};

export function TaskStateTag({ state }: { state: TaskState }) {
  const { t } = useI18n();
  return (
    <Tag color={taskColors[state]} data-state={state}>
      {t(`tasks.state.${state}`)}
    </Tag>
  );
}
