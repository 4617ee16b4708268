import { useState } from 'react';
import { App, Button, Form, Input, Popconfirm, Select, Space, Table, Tag } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { roles, type Role, type RoleBinding, type User } from '@berth/shared';
import { ErrorState, errorText } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import {
  adminKeys,
  createBinding,
  createUser,
  deleteBinding,
  listBindings,
  listUsers,
  updateUser,
} from './admin-api';
import { FormModal } from './FormModal';

type Dialog = { kind: 'create' } | { kind: 'password'; user: string } | { kind: 'role'; user: string };

/** Users (platform admins only): create with an initial password, disable/enable, reset password, platform role. */
export function UsersTab() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const users = useQuery({ queryKey: adminKeys.users, queryFn: listUsers });
  const platform = useQuery({
    queryKey: adminKeys.bindings({ scope: 'platform' }),
    queryFn: () => listBindings({ scope: 'platform' }),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['admin'] });
  const toggle = useMutation({
    mutationFn: (u: User) => updateUser(u.name, { disabled: !u.disabled }),
    onSuccess: async (u) => {
      void message.success(t(u.disabled ? 'admin.users.disabled' : 'admin.users.enabled', { user: u.name }));
      await refresh();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  const roleOf = (user: string) => platform.data?.items.find((b) => b.user === user);
  if (users.isError) return <ErrorState error={users.error} onRetry={() => void users.refetch()} />;
  return (
    <>
      <Space className="admin-toolbar">
        <Button type="primary" onClick={() => setDialog({ kind: 'create' })} data-testid="create-user">
          {t('admin.users.create')}
        </Button>
      </Space>
      <Table<User>
        rowKey="name"
        size="small"
        loading={users.isPending}
        dataSource={users.data?.items ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        scroll={{ x: 900 }}
        data-testid="users-table"
        columns={[
          { key: 'name', title: t('admin.users.name'), dataIndex: 'name' },
          { key: 'display', title: t('admin.users.displayName'), dataIndex: 'displayName' },
          { key: 'email', title: t('admin.users.email'), render: (_, u) => u.email ?? '' },
          {
            key: 'state',
            title: t('admin.users.state'),
            render: (_, u) =>
              u.disabled ? (
                <Tag color="default">{t('admin.users.state.disabled')}</Tag>
              ) : (
                <Tag color="green">{t('admin.users.state.active')}</Tag>
              ),
          },
          {
            key: 'role',
            title: t('admin.users.platformRole'),
            render: (_, u) => {
              const b = roleOf(u.name);
              return b ? <Tag color="blue">{t(`role.${b.role}`)}</Tag> : t('common.none');
            },
          },
          { key: 'created', title: t('admin.created'), render: (_, u) => formatDateTime(u.createdAt, lang) },
          {
            key: 'actions',
            title: t('admin.actions'),
            render: (_, u) => (
              <Space size={4} wrap>
                <Popconfirm
                  title={t(u.disabled ? 'admin.users.enable.confirm' : 'admin.users.disable.confirm', {
                    user: u.name,
                  })}
                  okText={t('common.confirm')}
                  cancelText={t('common.cancel')}
                  onConfirm={() => toggle.mutate(u)}
                >
                  <Button size="small" danger={!u.disabled} data-testid={`toggle-user-${u.name}`}>
                    {t(u.disabled ? 'admin.users.enable' : 'admin.users.disable')}
                  </Button>
                </Popconfirm>
                <Button size="small" onClick={() => setDialog({ kind: 'password', user: u.name })}>
                  {t('admin.users.resetPassword')}
                </Button>
                <Button size="small" onClick={() => setDialog({ kind: 'role', user: u.name })}>
                  {t('admin.users.setRole')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      {dialog?.kind === 'create' ? (
        <FormModal<{ name: string; displayName?: string; email?: string; password: string }>
          title={t('admin.users.create')}
          okText={t('admin.create')}
          testId="user-form"
          onSubmit={(v) =>
            createUser({
              name: v.name,
              password: v.password,
              ...(v.displayName ? { displayName: v.displayName } : {}),
              ...(v.email ? { email: v.email } : {}),
            })
          }
          onDone={() => {
            void message.success(t('admin.users.created'));
            setDialog(null);
            void refresh();
          }}
          onCancel={() => setDialog(null)}
        >
          {() => (
            <>
              <NameItem label={t('admin.users.name')} id="user-name" />
              <Form.Item name="displayName" label={t('admin.users.displayName')}>
                <Input id="user-display" />
              </Form.Item>
              <Form.Item name="email" label={t('admin.users.email')}>
                <Input id="user-email" type="email" />
              </Form.Item>
              <PasswordItem label={t('admin.users.initialPassword')} id="user-password" />
            </>
          )}
        </FormModal>
      ) : null}
      {dialog?.kind === 'password' ? (
        <FormModal<{ password: string }>
          title={t('admin.users.resetPassword.title', { user: dialog.user })}
          okText={t('admin.users.resetPassword')}
          testId="password-form"
          onSubmit={(v) => updateUser(dialog.user, { password: v.password })}
          onDone={() => {
            void message.success(t('admin.users.passwordReset', { user: dialog.user }));
            setDialog(null);
          }}
          onCancel={() => setDialog(null)}
        >
          {() => <PasswordItem label={t('admin.users.newPassword')} id="reset-password" />}
        </FormModal>
      ) : null}
      {dialog?.kind === 'role' ? (
        <PlatformRoleModal
          user={dialog.user}
          current={roleOf(dialog.user)}
          onClose={() => {
            setDialog(null);
            void refresh();
          }}
        />
      ) : null}
    </>
  );
}

/** A DNS-label name field, checked in the browser the way the API checks it. */
export function NameItem({ label, id, name = 'name' }: { label: string; id: string; name?: string }) {
  const { t } = useI18n();
  return (
    <Form.Item
      name={name}
      label={label}
      extra={t('create.name.help')}
      rules={[
        { required: true, message: t('create.required') },
        { pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, message: t('create.name.invalid') },
        { max: 63, message: t('create.name.help') },
      ]}
    >
      <Input id={id} autoComplete="off" />
    </Form.Item>
  );
}

function PasswordItem({ label, id }: { label: string; id: string }) {
  const { t } = useI18n();
  return (
    <Form.Item
      name="password"
      label={label}
      rules={[
        { required: true, message: t('create.required') },
        { min: 8, message: t('admin.users.passwordShort') },
      ]}
    >
      <Input.Password id={id} autoComplete="new-password" />
    </Form.Item>
  );
}

/** Sets a user's platform-wide role: revokes the old binding, then grants the new one. */
function PlatformRoleModal(props: { user: string; current: RoleBinding | undefined; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  return (
    <FormModal<{ role: Role | 'none' }>
      title={t('admin.users.setRole.title', { user: props.user })}
      okText={t('common.apply')}
      testId="role-form"
      initialValues={{ role: props.current?.role ?? 'none' }}
      onSubmit={async ({ role }) => {
        if (role === (props.current?.role ?? 'none')) return;
        if (role !== 'none') await createBinding({ user: props.user, role, scope: { kind: 'platform' } });
        if (props.current) await deleteBinding(props.current.id);
      }}
      onDone={() => {
        void message.success(t('admin.users.roleSet', { user: props.user }));
        props.onClose();
      }}
      onCancel={props.onClose}
    >
      {() => (
        <Form.Item name="role" label={t('admin.users.platformRole')} extra={t('admin.users.setRole.help')}>
          <Select
            id="platform-role"
            options={[
              { value: 'none', label: t('common.none') },
              ...roles.map((r) => ({ value: r, label: t(`role.${r}`) })),
            ]}
          />
        </Form.Item>
      )}
    </FormModal>
  );
}
