import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import type { Service } from '@berth/shared';
import type { VirtualColumn } from '../../components/VirtualTable';
import { StatusChip } from '../../components/StatusTag';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';

const codeStyle = {
  fontSize: 12,
  background: 'rgba(150, 150, 150, 0.1)',
  border: '1px solid rgba(100, 100, 100, 0.2)',
  borderRadius: 3,
  padding: '1px 4px',
} as const;

const secondary = { color: 'rgba(0, 0, 0, 0.45)' } as const;

const nameOf = (s: Service) =>
  s.displayName && s.displayName !== s.name ? `${s.displayName} (${s.name})` : s.name;

/**
 * The service list as a declarative column list (Headlamp's habit). Cells are plain elements
 * (no Typography, no Tooltip): the list renders dozens of rows on every scroll frame.
 */
export function useServiceColumns(project: string, env: string): Array<VirtualColumn<Service>> {
  const { t } = useI18n();
  return useMemo(
    () => [
      {
        key: 'name',
        title: t('services.col.name'),
        width: '24%',
        text: nameOf,
        render: (s) => (
          <Link to={`/p/${project}/${env}/s/${s.name}/overview`} data-testid={`service-link-${s.name}`}>
            {nameOf(s)}
          </Link>
        ),
      },
      {
        key: 'status',
        title: t('services.col.status'),
        width: 120,
        render: (s) => <StatusChip status={s.status} />,
      },
      {
        key: 'replicas',
        title: t('services.col.replicas'),
        width: 200,
        render: (s) => `${s.readyReplicas}/${s.replicas}`,
      },
      {
        key: 'image',
        title: t('services.col.image'),
        text: (s) => s.spec.image,
        render: (s) => <code style={codeStyle}>{s.spec.image}</code>,
      },
      {
        key: 'release',
        title: t('services.col.release'),
        width: 90,
        render: (s) => `#${s.release}`,
      },
      {
        key: 'updated',
        title: t('services.col.updated'),
        width: 210,
        render: (s) => (
          <>
            <TimeText at={s.updatedAt} />{' '}
            <span style={secondary}>{t('common.by', { user: s.updatedBy })}</span>
          </>
        ),
      },
    ],
    [t, project, env],
  );
}
