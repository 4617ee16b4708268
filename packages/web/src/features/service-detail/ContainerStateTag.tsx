import { Space, Tag } from 'antd';
import type { Container, ContainerState } from '@berth/shared';
import { useI18n } from '../../i18n/I18nProvider';

const colors: Partial<Record<ContainerState, string>> = {
  ready: 'success',
  running: 'processing',
  starting: 'processing',
  creating: 'processing',
  unhealthy: 'error',
  draining: 'warning',
  stopping: 'warning',
};

/** The container's state, plus a warning tag when it was taken out of rotation. */
export function ContainerStateTag({ container }: { container: Container }) {
  const { t } = useI18n();
  return (
    <Space size={2}>
      <Tag color={colors[container.state] ?? 'default'} data-state={container.state}>
        {t(`cstate.${container.state}`)}
      </Tag>
      {!container.inRotation && container.state !== 'exited' && container.state !== 'removed' ? (
        <Tag color="orange">{t('container.outOfRotation')}</Tag>
      ) : null}
    </Space>
  );
}
