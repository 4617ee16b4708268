import { useState } from 'react';
import { Button, Input, Space } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { ErrorState } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { adminKeys, listBindings } from './admin-api';
import { AddBindingModal } from './AddBindingModal';
import { BindingsTable } from './BindingsTable';

/** Every role binding the caller may see, filterable by user; grant and revoke. */
export function BindingsTab() {
  const { t } = useI18n();
  const [user, setUser] = useState<string | undefined>();
  const [adding, setAdding] = useState(false);
  const filter = user ? { user } : {};
  const bindings = useQuery({ queryKey: adminKeys.bindings(filter), queryFn: () => listBindings(filter) });
  return (
    <>
      <Space className="admin-toolbar" wrap>
        <Button type="primary" onClick={() => setAdding(true)} data-testid="add-binding">
          {t('admin.bindings.add')}
        </Button>
        <Input.Search
          allowClear
          placeholder={t('admin.bindings.filterUser')}
          aria-label={t('admin.bindings.filterUser')}
          onSearch={(v) => setUser(v.trim() || undefined)}
        />
      </Space>
      {bindings.isError ? (
        <ErrorState error={bindings.error} onRetry={() => void bindings.refetch()} />
      ) : (
        <BindingsTable
          items={bindings.data?.items ?? []}
          loading={bindings.isPending}
          testId="bindings-table"
        />
      )}
      {adding ? <AddBindingModal onClose={() => setAdding(false)} /> : null}
    </>
  );
}
