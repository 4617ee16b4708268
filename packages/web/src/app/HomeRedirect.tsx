import { Empty } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Navigate } from 'react-router-dom';
import { listProjects } from '../api/resources';
import { ErrorState } from '../components/ErrorState';
import { PageSkeleton } from '../components/PageSkeleton';
import { lastScope } from '../features/nav/last-scope';
import { useI18n } from '../i18n/I18nProvider';

/** `/` opens the last project the user looked at, else their first project's test environment. */
export function HomeRedirect() {
  const { t } = useI18n();
  const projects = useQuery({ queryKey: ['projects', null], queryFn: () => listProjects(undefined) });
  if (projects.isPending) return <PageSkeleton />;
  if (projects.isError) return <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />;
  const names = projects.data.items.map((p) => p.name);
  const last = lastScope();
  if (last && names.includes(last.project)) return <Navigate to={`/p/${last.project}/${last.env}`} replace />;
  const first = names[0];
  if (!first) return <Empty style={{ marginTop: 64 }} description={t('nav.noProjects')} />;
  return <Navigate to={`/p/${first}/test`} replace />;
}
