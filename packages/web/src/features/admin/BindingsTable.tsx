import { App, Button, Popconfirm, Table, Tag } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { RoleBinding } from '@berth/shared';
import { errorText } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { deleteBinding, scopeLabel } from './admin-api';

/** Role bindings with a confirmed "Remove" each; the list reloads after a removal. */
export function BindingsTable(props: { items: RoleBinding[]; loading: boolean; testId: string }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: (b: RoleBinding) => deleteBinding(b.id),
    onSuccess: async () => {
      void message.success(t('admin.bindings.removed'));
      await queryClient.invalidateQueries({ queryKey: ['admin'] });
      await queryClient.invalidateQueries({ queryKey: ['me'] });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  return (
    <Table<RoleBinding>
      rowKey="id"
      size="small"
      loading={props.loading}
      dataSource={props.items}
      pagination={{ pageSize: 50, hideOnSinglePage: true }}
      locale={{ emptyText: t('admin.bindings.empty') }}
      scroll={{ x: 700 }}
      data-testid={props.testId}
      columns={[
        { key: 'user', title: t('admin.bindings.user'), dataIndex: 'user' },
        {
          key: 'role',
          title: t('admin.bindings.role'),
          render: (_, b) => <Tag color="blue">{t(`role.${b.role}`)}</Tag>,
        },
        {
          key: 'scope',
          title: t('admin.bindings.scope'),
          render: (_, b) =>
            b.scope.kind === 'platform'
              ? t('admin.scope.platform')
              : `${t(`admin.scope.${b.scope.kind}`)} ${b.scope.name}`,
        },
        { key: 'by', title: t('admin.createdBy'), dataIndex: 'createdBy' },
        { key: 'at', title: t('admin.created'), render: (_, b) => formatDateTime(b.createdAt, lang) },
        {
          key: 'remove',
          title: t('admin.actions'),
          render: (_, b) => (
            <Popconfirm
              title={t('admin.bindings.remove.confirm', {
                user: b.user,
                role: t(`role.${b.role}`),
                scope: scopeLabel(b.scope),
              })}
              okText={t('common.confirm')}
              cancelText={t('common.cancel')}
              onConfirm={() => remove.mutate(b)}
            >
              <Button size="small" danger data-testid={`remove-binding-${b.user}-${b.role}`}>
                {t('admin.bindings.remove')}
              </Button>
            </Popconfirm>
          ),
        },
      ]}
    />
  );
}
