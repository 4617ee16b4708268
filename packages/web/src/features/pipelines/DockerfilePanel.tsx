import { Card, Tabs, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { Pipeline } from '@berth/shared';
import { InlineError } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { useI18n } from '../../i18n/I18nProvider';
import { getDockerfiles, pipelineKeys } from './pipelines-api';
import './strings';

/** The Dockerfiles Berth generates from the saved pipeline, read-only, as the builder uses them. */
export function DockerfilePanel({ pipeline }: { pipeline: Pipeline }) {
  const { t } = useI18n();
  const files = useQuery({
    queryKey: [...pipelineKeys.dockerfile(pipeline.project, pipeline.name), pipeline.version],
    queryFn: () => getDockerfiles(pipeline.project, pipeline.name),
  });
  return (
    <Card
      size="small"
      title={t('pipelines.dockerfile.title')}
      style={{ marginBottom: 16 }}
      data-testid="dockerfile-panel"
    >
      <Typography.Paragraph type="secondary">{t('pipelines.dockerfile.hint')}</Typography.Paragraph>
      {files.isPending ? <PageSkeleton /> : null}
      {files.isError ? <InlineError error={files.error} /> : null}
      {files.data ? (
        <Tabs
          size="small"
          items={[
            {
              key: 'image',
              label: t('pipelines.dockerfile.image'),
              children: (
                <pre className="code-panel" data-testid="generated-dockerfile" aria-readonly>
                  {files.data.dockerfile}
                </pre>
              ),
            },
            ...(files.data.preDockerfile
              ? [
                  {
                    key: 'pre',
                    label: t('pipelines.dockerfile.pre'),
                    children: (
                      <pre className="code-panel" data-testid="generated-pre-dockerfile" aria-readonly>
                        {files.data.preDockerfile}
                      </pre>
                    ),
                  },
                ]
              : []),
          ]}
        />
      ) : null}
    </Card>
  );
}
