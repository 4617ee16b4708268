import { useState } from 'react';
import {
  Alert,
  App,
  Button,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Space,
  Table,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiToken } from '@berth/shared';
import { ErrorState, errorText } from '../../components/ErrorState';
import { formatDateTime, TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { adminKeys, createToken, deleteToken, listTokens } from './admin-api';
import { FormModal } from './FormModal';

/** The caller's API tokens: create (the value is shown once, with a copy button), last use, revoke. */
export function TokensTab() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiToken | null>(null);
  const tokens = useQuery({ queryKey: adminKeys.tokens, queryFn: listTokens });
  const revoke = useMutation({
    mutationFn: (tk: ApiToken) => deleteToken(tk.id),
    onSuccess: async () => {
      void message.success(t('admin.tokens.revoked'));
      await queryClient.invalidateQueries({ queryKey: adminKeys.tokens });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  if (tokens.isError) return <ErrorState error={tokens.error} onRetry={() => void tokens.refetch()} />;
  return (
    <>
      <Space className="admin-toolbar" wrap>
        <Button type="primary" onClick={() => setCreating(true)} data-testid="create-token">
          {t('admin.tokens.create')}
        </Button>
        <Typography.Text type="secondary">{t('admin.tokens.help')}</Typography.Text>
      </Space>
      <Table<ApiToken>
        rowKey="id"
        size="small"
        loading={tokens.isPending}
        dataSource={tokens.data?.items ?? []}
        pagination={false}
        locale={{ emptyText: t('admin.tokens.empty') }}
        scroll={{ x: 800 }}
        data-testid="tokens-table"
        columns={[
          { key: 'name', title: t('admin.tokens.name'), dataIndex: 'name' },
          {
            key: 'prefix',
            title: t('admin.tokens.prefix'),
            render: (_, tk) => <Typography.Text code>{tk.prefix}…</Typography.Text>,
          },
          {
            key: 'created',
            title: t('admin.created'),
            render: (_, tk) => formatDateTime(tk.createdAt, lang),
          },
          {
            key: 'expires',
            title: t('admin.tokens.expires'),
            render: (_, tk) =>
              tk.expiresAt ? formatDateTime(tk.expiresAt, lang) : t('admin.tokens.noExpiry'),
          },
          {
            key: 'used',
            title: t('admin.tokens.lastUsed'),
            render: (_, tk) => <TimeText at={tk.lastUsedAt} />,
          },
          {
            key: 'revoke',
            title: t('admin.actions'),
            render: (_, tk) => (
              <Popconfirm
                title={t('admin.tokens.revoke.confirm', { name: tk.name })}
                okText={t('common.confirm')}
                cancelText={t('common.cancel')}
                onConfirm={() => revoke.mutate(tk)}
              >
                <Button size="small" danger data-testid={`revoke-token-${tk.name}`}>
                  {t('admin.tokens.revoke')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      {creating ? (
        <FormModal<{ name: string; expiresInDays?: number | null }>
          title={t('admin.tokens.create')}
          okText={t('admin.create')}
          testId="token-form"
          initialValues={{ expiresInDays: 90 }}
          onSubmit={async (v) => {
            const tk = await createToken({
              name: v.name,
              ...(v.expiresInDays ? { expiresInDays: v.expiresInDays } : {}),
            });
            setCreated(tk);
          }}
          onDone={() => {
            setCreating(false);
            void queryClient.invalidateQueries({ queryKey: adminKeys.tokens });
          }}
          onCancel={() => setCreating(false)}
        >
          {() => (
            <>
              <Form.Item
                name="name"
                label={t('admin.tokens.name')}
                extra={t('create.name.help')}
                rules={[{ required: true, message: t('create.required') }]}
              >
                <Input id="token-name" autoComplete="off" />
              </Form.Item>
              <Form.Item
                name="expiresInDays"
                label={t('admin.tokens.expiresIn')}
                extra={t('admin.tokens.expiresIn.help')}
              >
                <InputNumber id="token-expiry" min={1} max={3650} precision={0} style={{ width: 160 }} />
              </Form.Item>
            </>
          )}
        </FormModal>
      ) : null}
      {created?.token ? (
        <TokenOnceModal token={created.token} name={created.name} onClose={() => setCreated(null)} />
      ) : null}
    </>
  );
}

/** The new token's value, shown this one time, with a copy button. */
function TokenOnceModal(props: { token: string; name: string; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const copy = () =>
    void navigator.clipboard
      ?.writeText(props.token)
      .then(() => message.success(t('admin.tokens.copied')))
      .catch(() => message.error(t('admin.tokens.copyFailed')));
  return (
    <Modal
      open
      title={t('admin.tokens.createdTitle', { name: props.name })}
      onCancel={props.onClose}
      footer={
        <Button type="primary" onClick={props.onClose} data-testid="token-done">
          {t('admin.tokens.done')}
        </Button>
      }
    >
      <Alert type="warning" showIcon title={t('admin.tokens.once')} style={{ marginBottom: 12 }} />
      <Space.Compact style={{ width: '100%' }}>
        <Input readOnly value={props.token} data-testid="token-value" aria-label={t('admin.tokens.value')} />
        <Button onClick={copy} data-testid="token-copy">
          {t('admin.tokens.copy')}
        </Button>
      </Space.Compact>
    </Modal>
  );
}
