import { Badge, Button, Layout, Menu } from 'antd';
import type { ReactNode } from 'react';
import { Link, Navigate, Outlet, useLocation } from 'react-router-dom';
import { ErrorState } from '../components/ErrorState';
import { PageSkeleton } from '../components/PageSkeleton';
import { canAudit, useMe } from '../features/auth/session';
import { UserMenu } from '../features/auth/UserMenu';
import { TaskCenterProvider, useTaskCenter } from '../features/tasks/TaskCenter';
import { useI18n } from '../i18n/I18nProvider';
import { lastScope } from '../features/nav/last-scope';
import { gatewayMenuItems, gatewaySection } from '../features/gateways/nav';
import { isPipelinePage, pipelineMenuItems } from '../features/pipelines/nav';
import { adminMenuItems, isAdminPage } from '../features/admin/nav';
import { certificateMenuItems, isCertificatePage } from '../features/certificates/nav';
import { configMenuItems, isConfigPage } from '../features/configs/nav';
import { isVolumePage, volumeMenuItems } from '../features/volumes/nav';
import { cronJobMenuItems, isCronJobPage } from '../features/cronjobs/nav';
import { alertRuleMenuItems, isAlertRulePage } from '../features/alert-rules/nav';
import { isProbePage, probeMenuItems } from '../features/probes/nav';
import { alertMenuItems, isAlertPage } from '../features/alerts/nav';
import { appMenuItems, appSection } from '../features/apps/nav';
import { GlobalSearch } from '../features/search/GlobalSearch';
import { clusterMenuItems, isClusterPage } from '../features/clusters/nav';
import { PageErrorBoundary } from './lazy-chunk';
import { AfterFirstPaint } from '../components/AfterFirstPaint';

function TasksButton() {
  const { t } = useI18n();
  const { open, running } = useTaskCenter();
  return (
    <Badge count={running} size="small">
      <Button type="text" className="header-button" onClick={open} data-testid="open-tasks">
        {t('nav.tasks')}
      </Button>
    </Badge>
  );
}

/** The signed-in shell: header navigation, the task drawer, and the page. */
export function AppLayout() {
  const { t } = useI18n();
  const location = useLocation();
  const me = useMe();
  if (me.isPending) return <PageSkeleton />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => void me.refetch()} />;
  if (!me.data) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  const scope = lastScope();
  const servicesHref = scope ? `/p/${scope.project}/${scope.env}` : '/';
  const section =
    gatewaySection(location.pathname) ??
    (location.pathname.startsWith('/images') ? 'images' : null) ??
    (isPipelinePage(location.pathname) ? 'pipelines' : null) ??
    (isCertificatePage(location.pathname) ? 'certificates' : null) ??
    (isConfigPage(location.pathname) ? 'configs' : null) ??
    (isVolumePage(location.pathname) ? 'volumes' : null) ??
    (isCronJobPage(location.pathname) ? 'cronjobs' : null) ??
    (isAlertRulePage(location.pathname) ? 'alert-rules' : null) ??
    (isProbePage(location.pathname) ? 'probes' : null) ??
    (isAlertPage(location.pathname) ? 'alerts' : null) ??
    appSection(location.pathname) ??
    (isAdminPage(location.pathname) ? 'admin' : null) ??
    (isClusterPage(location.pathname) ? 'clusters' : null) ??
    (location.pathname.startsWith('/audit') ? 'audit' : 'services');
  /** An env's certificates, configs, volumes and cron jobs in one submenu, so the header fits 1366 px. */
  const resourceMenu = (children: { key: string; label: ReactNode }[]) =>
    children.length === 0
      ? []
      : [
          {
            key: 'resources',
            label: <span data-testid="nav-resources">{t('nav.resources')}</span>,
            children,
          },
        ];
  return (
    <TaskCenterProvider>
      <Layout style={{ minHeight: '100vh' }}>
        <Layout.Header className="app-header">
          <span className="app-brand">{t('app.name')}</span>
          {/* The header's antd parts come one frame after the page (see AfterFirstPaint). */}
          <AfterFirstPaint>
            <Menu
              theme="dark"
              mode="horizontal"
              disabledOverflow
              selectedKeys={[section]}
              items={[
                { key: 'services', label: <Link to={servicesHref}>{t('nav.services')}</Link> },
                ...gatewayMenuItems(me.data, scope, t),
                ...pipelineMenuItems(location.pathname, scope, t),
                ...resourceMenu([
                  ...certificateMenuItems(location.pathname, scope, t),
                  ...configMenuItems(location.pathname, scope, t),
                  ...volumeMenuItems(location.pathname, scope, t),
                  ...cronJobMenuItems(location.pathname, scope, t),
                  ...alertRuleMenuItems(location.pathname, scope, t),
                  ...probeMenuItems(location.pathname, scope, t),
                  ...alertMenuItems(location.pathname, scope, t),
                  ...appMenuItems(location.pathname, scope, t),
                ]),
                { key: 'images', label: <Link to="/images">{t('nav.images')}</Link> },
                ...clusterMenuItems(t),
                ...(canAudit(me.data)
                  ? [{ key: 'audit', label: <Link to="/audit">{t('nav.audit')}</Link> }]
                  : []),
                ...adminMenuItems(me.data, t),
              ]}
            />
          </AfterFirstPaint>
          <span className="app-header-spacer" />
          <AfterFirstPaint>
            <GlobalSearch />
          </AfterFirstPaint>
          <AfterFirstPaint>
            <TasksButton />
          </AfterFirstPaint>
          <AfterFirstPaint>
            <UserMenu me={me.data} />
          </AfterFirstPaint>
        </Layout.Header>
        <Layout.Content className="app-content">
          <PageErrorBoundary resetKey={location.pathname}>
            <Outlet />
          </PageErrorBoundary>
        </Layout.Content>
      </Layout>
    </TaskCenterProvider>
  );
}
