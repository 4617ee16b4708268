import { Button, Empty, Space, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { Route } from '@berth/shared';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { ScopeSelector } from '../nav/ScopeSelector';
import { RouteViolations } from '../tenancy/RouteViolations';
import { CanaryTag } from './CanaryTag';
import { DeleteRouteButton } from './DeleteRouteButton';
import { listRoutes, routesKey } from './routes-api';
import { serverTargets, serviceTarget } from './route-view';

/** The routes of one project and environment: host + path → service and/or VM servers. */
export function RouteListPage() {
  const { project = '', env = '' } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const routes = useQuery({
    queryKey: routesKey(project, env),
    queryFn: () => listRoutes(project, env),
    refetchInterval: 10_000,
  });
  const base = `/p/${project}/${env}/routes`;
  return (
    <>
      <ScopeSelector project={project} env={env} />
      <div className="page-head">
        <Space align="center">
          <Link to={`/p/${project}/${env}`}>{t('routes.toServices')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('routes.title')}
          </Typography.Title>
        </Space>
        <Space>
          <Button
            data-testid="open-entry-points"
            onClick={() => void navigate(`/p/${project}/${env}/entry-points`)}
          >
            {t('nav.entryPoints')}
          </Button>
          <Button type="primary" data-testid="create-route" onClick={() => void navigate(`${base}/new`)}>
            {t('routes.create')}
          </Button>
        </Space>
      </div>
      {routes.isPending ? <PageSkeleton /> : null}
      {routes.isError ? <ErrorState error={routes.error} onRetry={() => void routes.refetch()} /> : null}
      {routes.data ? (
        <Table<Route>
          rowKey="name"
          size="middle"
          dataSource={routes.data.items}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          scroll={{ x: 1100 }}
          data-testid="routes-table"
          locale={{
            emptyText: (
              <Empty
                data-testid="routes-empty"
                description={
                  <>
                    <Typography.Paragraph strong>
                      {t('routes.empty.title', { project, env })}
                    </Typography.Paragraph>
                    <Typography.Paragraph type="secondary">{t('routes.empty.hint')}</Typography.Paragraph>
                  </>
                }
              />
            ),
          }}
          columns={[
            {
              key: 'name',
              title: t('routes.col.name'),
              sorter: (a, b) => a.name.localeCompare(b.name),
              render: (_, r) => (
                <Link to={`${base}/${r.name}`} data-testid={`route-link-${r.name}`}>
                  {r.name}
                </Link>
              ),
            },
            {
              key: 'host',
              title: t('routes.col.host'),
              sorter: (a, b) => a.spec.host.localeCompare(b.spec.host),
              render: (_, r) => (
                <>
                  <Typography.Text code>
                    {r.spec.host}
                    {r.spec.pathPrefix}
                  </Typography.Text>
                  <RouteViolations route={r} />
                </>
              ),
            },
            {
              key: 'target',
              title: t('routes.col.target'),
              render: (_, r) => <RouteTarget route={r} />,
            },
            {
              key: 'tls',
              title: t('routes.col.tls'),
              width: 90,
              render: (_, r) =>
                r.spec.tls ? (
                  <Tag color="green">TLS</Tag>
                ) : (
                  <Typography.Text type="secondary">—</Typography.Text>
                ),
            },
            {
              key: 'canary',
              title: t('routes.col.canary'),
              render: (_, r) => <CanaryTag canary={r.canary} />,
            },
            {
              key: 'updated',
              title: t('routes.col.updated'),
              sorter: (a, b) => a.updatedAt.localeCompare(b.updatedAt),
              render: (_, r) => (
                <>
                  <TimeText at={r.updatedAt} />{' '}
                  <Typography.Text type="secondary">{t('common.by', { user: r.updatedBy })}</Typography.Text>
                </>
              ),
            },
            {
              key: 'actions',
              title: '',
              width: 150,
              render: (_, r) => (
                <Space>
                  <Button size="small" onClick={() => void navigate(`${base}/${r.name}/edit`)}>
                    {t('routes.edit')}
                  </Button>
                  <DeleteRouteButton route={r} />
                </Space>
              ),
            },
          ]}
        />
      ) : null}
    </>
  );
}

/** A route's backends: the service (and port), then the VM servers. */
export function RouteTarget({ route }: { route: Route }) {
  const { t } = useI18n();
  const service = serviceTarget(route);
  const servers = serverTargets(route);
  return (
    <Space size={4} wrap>
      {service ? <Tag color="blue">{t('routes.target.service', { service })}</Tag> : null}
      {servers.map((s) => (
        <Tag key={s}>{s}</Tag>
      ))}
    </Space>
  );
}
