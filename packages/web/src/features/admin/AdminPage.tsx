import { Tabs, Typography } from 'antd';
import { Navigate, useNavigate, useParams } from 'react-router-dom';
import { PageSkeleton } from '../../components/PageSkeleton';
import { useI18n } from '../../i18n/I18nProvider';
import { useMe } from '../auth/session';
import { visibleAdminTabs, type AdminTab } from './admin-access';
import { BindingsTab } from './BindingsTab';
import { ProjectsTab } from './ProjectsTab';
import { TeamsTab } from './TeamsTab';
import { TokensTab } from './TokensTab';
import { UsersTab } from './UsersTab';
import { DomainsTab } from '../tenancy/DomainsTab';
import { NetworksTab } from '../tenancy/NetworksTab';
import './admin.css';

const panes: Record<AdminTab, () => React.JSX.Element> = {
  users: UsersTab,
  teams: TeamsTab,
  projects: ProjectsTab,
  bindings: BindingsTab,
  domains: DomainsTab,
  networks: NetworksTab,
  tokens: TokensTab,
};

/** Admin: users, teams, projects, role bindings and the caller's API tokens, one tab each. */
export function AdminPage() {
  const { t } = useI18n();
  const { tab } = useParams();
  const navigate = useNavigate();
  const me = useMe();
  if (!me.data) return <PageSkeleton />;
  const tabs = visibleAdminTabs(me.data);
  const current = tabs.find((x) => x === tab);
  if (!current) return <Navigate to={`/admin/${tabs[0]}`} replace />;
  const Pane = panes[current];
  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('admin.title')}
        </Typography.Title>
      </div>
      <Tabs
        activeKey={current}
        onChange={(key) => void navigate(`/admin/${key}`)}
        items={tabs.map((key) => ({ key, label: t(`admin.tab.${key}`) }))}
      />
      <Pane />
    </>
  );
}
