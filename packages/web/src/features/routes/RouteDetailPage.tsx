import { Button, Card, Descriptions, Space, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { Route } from '@berth/shared';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { ScopeSelector } from '../nav/ScopeSelector';
import { RouteViolations } from '../tenancy/RouteViolations';
import { CanaryPanel } from './CanaryPanel';
import { DeleteRouteButton } from './DeleteRouteButton';
import { RouteTarget } from './RouteListPage';
import { getRoute, routesKey } from './routes-api';

/** One route: its structured settings, its canary, edit and delete. */
export function RouteDetailPage() {
  const { project = '', env = '', route = '' } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const ref = { project, env, route };
  const current = useQuery({
    queryKey: [...routesKey(project, env), route],
    queryFn: () => getRoute(ref),
    // a promotion to a release ends on its own once the service's rollout completes
    refetchInterval: (q) => (q.state.data?.canary?.promoting ? 2000 : 10_000),
  });
  const base = `/p/${project}/${env}/routes`;
  return (
    <>
      <ScopeSelector project={project} env={env} />
      <div className="page-head">
        <Space align="center" wrap>
          <Link to={base}>{t('routes.back')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="route-title">
            {route}
          </Typography.Title>
          {current.data ? (
            <Typography.Text code>{current.data.spec.host + current.data.spec.pathPrefix}</Typography.Text>
          ) : null}
        </Space>
        {current.data ? (
          <Space>
            <Button
              type="primary"
              onClick={() => void navigate(`${base}/${route}/edit`)}
              data-testid="route-edit"
            >
              {t('routes.edit')}
            </Button>
            <DeleteRouteButton route={current.data} onDeleted={() => void navigate(base)} />
          </Space>
        ) : null}
      </div>
      {current.isPending ? <PageSkeleton /> : null}
      {current.isError ? <ErrorState error={current.error} onRetry={() => void current.refetch()} /> : null}
      {current.data ? (
        <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
          <RouteViolations route={current.data} />
          <RouteSummary route={current.data} />
          <CanaryPanel route={current.data} />
        </Space>
      ) : null}
    </>
  );
}

function RouteSummary({ route }: { route: Route }) {
  const { t } = useI18n();
  const s = route.spec;
  const none = t('common.none');
  const seconds = (n: number | undefined) => (n ? `${n}s` : t('routes.form.default'));
  const redirect = !s.redirect
    ? none
    : 'https' in s.redirect
      ? 'HTTPS'
      : `${s.redirect.code} ${s.redirect.url}`;
  return (
    <Card size="small">
      <Descriptions column={{ xs: 1, md: 2, xl: 3 }} size="small" data-testid="route-summary">
        <Descriptions.Item label={t('routes.form.host')}>{s.host}</Descriptions.Item>
        <Descriptions.Item label={t('routes.form.path')}>{s.pathPrefix}</Descriptions.Item>
        <Descriptions.Item label={t('routes.col.target')}>
          <RouteTarget route={route} />
        </Descriptions.Item>
        <Descriptions.Item label={t('routes.col.tls')}>
          {s.tls ? (s.tls.key ? `${s.tls.certificate} / ${s.tls.key}` : s.tls.certificate) : none}
        </Descriptions.Item>
        <Descriptions.Item label={t('routes.form.redirect')}>{redirect}</Descriptions.Item>
        <Descriptions.Item label={t('routes.form.websocket')}>
          {s.websocket ? t('common.yes') : t('common.no')}
        </Descriptions.Item>
        <Descriptions.Item label={t('routes.form.timeouts')}>
          {`${seconds(s.timeouts?.connectSeconds)} / ${seconds(s.timeouts?.readSeconds)} / ${seconds(s.timeouts?.sendSeconds)}`}
        </Descriptions.Item>
        <Descriptions.Item label={t('routes.form.maxBody')}>
          {s.maxBodyMiB !== undefined ? `${s.maxBodyMiB} MiB` : t('routes.form.default')}
        </Descriptions.Item>
        <Descriptions.Item label={t('routes.form.rate')}>
          {s.rateLimit
            ? `${s.rateLimit.requestsPerSecond}/s (+${s.rateLimit.burst})`
            : t('routes.form.unlimited')}
        </Descriptions.Item>
        <Descriptions.Item label={t('routes.form.allow')}>{s.allow.join(', ') || none}</Descriptions.Item>
        <Descriptions.Item label={t('routes.form.deny')}>{s.deny.join(', ') || none}</Descriptions.Item>
        <Descriptions.Item label={t('routes.form.health')}>
          {s.health
            ? t('routes.health.summary', {
                maxFails: s.health.maxFails,
                failTimeout: s.health.failTimeoutSeconds,
                next: s.health.nextUpstream ? t('common.yes') : t('common.no'),
              })
            : t('routes.form.health.defaults')}
        </Descriptions.Item>
        <Descriptions.Item label={t('routes.form.headers')} span="filled">
          {s.headers.length ? s.headers.map((h) => <Tag key={h.name}>{`${h.name}: ${h.value}`}</Tag>) : none}
        </Descriptions.Item>
        <Descriptions.Item label={t('routes.col.updated')}>
          <span>
            <TimeText at={route.updatedAt} /> {t('common.by', { user: route.updatedBy })}
          </span>
        </Descriptions.Item>
      </Descriptions>
    </Card>
  );
}
