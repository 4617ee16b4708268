import { App, Button, Popconfirm } from 'antd';
import { useMutation } from '@tanstack/react-query';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { useTaskCenter } from '../tasks/TaskCenter';
import { startGc } from './images-api';

/** Starts garbage collection of the embedded registry; the task's progress shows in the task drawer. */
export function GcButton({ registry }: { registry: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { track } = useTaskCenter();
  const gc = useMutation({
    mutationFn: () => startGc(registry),
    onSuccess: (task) => {
      track(task);
      void message.info(t('images.gc.started'));
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  return (
    <Popconfirm
      title={t('images.gc.confirm')}
      okText={t('images.gc')}
      cancelText={t('common.cancel')}
      onConfirm={() => gc.mutate()}
    >
      <Button loading={gc.isPending} data-testid="gc-button">
        {t('images.gc')}
      </Button>
    </Popconfirm>
  );
}
