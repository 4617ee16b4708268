import { Skeleton, Space, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { Pipeline } from '@berth/shared';
import { Link } from 'react-router-dom';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { BuildStateTag, buildDurationMs, CommitText, formatDuration, isBuildFinished } from './build-view';
import { listBuilds, pipelineKeys } from './pipelines-api';
import './strings';

/** The newest build of a pipeline: state, duration, commit, when; refreshed while it runs. */
export function LastBuild({ pipeline, env }: { pipeline: Pipeline; env: string }) {
  const { t } = useI18n();
  const builds = useQuery({
    queryKey: [...pipelineKeys.builds(pipeline.project, pipeline.name), 'last'],
    queryFn: () => listBuilds(pipeline.project, pipeline.name, { limit: 1 }),
    refetchInterval: (q) => {
      const last = q.state.data?.items[0];
      return last && !isBuildFinished(last.state) ? 3000 : 30_000;
    },
  });
  if (builds.isPending) return <Skeleton.Input size="small" active />;
  if (builds.isError)
    return <Typography.Text type="secondary">{t('pipelines.lastBuild.error')}</Typography.Text>;
  const last = builds.data.items[0];
  if (!last) return <Typography.Text type="secondary">{t('pipelines.lastBuild.none')}</Typography.Text>;
  return (
    <Space size={4} wrap data-testid={`last-build-${pipeline.name}`}>
      <Link to={`/p/${pipeline.project}/${env}/builds/${last.id}`}>#{last.number}</Link>
      <BuildStateTag state={last.state} />
      <Typography.Text type="secondary">{formatDuration(buildDurationMs(last))}</Typography.Text>
      <CommitText build={last} />
      <TimeText at={last.createdAt} />
    </Space>
  );
}
