import { Suspense, useEffect } from 'react';
import { lazyChunk } from './lazy-chunk';
import { useQueryClient } from '@tanstack/react-query';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { setSessionExpiredHandler } from '../api/client';
import { PageSkeleton } from '../components/PageSkeleton';
import { loadedServiceListPage, loadServiceListPage } from '../features/services/list-page-loader';
import { AppLayout } from './AppLayout';
import { HomeRedirect } from './HomeRedirect';

// Each feature is its own chunk, so the login page and the list load without the rest.
const LoginPage = lazyChunk(() =>
  import('../features/auth/LoginPage').then((m) => ({ default: m.LoginPage })),
);
const NotFoundPage = lazyChunk(() => import('./NotFoundPage').then((m) => ({ default: m.NotFoundPage })));
const LazyServiceListPage = lazyChunk(() =>
  loadServiceListPage().then((m) => ({ default: m.ServiceListPage })),
);
/** The list renders at once when the boot code loaded its chunk (see loadedServiceListPage). */
function ServiceListPage() {
  const loaded = loadedServiceListPage();
  return loaded ? <loaded.ServiceListPage /> : <LazyServiceListPage />;
}
const CreateServicePage = lazyChunk(() =>
  import('../features/services/CreateServicePage').then((m) => ({ default: m.CreateServicePage })),
);
const ServiceDetailPage = lazyChunk(() =>
  import('../features/service-detail/ServiceDetailPage').then((m) => ({ default: m.ServiceDetailPage })),
);
const ContainerFilesPage = lazyChunk(() =>
  import('../features/files/ContainerFilesPage').then((m) => ({ default: m.ContainerFilesPage })),
);
const AuditPage = lazyChunk(() =>
  import('../features/audit/AuditPage').then((m) => ({ default: m.AuditPage })),
);
const RouteListPage = lazyChunk(() =>
  import('../features/routes/RouteListPage').then((m) => ({ default: m.RouteListPage })),
);
const RouteDetailPage = lazyChunk(() =>
  import('../features/routes/RouteDetailPage').then((m) => ({ default: m.RouteDetailPage })),
);
const RouteFormPage = lazyChunk(() =>
  import('../features/routes/RouteFormPage').then((m) => ({ default: m.RouteFormPage })),
);
const GatewayListPage = lazyChunk(() =>
  import('../features/gateways/GatewayListPage').then((m) => ({ default: m.GatewayListPage })),
);
const GatewayDetailPage = lazyChunk(() =>
  import('../features/gateways/GatewayDetailPage').then((m) => ({ default: m.GatewayDetailPage })),
);

const RepositoriesPage = lazyChunk(() =>
  import('../features/images/RepositoriesPage').then((m) => ({ default: m.RepositoriesPage })),
);
const TagsPage = lazyChunk(() =>
  import('../features/images/TagsPage').then((m) => ({ default: m.TagsPage })),
);
const RegistriesPage = lazyChunk(() =>
  import('../features/images/RegistriesPage').then((m) => ({ default: m.RegistriesPage })),
);
const PipelineListPage = lazyChunk(() =>
  import('../features/pipelines/PipelineListPage').then((m) => ({ default: m.PipelineListPage })),
);
const PipelineFormPage = lazyChunk(() =>
  import('../features/pipelines/PipelineFormPage').then((m) => ({ default: m.PipelineFormPage })),
);
const PipelineDetailPage = lazyChunk(() =>
  import('../features/pipelines/PipelineDetailPage').then((m) => ({ default: m.PipelineDetailPage })),
);
const BuildDetailPage = lazyChunk(() =>
  import('../features/pipelines/BuildDetailPage').then((m) => ({ default: m.BuildDetailPage })),
);

const QuotaPage = lazyChunk(() =>
  import('../features/quotas/QuotaPage').then((m) => ({ default: m.QuotaPage })),
);
const ConfigsPage = lazyChunk(() =>
  import('../features/configs/ConfigsPage').then((m) => ({ default: m.ConfigsPage })),
);
const ConfigDetailPage = lazyChunk(() =>
  import('../features/configs/ConfigDetailPage').then((m) => ({ default: m.ConfigDetailPage })),
);
const CertificatesPage = lazyChunk(() =>
  import('../features/certificates/CertificatesPage').then((m) => ({ default: m.CertificatesPage })),
);
const VolumesPage = lazyChunk(() =>
  import('../features/volumes/VolumesPage').then((m) => ({ default: m.VolumesPage })),
);
const CronJobsPage = lazyChunk(() =>
  import('../features/cronjobs/CronJobsPage').then((m) => ({ default: m.CronJobsPage })),
);
const CronJobDetailPage = lazyChunk(() =>
  import('../features/cronjobs/CronJobDetailPage').then((m) => ({ default: m.CronJobDetailPage })),
);
const ProbesPage = lazyChunk(() =>
  import('../features/probes/ProbesPage').then((m) => ({ default: m.ProbesPage })),
);
const AlertRulesPage = lazyChunk(() =>
  import('../features/alert-rules/AlertRulesPage').then((m) => ({ default: m.AlertRulesPage })),
);
const AlertsPage = lazyChunk(() =>
  import('../features/alerts/AlertsPage').then((m) => ({ default: m.AlertsPage })),
);
const AdminPage = lazyChunk(() =>
  import('../features/admin/AdminPage').then((m) => ({ default: m.AdminPage })),
);
const ClusterListPage = lazyChunk(() =>
  import('../features/clusters/ClusterListPage').then((m) => ({ default: m.ClusterListPage })),
);
const ClusterDetailPage = lazyChunk(() =>
  import('../features/clusters/ClusterDetailPage').then((m) => ({ default: m.ClusterDetailPage })),
);
const EntryPointsPage = lazyChunk(() =>
  import('../features/entry-points/EntryPointsPage').then((m) => ({ default: m.EntryPointsPage })),
);
const EntryPortsPage = lazyChunk(() =>
  import('../features/entry-points/EntryPortsPage').then((m) => ({ default: m.EntryPortsPage })),
);
const AppCatalogPage = lazyChunk(() =>
  import('../features/apps/AppCatalogPage').then((m) => ({ default: m.AppCatalogPage })),
);
const AppInstancesPage = lazyChunk(() =>
  import('../features/apps/AppInstancesPage').then((m) => ({ default: m.AppInstancesPage })),
);
const AppInstancePage = lazyChunk(() =>
  import('../features/apps/AppInstancePage').then((m) => ({ default: m.AppInstancePage })),
);
const ShellRecordingPage = lazyChunk(() =>
  import('../features/audit/ShellRecordingPage').then((m) => ({ default: m.ShellRecordingPage })),
);

/** Sends the user to the login page, saying why, when any call finds the session gone. */
function SessionExpiryRedirect() {
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  useEffect(() => {
    setSessionExpiredHandler(() => {
      if (window.location.pathname === '/login') return;
      const next = window.location.pathname + window.location.search;
      queryClient.clear();
      void navigate(`/login?expired=1&next=${encodeURIComponent(next)}`, { replace: true });
    });
    return () => setSessionExpiredHandler(null);
  }, [navigate, queryClient, location.key]);
  return null;
}

export function AppRoutes() {
  return (
    <>
      <SessionExpiryRedirect />
      <Suspense fallback={<PageSkeleton />}>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route element={<AppLayout />}>
            <Route index element={<HomeRedirect />} />
            <Route path="p/:project/:env" element={<ServiceListPage />} />
            <Route path="p/:project/:env/new" element={<CreateServicePage />} />
            <Route path="p/:project/:env/s/:service" element={<Navigate to="overview" replace />} />
            <Route path="p/:project/:env/s/:service/:tab" element={<ServiceDetailPage />} />
            <Route
              path="p/:project/:env/s/:service/containers/:container/files"
              element={<ContainerFilesPage />}
            />
            <Route path="audit" element={<AuditPage />} />
            <Route path="p/:project/:env/routes" element={<RouteListPage />} />
            <Route path="p/:project/:env/routes/new" element={<RouteFormPage />} />
            <Route path="p/:project/:env/routes/:route" element={<RouteDetailPage />} />
            <Route path="p/:project/:env/routes/:route/edit" element={<RouteFormPage />} />
            <Route path="p/:project/:env/entry-points" element={<EntryPointsPage />} />
            <Route path="entry-ports" element={<EntryPortsPage />} />
            <Route path="entry-ports/:env" element={<EntryPortsPage />} />
            <Route path="gateways" element={<GatewayListPage />} />
            <Route path="gateways/:gateway" element={<Navigate to="versions" replace />} />
            <Route path="gateways/:gateway/:tab" element={<GatewayDetailPage />} />
            <Route path="images" element={<RepositoriesPage />} />
            <Route path="images/registries" element={<RegistriesPage />} />
            <Route path="images/r/:registry/*" element={<TagsPage />} />
            <Route path="p/:project/:env/pipelines" element={<PipelineListPage />} />
            <Route path="p/:project/:env/pipelines/new" element={<PipelineFormPage />} />
            <Route path="p/:project/:env/pipelines/:pipeline" element={<PipelineDetailPage />} />
            <Route path="p/:project/:env/pipelines/:pipeline/edit" element={<PipelineFormPage />} />
            <Route path="p/:project/:env/builds/:build" element={<BuildDetailPage />} />
            <Route path="p/:project/quota" element={<QuotaPage />} />
            <Route path="p/:project/:env/configs" element={<ConfigsPage />} />
            <Route path="p/:project/:env/configs/:config" element={<ConfigDetailPage />} />
            <Route path="p/:project/:env/configs/:config/:tab" element={<ConfigDetailPage />} />
            <Route path="p/:project/:env/certificates" element={<CertificatesPage />} />
            <Route path="p/:project/:env/volumes" element={<VolumesPage />} />
            <Route path="p/:project/:env/cronjobs" element={<CronJobsPage />} />
            <Route path="p/:project/:env/cronjobs/:cronjob" element={<CronJobDetailPage />} />
            <Route path="p/:project/:env/alert-rules" element={<AlertRulesPage />} />
            <Route path="p/:project/:env/probes" element={<ProbesPage />} />
            <Route path="p/:project/:env/alerts" element={<AlertsPage />} />
            <Route path="apps" element={<AppCatalogPage />} />
            <Route path="p/:project/:env/apps" element={<AppInstancesPage />} />
            <Route path="p/:project/:env/apps/:name" element={<AppInstancePage />} />
            <Route path="p/:project/:env/alerts/:tab" element={<AlertsPage />} />
            <Route path="admin" element={<AdminPage />} />
            <Route path="admin/:tab" element={<AdminPage />} />
            <Route path="audit/sessions/:id" element={<ShellRecordingPage />} />
            <Route path="clusters" element={<ClusterListPage />} />
            <Route path="clusters/:cluster" element={<ClusterDetailPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </Suspense>
    </>
  );
}
