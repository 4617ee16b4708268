import { Button, Table } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { Project, Team } from '@berth/shared';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';

/**
 * Teams or projects: name, `extra` columns, display name, who made it and when, and a Members
 * button where the caller may manage the members.
 */
export function ScopeTable<T extends Team | Project>(props: {
  items: T[];
  loading: boolean;
  nameTitle: string;
  emptyText: string;
  testId: string;
  extra?: ColumnsType<T>;
  canManage: (item: T) => boolean;
  onMembers: (name: string) => void;
}) {
  const { t, lang } = useI18n();
  return (
    <Table<T>
      rowKey="name"
      size="small"
      loading={props.loading}
      dataSource={props.items}
      pagination={{ pageSize: 50, hideOnSinglePage: true }}
      locale={{ emptyText: props.emptyText }}
      data-testid={props.testId}
      columns={[
        { key: 'name', title: props.nameTitle, dataIndex: 'name' },
        ...(props.extra ?? []),
        { key: 'display', title: t('admin.users.displayName'), dataIndex: 'displayName' },
        { key: 'by', title: t('admin.createdBy'), dataIndex: 'createdBy' },
        { key: 'at', title: t('admin.created'), render: (_, x) => formatDateTime(x.createdAt, lang) },
        {
          key: 'members',
          title: t('admin.actions'),
          render: (_, x) =>
            props.canManage(x) ? (
              <Button size="small" onClick={() => props.onMembers(x.name)} data-testid={`members-${x.name}`}>
                {t('admin.members')}
              </Button>
            ) : null,
        },
      ]}
    />
  );
}
