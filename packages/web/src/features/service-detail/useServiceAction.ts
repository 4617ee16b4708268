import { App } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ServiceWithTask } from '../../api/resources';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { useTaskCenter } from '../tasks/TaskCenter';

/**
 * Runs a service action (scale, rollback, promote) and hands its task to the task drawer; errors
 * become a message that says what to do, never the raw body.
 */
export function useServiceAction<V>(run: (vars: V) => Promise<ServiceWithTask>) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const tasks = useTaskCenter();
  return useMutation({
    mutationFn: run,
    onSuccess: (result) => {
      if (result.task) tasks.track(result.task);
      void queryClient.invalidateQueries({ queryKey: ['service'] });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
}
