import { Button, Space, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { AppInstance } from '@berth/shared';
import { ErrorState } from '../../components/ErrorState';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { appKeys, listInstances } from './apps-api';
import { membersReady, stateColors } from './app-view';
import './strings';

/** An environment's app instances: app, version, state, members ready; Install leads to the store. */
export function AppInstancesPage() {
  const { project = '', env = '' } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const instances = useQuery({
    queryKey: appKeys.list(project, env),
    queryFn: () => listInstances(project, env),
    // Follow instances being created until each is running.
    refetchInterval: (q) =>
      q.state.data?.some((i) => i.state === 'creating' || i.state === 'deleting') ? 3000 : false,
  });
  if (instances.isError)
    return <ErrorState error={instances.error} onRetry={() => void instances.refetch()} />;
  const scope = `project=${encodeURIComponent(project)}&env=${encodeURIComponent(env)}`;
  return (
    <div className="page" data-testid="app-instances-page">
      <Typography.Title level={3}>
        {t('apps.instances.title')} · {project} / {env}
      </Typography.Title>
      <Space style={{ marginBottom: 12 }}>
        <Button
          type="primary"
          onClick={() => void navigate(`/apps?${scope}`)}
          data-testid="app-instances-install"
        >
          {t('apps.instances.install')}
        </Button>
      </Space>
      <Table<AppInstance>
        rowKey="name"
        size="middle"
        data-testid="app-instances-table"
        loading={instances.isPending}
        dataSource={instances.data ?? []}
        pagination={false}
        locale={{ emptyText: t('apps.instances.empty') }}
        columns={[
          {
            title: t('apps.col.name'),
            render: (_v, i) => (
              <Link to={`/p/${project}/${env}/apps/${i.name}`} data-testid={`app-instance-link-${i.name}`}>
                {i.name}
              </Link>
            ),
          },
          { title: t('apps.col.app'), dataIndex: 'app' },
          { title: t('apps.col.version'), dataIndex: 'version' },
          {
            title: t('apps.col.state'),
            render: (_v, i) => (
              <Tag color={stateColors[i.state]} data-testid={`app-instance-state-${i.name}`}>
                {t(`apps.state.${i.state}`)}
              </Tag>
            ),
          },
          { title: t('apps.col.members'), render: (_v, i) => membersReady(i.members) },
          { title: t('apps.col.created'), render: (_v, i) => <TimeText at={i.createdAt} /> },
        ]}
      />
    </div>
  );
}
