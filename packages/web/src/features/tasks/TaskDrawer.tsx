import { Drawer, Empty } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';
import { TaskCard } from './TaskCard';

/** The task center's drawer: a card per tracked task, newest first. */
export function TaskDrawer({
  ids,
  open,
  onClose,
  onDismiss,
  onFinished,
}: {
  ids: string[];
  open: boolean;
  onClose: () => void;
  onDismiss: (id: string) => void;
  onFinished: (id: string) => void;
}) {
  const { t } = useI18n();
  return (
    <Drawer
      title={t('tasks.title')}
      open={open}
      onClose={onClose}
      size={520}
      // The cards poll their tasks (the header's badge counts the running ones) while it is closed.
      forceRender
      data-testid="task-drawer"
    >
      {ids.length === 0 ? <Empty description={t('tasks.empty')} /> : null}
      {ids.map((id) => (
        <TaskCard key={id} id={id} onDismiss={onDismiss} onFinished={onFinished} />
      ))}
    </Drawer>
  );
}
