import { App } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { pipelineKeys, startBuild } from './pipelines-api';
import './strings';

/** "Build now": queues a build of the pipeline's ref and opens the build's page. */
export function useBuildNow(project: string, env: string) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (pipeline: string) => startBuild(project, pipeline),
    onSuccess: async ({ build }, pipeline) => {
      void message.success(t('builds.started', { pipeline, number: build.number }));
      await queryClient.invalidateQueries({ queryKey: pipelineKeys.builds(project, pipeline) });
      void navigate(`/p/${project}/${env}/builds/${build.id}`);
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
}
