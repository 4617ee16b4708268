import { useState } from 'react';
import { App, Button, Empty, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Registry } from '@berth/shared';
import { Link } from 'react-router-dom';
import { ErrorState, errorText } from '../../components/ErrorState';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { deleteRegistry, listRegistries, registriesKey, testRegistry } from './images-api';
import { RegistryFormModal } from './RegistryFormModal';
import { PublicRepositories, RegistryAccessModal } from './RegistryAccessModal';

function RegistryActions({
  registry,
  onEdit,
  onAccess,
}: {
  registry: Registry;
  onEdit: () => void;
  onAccess: () => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const test = useMutation({
    mutationFn: () => testRegistry(registry.name),
    onSuccess: (r) => void (r.ok ? message.success(r.message) : message.error(r.message)),
    onError: (err) => void message.error(errorText(t, err)),
  });
  const remove = useMutation({
    mutationFn: () => deleteRegistry(registry.name),
    onSuccess: async () => {
      void message.success(t('registries.removed', { name: registry.name }));
      await queryClient.invalidateQueries({ queryKey: registriesKey });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  return (
    <Space>
      <Button
        size="small"
        loading={test.isPending}
        onClick={() => test.mutate()}
        data-testid={`test-registry-${registry.name}`}
      >
        {t('registries.test')}
      </Button>
      <Button size="small" onClick={onAccess} data-testid={`access-registry-${registry.name}`}>
        {t('registries.access')}
      </Button>
      {registry.kind === 'external' ? (
        <>
          <Button size="small" onClick={onEdit}>
            {t('registries.edit')}
          </Button>
          <Popconfirm
            title={t('registries.remove.confirm', { name: registry.name })}
            okText={t('registries.remove')}
            okButtonProps={{ danger: true }}
            cancelText={t('common.cancel')}
            onConfirm={() => remove.mutate()}
          >
            <Button size="small" danger loading={remove.isPending}>
              {t('registries.remove')}
            </Button>
          </Popconfirm>
        </>
      ) : null}
    </Space>
  );
}

/** Platform admins' list of registries: add, edit, remove external ones; test any connection. */
export function RegistriesPage() {
  const { t } = useI18n();
  const registries = useQuery({ queryKey: registriesKey, queryFn: listRegistries });
  const [editing, setEditing] = useState<Registry | 'new' | null>(null);
  const [access, setAccess] = useState<Registry | null>(null);
  const embedded = registries.data?.items.find((r) => r.kind === 'embedded');
  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('registries.title')}
        </Typography.Title>
        <Space>
          <Link to="/images">{t('images.back')}</Link>
          <Button type="primary" onClick={() => setEditing('new')} data-testid="add-registry">
            {t('registries.add')}
          </Button>
        </Space>
      </div>
      <Typography.Paragraph type="secondary">{t('registries.intro')}</Typography.Paragraph>
      {embedded ? (
        <Typography.Paragraph type="secondary" data-testid="registry-login-hint">
          {t('registries.login.hint')} <code>{`podman login ${embedded.host} -u <user>`}</code>
        </Typography.Paragraph>
      ) : null}
      {registries.isError ? (
        <ErrorState error={registries.error} onRetry={() => void registries.refetch()} />
      ) : (
        <Table<Registry>
          rowKey="name"
          size="middle"
          loading={registries.isPending}
          dataSource={registries.data?.items ?? []}
          pagination={false}
          scroll={{ x: 900 }}
          data-testid="registries-table"
          locale={{ emptyText: <Empty /> }}
          columns={[
            {
              key: 'name',
              title: t('registries.col.name'),
              render: (_, r) => <Link to={`/images?registry=${encodeURIComponent(r.name)}`}>{r.name}</Link>,
            },
            {
              key: 'kind',
              title: t('registries.col.kind'),
              render: (_, r) => (
                <Tag color={r.kind === 'embedded' ? 'blue' : 'default'}>{t(`registries.kind.${r.kind}`)}</Tag>
              ),
            },
            {
              key: 'url',
              title: t('registries.col.url'),
              render: (_, r) => <Typography.Text code>{r.url}</Typography.Text>,
            },
            { key: 'username', title: t('registries.col.username'), render: (_, r) => r.username ?? '-' },
            {
              key: 'password',
              title: t('registries.col.password'),
              render: (_, r) => t(r.password.isSet ? 'registries.password.set' : 'registries.password.unset'),
            },
            {
              key: 'assigned',
              title: t('registries.col.assigned'),
              render: (_, r) =>
                (r.assignedTo ?? []).length === 0
                  ? '-'
                  : r.assignedTo.map((a) => (
                      <Tag key={`${a.kind}/${a.name}`}>
                        {t(`registries.owner.${a.kind}`)} {a.name}
                      </Tag>
                    )),
            },
            {
              key: 'public',
              title: t('registries.col.public'),
              render: (_, r) =>
                (r.publicRepositories ?? []).length === 0
                  ? '-'
                  : r.publicRepositories.map((repo) => <Tag key={repo}>{repo}</Tag>),
            },
            {
              key: 'updated',
              title: t('images.col.created'),
              render: (_, r) => <TimeText at={r.createdAt} />,
            },
            {
              key: 'actions',
              title: t('images.col.actions'),
              render: (_, r) => (
                <RegistryActions registry={r} onEdit={() => setEditing(r)} onAccess={() => setAccess(r)} />
              ),
            },
          ]}
        />
      )}
      <Typography.Title level={5} style={{ marginTop: 24 }}>
        {t('registries.localStore.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('registries.localStore.intro')}</Typography.Paragraph>
      <PublicRepositories registry="local-store" />
      {access ? (
        <RegistryAccessModal
          registry={access.name}
          assignedTo={access.assignedTo ?? []}
          version={access.version}
          onClose={() => setAccess(null)}
        />
      ) : null}
      {editing ? (
        <RegistryFormModal registry={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      ) : null}
    </>
  );
}
