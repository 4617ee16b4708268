import { Card, List, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import type { ServiceRef } from '../../api/paths';
import { InlineError } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { LastBuild } from './LastBuild';
import { listPipelines, pipelineKeys } from './pipelines-api';
import './strings';

/**
 * The pipelines that deploy to one service, each with its last build: a small card for the
 * service overview. Renders nothing when no pipeline targets the service.
 */
export function ServicePipelines({ serviceRef }: { serviceRef: ServiceRef }) {
  const { t } = useI18n();
  const pipelines = useQuery({
    queryKey: pipelineKeys.all(serviceRef.project),
    queryFn: () => listPipelines(serviceRef.project),
  });
  if (pipelines.isError) return <InlineError error={pipelines.error} />;
  const mine = (pipelines.data?.items ?? []).filter(
    (p) => p.target.env === serviceRef.env && p.target.service === serviceRef.service,
  );
  if (mine.length === 0) return null;
  const base = `/p/${serviceRef.project}/${serviceRef.env}/pipelines`;
  return (
    <Card size="small" title={t('pipelines.service.title')} data-testid="service-pipelines">
      <List
        size="small"
        dataSource={mine}
        renderItem={(p) => (
          <List.Item key={p.name}>
            <Typography.Text strong>
              <Link to={`${base}/${p.name}`}>{p.name}</Link>
            </Typography.Text>
            <LastBuild pipeline={p} env={serviceRef.env} />
          </List.Item>
        )}
      />
    </Card>
  );
}
