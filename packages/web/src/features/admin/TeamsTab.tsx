import { useState } from 'react';
import { App, Button, Form, Input, Space } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Team } from '@berth/shared';
import { listTeams } from '../../api/resources';
import { ErrorState } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { useMe } from '../auth/session';
import { adminTeams, isPlatformAdmin } from './admin-access';
import { createTeam } from './admin-api';
import { FormModal } from './FormModal';
import { MembersDrawer } from './MembersDrawer';
import { ScopeTable } from './ScopeTable';
import { NameItem } from './UsersTab';

/** Teams the caller can see; platform admins create them; team admins manage their members. */
export function TeamsTab() {
  const { t } = useI18n();
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
      <ScopeTable<Team>
        items={teams.data?.items ?? []}
        loading={teams.isPending}
        nameTitle={t('admin.teams.name')}
        emptyText={t('admin.teams.empty')}
        testId="teams-table"
        canManage={(x) => platformAdmin || managed.has(x.name)}
        onMembers={setMembers}
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
