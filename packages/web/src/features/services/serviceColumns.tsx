import { useMemo } from 'react';
import { Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { Link } from 'react-router-dom';
import type { Service, ServiceStatus } from '@berth/shared';
import { StatusTag } from '../../components/StatusTag';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';

const codeStyle = {
  fontSize: 12,
  background: 'rgba(150, 150, 150, 0.1)',
  border: '1px solid rgba(100, 100, 100, 0.2)',
  borderRadius: 3,
  padding: '1px 4px',
} as const;

/** Worst first, so sorting by status brings the services that need attention to the top. */
const statusRank: Record<ServiceStatus, number> = {
  failed: 0,
  degraded: 1,
  progressing: 2,
  stopped: 3,
  healthy: 4,
};

/** The service list as a declarative column list (Headlamp's habit). */
export function useServiceColumns(project: string, env: string): ColumnsType<Service> {
  const { t } = useI18n();
  return useMemo(
    () => [
      {
        key: 'name',
        title: t('services.col.name'),
        dataIndex: 'name',
        sorter: (a, b) => a.name.localeCompare(b.name),
        render: (_, s) => (
          <Link to={`/p/${project}/${env}/s/${s.name}/overview`} data-testid={`service-link-${s.name}`}>
            {s.displayName && s.displayName !== s.name ? `${s.displayName} (${s.name})` : s.name}
          </Link>
        ),
      },
      {
        key: 'status',
        title: t('services.col.status'),
        sorter: (a, b) => statusRank[a.status] - statusRank[b.status],
        render: (_, s) => <StatusTag status={s.status} />,
      },
      {
        key: 'replicas',
        title: t('services.col.replicas'),
        sorter: (a, b) => a.readyReplicas - b.readyReplicas,
        render: (_, s) => `${s.readyReplicas}/${s.replicas}`,
      },
      {
        key: 'image',
        title: t('services.col.image'),
        ellipsis: true,
        // A plain <code>: Typography measures itself, which 50 rows a page pay for on every render.
        render: (_, s) => <code style={codeStyle}>{s.spec.image}</code>,
      },
      {
        key: 'release',
        title: t('services.col.release'),
        sorter: (a, b) => a.release - b.release,
        render: (_, s) => `#${s.release}`,
      },
      {
        key: 'updated',
        title: t('services.col.updated'),
        sorter: (a, b) => a.updatedAt.localeCompare(b.updatedAt),
        defaultSortOrder: undefined,
        render: (_, s) => (
          <>
            <TimeText at={s.updatedAt} />{' '}
            <Typography.Text type="secondary">{t('common.by', { user: s.updatedBy })}</Typography.Text>
          </>
        ),
      },
    ],
    [t, project, env],
  );
}
