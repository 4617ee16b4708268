import { useState } from 'react';
import { App, Button, Form, Input, Space, Table } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Team } from '@berth/shared';
import { listTeams } from '../../api/resources';
import { ErrorState } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { useMe } from '../auth/session';
import { adminTeams, isPlatformAdmin } from './admin-access';
import { createTeam } from './admin-api';
import { FormModal } from './FormModal';
import { MembersDrawer } from './MembersDrawer';
import { NameItem } from './UsersTab';

/** Teams the caller can see; platform admins create them; team admins manage their members. */
export function TeamsTab() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const me = useMe().data;
  const [creating, setCreating] = useState(false);
  const [members, setMembers] = useState<string | null>(null);
  const teams = useQuery({ queryKey: ['teams'], queryFn: listTeams });
  const platformAdmin = me ? isPlatformAdmin(me) : false;
  const managed = new Set(me ? adminTeams(me) : []);
  if (teams.isError) return <ErrorState error={teams.error} onRetry={() => void teams.refetch()} />;
  return (
    <>
      {platformAdmin ? (
        <Space className="admin-toolbar">
          <Button type="primary" onClick={() => setCreating(true)} data-testid="create-team">
            {t('admin.teams.create')}
          </Button>
        </Space>
      ) : null}
      <Table<Team>
        rowKey="name"
        size="small"
        loading={teams.isPending}
        dataSource={teams.data?.items ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: t('admin.teams.empty') }}
        data-testid="teams-table"
        columns={[
          { key: 'name', title: t('admin.teams.name'), dataIndex: 'name' },
          { key: 'display', title: t('admin.users.displayName'), dataIndex: 'displayName' },
          { key: 'by', title: t('admin.createdBy'), dataIndex: 'createdBy' },
          { key: 'at', title: t('admin.created'), render: (_, x) => formatDateTime(x.createdAt, lang) },
          {
            key: 'members',
            title: t('admin.actions'),
            render: (_, x) =>
              platformAdmin || managed.has(x.name) ? (
                <Button size="small" onClick={() => setMembers(x.name)} data-testid={`members-${x.name}`}>
                  {t('admin.members')}
                </Button>
              ) : null,
          },
        ]}
      />
      {creating ? (
        <FormModal<{ name: string; displayName?: string }>
          title={t('admin.teams.create')}
          okText={t('admin.create')}
          testId="team-form"
          onSubmit={(v) =>
            createTeam({ name: v.name, ...(v.displayName ? { displayName: v.displayName } : {}) })
          }
          onDone={() => {
            void message.success(t('admin.teams.created'));
            setCreating(false);
            void queryClient.invalidateQueries({ queryKey: ['teams'] });
          }}
          onCancel={() => setCreating(false)}
        >
          {() => (
            <>
              <NameItem label={t('admin.teams.name')} id="team-name" />
              <Form.Item name="displayName" label={t('admin.users.displayName')}>
                <Input id="team-display" />
              </Form.Item>
            </>
          )}
        </FormModal>
      ) : null}
      {members ? (
        <MembersDrawer scope={{ kind: 'team', name: members }} onClose={() => setMembers(null)} />
      ) : null}
    </>
  );
}
