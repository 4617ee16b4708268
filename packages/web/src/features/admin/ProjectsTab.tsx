import { useState } from 'react';
import { App, Button, Form, Input, Select, Space } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Project } from '@berth/shared';
import { listProjects, listTeams } from '../../api/resources';
import { ErrorState } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { useMe } from '../auth/session';
import { adminTeams, isPlatformAdmin } from './admin-access';
import { createProject } from './admin-api';
import { FormModal } from './FormModal';
import { MembersDrawer } from './MembersDrawer';
import { ScopeTable } from './ScopeTable';
import { NameItem } from './UsersTab';
import { QuotaLink } from '../quotas/QuotaLink';

/** Projects the caller can see; created under a team the caller administers. */
export function ProjectsTab() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const me = useMe().data;
  const [creating, setCreating] = useState(false);
  const [members, setMembers] = useState<string | null>(null);
  const projects = useQuery({ queryKey: ['projects', null], queryFn: () => listProjects(undefined) });
  const teams = useQuery({ queryKey: ['teams'], queryFn: listTeams });
  const platformAdmin = me ? isPlatformAdmin(me) : false;
  const managed = me ? adminTeams(me) : [];
  const ownTeams = platformAdmin ? (teams.data?.items.map((x) => x.name) ?? []) : managed;
  if (projects.isError) return <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />;
  return (
    <>
      <Space className="admin-toolbar">
        <Button
          type="primary"
          disabled={ownTeams.length === 0}
          onClick={() => setCreating(true)}
          data-testid="create-project"
        >
          {t('admin.projects.create')}
        </Button>
      </Space>
      <ScopeTable<Project>
        items={projects.data?.items ?? []}
        loading={projects.isPending}
        nameTitle={t('admin.projects.name')}
        emptyText={t('admin.projects.empty')}
        testId="projects-table"
        extra={[
          { key: 'team', title: t('admin.projects.team'), dataIndex: 'team' },
          {
            key: 'quota',
            title: t('quota.open'),
            render: (_v, p) => <QuotaLink project={p.name} size="small" />,
          },
        ]}
        canManage={(p) => platformAdmin || managed.includes(p.team)}
        onMembers={setMembers}
      />
      {creating ? (
        <FormModal<{ name: string; team: string; displayName?: string }>
          title={t('admin.projects.create')}
          okText={t('admin.create')}
          testId="project-form"
          initialValues={{ team: ownTeams[0] }}
          onSubmit={(v) =>
            createProject({
              name: v.name,
              team: v.team,
              ...(v.displayName ? { displayName: v.displayName } : {}),
            })
          }
          onDone={() => {
            void message.success(t('admin.projects.created'));
            setCreating(false);
            void queryClient.invalidateQueries({ queryKey: ['projects'] });
          }}
          onCancel={() => setCreating(false)}
        >
          {() => (
            <>
              <NameItem label={t('admin.projects.name')} id="project-name" />
              <Form.Item
                name="team"
                label={t('admin.projects.team')}
                rules={[{ required: true, message: t('create.required') }]}
              >
                <Select id="project-team" options={ownTeams.map((x) => ({ value: x, label: x }))} />
              </Form.Item>
              <Form.Item name="displayName" label={t('admin.users.displayName')}>
                <Input id="project-display" />
              </Form.Item>
            </>
          )}
        </FormModal>
      ) : null}
      {members ? (
        <MembersDrawer scope={{ kind: 'project', name: members }} onClose={() => setMembers(null)} />
      ) : null}
    </>
  );
}
