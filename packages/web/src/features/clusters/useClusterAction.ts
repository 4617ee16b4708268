import { App } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { clusterAction, clusterKeys, type ClusterAction } from './clusters-api';
import './strings';

/** Runs cordon/uncordon/drain/undrain/check on one cluster, says what happened, refreshes the pages. */
export function useClusterAction(name: string) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (action: ClusterAction) => clusterAction(name, action),
    onSuccess: async (cluster, action) => {
      queryClient.setQueryData(clusterKeys.one(name), (old: object | undefined) =>
        old ? { ...old, ...cluster } : cluster,
      );
      if (action === 'check')
        void message.success(
          t('clusters.check.done', { cluster: name, state: t(`clusters.state.${cluster.state}`) }),
        );
      else void message.success(t(`clusters.${action}.done`, { cluster: name }));
      await queryClient.invalidateQueries({ queryKey: clusterKeys.all });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
}
