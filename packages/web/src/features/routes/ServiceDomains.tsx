import { Card, Space, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { useI18n } from '../../i18n/I18nProvider';
import { listGateways } from '../gateways/gateways-api';
import { CanaryTag } from './CanaryTag';
import { listRoutes, routesKey } from './routes-api';
import { routeUsesService } from './route-view';

/**
 * The "Domains" area of a service: the wildcard domain its env's gateway gives it, and the
 * routes that send traffic to it (as their target or their canary), with a way to add one.
 */
export function ServiceDomains({ project, env, service }: { project: string; env: string; service: string }) {
  const { t } = useI18n();
  const gateways = useQuery({ queryKey: ['gateways'], queryFn: listGateways, staleTime: 60_000 });
  const routes = useQuery({ queryKey: routesKey(project, env), queryFn: () => listRoutes(project, env) });
  const gateway = gateways.data?.items.find((g) => g.env === env);
  const mine = (routes.data?.items ?? []).filter((r) => routeUsesService(r, service));
  const base = `/p/${project}/${env}/routes`;
  return (
    <Card
      size="small"
      title={t('routes.domains.title')}
      extra={<Link to={`${base}/new`}>{t('routes.create')}</Link>}
      data-testid="service-domains"
    >
      <Space orientation="vertical" style={{ width: '100%' }}>
        {gateway ? (
          <Space wrap>
            <Typography.Text type="secondary">{t('routes.domains.wildcard')}</Typography.Text>
            <Typography.Text
              code
              copyable
            >{`${service}.${project}.${env}.${gateway.domainSuffix}`}</Typography.Text>
            <Typography.Text type="secondary">
              {t('routes.domains.via', { listen: gateway.listen })}
            </Typography.Text>
          </Space>
        ) : (
          <Typography.Text type="secondary">{t('routes.domains.noGateway', { env })}</Typography.Text>
        )}
        {mine.map((r) => (
          <Space key={r.name} wrap>
            <Link to={`${base}/${r.name}`}>{r.name}</Link>
            <Typography.Text code>{r.spec.host + r.spec.pathPrefix}</Typography.Text>
            {r.spec.tls ? <Tag color="green">TLS</Tag> : null}
            {r.canary ? <CanaryTag canary={r.canary} /> : null}
          </Space>
        ))}
        {routes.data && mine.length === 0 ? (
          <Typography.Text type="secondary">{t('routes.domains.none')}</Typography.Text>
        ) : null}
        <Link to={base}>{t('routes.domains.all')}</Link>
      </Space>
    </Card>
  );
}
