import { useState } from 'react';
import { Button, Drawer, Space } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { ErrorState } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { adminKeys, listBindings, scopeLabel, type BindingScope } from './admin-api';
import { AddBindingModal } from './AddBindingModal';
import { BindingsTable } from './BindingsTable';

/** The members of a team or project: its role bindings, with add and remove. */
export function MembersDrawer(props: {
  scope: Exclude<BindingScope, { kind: 'platform' }>;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const [adding, setAdding] = useState(false);
  const filter = { scope: scopeLabel(props.scope) };
  const members = useQuery({ queryKey: adminKeys.bindings(filter), queryFn: () => listBindings(filter) });
  return (
    <Drawer
      open
      size="large"
      title={t('admin.members.title', { kind: t(`admin.scope.${props.scope.kind}`), name: props.scope.name })}
      onClose={props.onClose}
    >
      <Space className="admin-toolbar">
        <Button type="primary" onClick={() => setAdding(true)} data-testid="add-member">
          {t('admin.members.add')}
        </Button>
      </Space>
      {members.isError ? (
        <ErrorState error={members.error} onRetry={() => void members.refetch()} />
      ) : (
        <BindingsTable items={members.data?.items ?? []} loading={members.isPending} testId="members-table" />
      )}
      {adding ? <AddBindingModal scope={props.scope} onClose={() => setAdding(false)} /> : null}
    </Drawer>
  );
}
