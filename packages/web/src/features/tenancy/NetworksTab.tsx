import { useState } from 'react';
import { Alert, App, Button, Form, Input, Popconfirm, Space, Table } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ownerText, type AllowedNetwork, type Owner } from '@berth/shared';
import { ErrorState, errorText } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { FormModal } from '../admin/FormModal';
import { OwnerFields, OwnerTag } from './OwnerFields';
import { createNetwork, deleteNetwork, listNetworks, tenancyKeys } from './tenancy-api';

const keyOf = (n: AllowedNetwork) => `${n.cidr} ${n.owner.kind} ${n.owner.name}`;

/** Allowed networks (platform admins): where each team's or project's VM backends may be. */
export function NetworksTab() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const networks = useQuery({ queryKey: tenancyKeys.networks, queryFn: listNetworks });
  const reload = () => void queryClient.invalidateQueries({ queryKey: tenancyKeys.networks });
  const remove = useMutation({
    mutationFn: deleteNetwork,
    onSuccess: (_r, n) => {
      void message.success(t('tenancy.networks.removed', { cidr: n.cidr }));
      reload();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  if (networks.isError) return <ErrorState error={networks.error} onRetry={() => void networks.refetch()} />;
  return (
    <>
      <Alert type="info" showIcon title={t('tenancy.networks.help')} style={{ marginBottom: 12 }} />
      <Space className="admin-toolbar">
        <Button type="primary" onClick={() => setAdding(true)} data-testid="add-network">
          {t('tenancy.networks.add')}
        </Button>
      </Space>
      <Table<AllowedNetwork>
        rowKey={keyOf}
        size="middle"
        data-testid="networks-table"
        loading={networks.isPending}
        dataSource={networks.data?.items ?? []}
        pagination={false}
        locale={{ emptyText: t('tenancy.networks.empty') }}
        columns={[
          { title: t('tenancy.networks.cidr'), dataIndex: 'cidr' },
          { title: t('tenancy.owner'), render: (_v, n) => <OwnerTag owner={n.owner} /> },
          { title: t('admin.createdBy'), dataIndex: 'createdBy' },
          { title: t('admin.created'), render: (_v, n) => formatDateTime(n.createdAt, lang) },
          {
            title: t('admin.actions'),
            render: (_v, n) => (
              <Popconfirm
                title={t('tenancy.networks.remove.confirm', { cidr: n.cidr, owner: ownerText(n.owner) })}
                okText={t('common.confirm')}
                cancelText={t('common.cancel')}
                onConfirm={() => remove.mutate(n)}
              >
                <Button size="small" danger data-testid={`remove-network-${n.cidr}`}>
                  {t('tenancy.remove')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      {adding ? (
        <FormModal<{ cidr: string; owner: Owner }>
          title={t('tenancy.networks.add')}
          okText={t('tenancy.networks.add')}
          testId="network-form"
          onSubmit={(v) => createNetwork({ cidr: v.cidr.trim(), owner: v.owner })}
          onDone={() => {
            void message.success(t('tenancy.networks.added'));
            setAdding(false);
            reload();
          }}
          onCancel={() => setAdding(false)}
        >
          {(form) => (
            <>
              <Form.Item
                name="cidr"
                label={t('tenancy.networks.cidr')}
                rules={[{ required: true, whitespace: true, message: t('tenancy.networks.cidr.required') }]}
              >
                <Input id="network-cidr" placeholder={t('tenancy.networks.cidr.placeholder')} />
              </Form.Item>
              <OwnerFields form={form} />
            </>
          )}
        </FormModal>
      ) : null}
    </>
  );
}
