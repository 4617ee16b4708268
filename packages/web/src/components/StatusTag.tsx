import { Tag } from 'antd';
import type { ServiceStatus, TaskState } from '@berth/shared';
import { useI18n } from '../i18n/I18nProvider';

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
