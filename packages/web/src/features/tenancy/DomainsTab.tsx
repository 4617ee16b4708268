import { useState } from 'react';
import { Alert, App, Button, Form, Input, Popconfirm, Space, Table } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { DomainZone, Owner } from '@berth/shared';
import { ErrorState, errorText } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { FormModal } from '../admin/FormModal';
import { OwnerFields, OwnerTag } from './OwnerFields';
import { createDomain, deleteDomain, listDomains, tenancyKeys } from './tenancy-api';

/** Domain zones (platform admins): which team or project may route hosts in which zone. */
export function DomainsTab() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const zones = useQuery({ queryKey: tenancyKeys.domains, queryFn: listDomains });
  const reload = () => void queryClient.invalidateQueries({ queryKey: tenancyKeys.domains });
  const remove = useMutation({
    mutationFn: (z: DomainZone) => deleteDomain(z.zone),
    onSuccess: (_r, z) => {
      void message.success(t('tenancy.domains.removed', { zone: z.zone }));
      reload();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  if (zones.isError) return <ErrorState error={zones.error} onRetry={() => void zones.refetch()} />;
  return (
    <>
      <Alert type="info" showIcon title={t('tenancy.domains.help')} style={{ marginBottom: 12 }} />
      <Space className="admin-toolbar">
        <Button type="primary" onClick={() => setAdding(true)} data-testid="add-domain">
          {t('tenancy.domains.add')}
        </Button>
      </Space>
      <Table<DomainZone>
        rowKey="zone"
        size="middle"
        data-testid="domains-table"
        loading={zones.isPending}
        dataSource={zones.data?.items ?? []}
        pagination={false}
        locale={{ emptyText: t('tenancy.domains.empty') }}
        columns={[
          { title: t('tenancy.domains.zone'), dataIndex: 'zone' },
          { title: t('tenancy.owner'), render: (_v, z) => <OwnerTag owner={z.owner} /> },
          { title: t('admin.createdBy'), dataIndex: 'createdBy' },
          { title: t('admin.created'), render: (_v, z) => formatDateTime(z.createdAt, lang) },
          {
            title: t('admin.actions'),
            render: (_v, z) => (
              <Popconfirm
                title={t('tenancy.domains.remove.confirm', { zone: z.zone })}
                okText={t('common.confirm')}
                cancelText={t('common.cancel')}
                onConfirm={() => remove.mutate(z)}
              >
                <Button size="small" danger data-testid={`remove-domain-${z.zone}`}>
                  {t('tenancy.remove')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      {adding ? (
        <FormModal<{ zone: string; owner: Owner }>
          title={t('tenancy.domains.add')}
          okText={t('tenancy.domains.add')}
          testId="domain-form"
          onSubmit={(v) => createDomain({ zone: v.zone.trim(), owner: v.owner })}
          onDone={() => {
            void message.success(t('tenancy.domains.added'));
            setAdding(false);
            reload();
          }}
          onCancel={() => setAdding(false)}
        >
          {(form) => (
            <>
              <Form.Item
                name="zone"
                label={t('tenancy.domains.zone')}
                rules={[{ required: true, whitespace: true, message: t('tenancy.domains.zone.required') }]}
              >
                <Input id="domain-zone" placeholder={t('tenancy.domains.zone.placeholder')} />
              </Form.Item>
              <OwnerFields form={form} />
            </>
          )}
        </FormModal>
      ) : null}
    </>
  );
}
