import { useState } from 'react';
import { Table, Tag } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { ServiceEvent } from '@berth/shared';
import { servicePath, refKey, type ServiceRef } from '../../api/paths';
import { listEvents } from '../../api/resources';
import { useEventStream } from '../../api/useEventStream';
import { ErrorState } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';

/** The newest events, then new ones as they happen (SSE `event`), newest on top. */
export function EventsTab({ serviceRef }: { serviceRef: ServiceRef }) {
  const { t, lang } = useI18n();
  const [live, setLive] = useState<ServiceEvent[]>([]);
  const events = useQuery({
    queryKey: ['service', ...refKey(serviceRef), 'events'],
    queryFn: () => listEvents(serviceRef),
  });
  useEventStream(events.data ? `${servicePath(serviceRef)}/events?follow=true` : null, {
    on: { event: (data) => setLive((prev) => [data as ServiceEvent, ...prev].slice(0, 500)) },
  });
  if (events.isError) return <ErrorState error={events.error} onRetry={() => void events.refetch()} />;
  const seen = new Set(live.map((e) => e.id));
  const rows = [...live, ...(events.data?.items ?? []).filter((e) => !seen.has(e.id))];
  return (
    <Table<ServiceEvent>
      rowKey="id"
      size="small"
      loading={events.isPending}
      dataSource={rows}
      locale={{ emptyText: t('events.empty') }}
      pagination={{ pageSize: 50, hideOnSinglePage: true }}
      columns={[
        { key: 'at', title: t('events.at'), width: 190, render: (_, e) => formatDateTime(e.at, lang) },
        {
          key: 'type',
          title: t('events.type'),
          width: 220,
          // Event types and messages are the server's records, not interface text (translate="no").
          render: (_, e) => (
            <>
              <Tag color={e.severity === 'warning' ? 'orange' : 'default'} translate="no">
                {e.type}
              </Tag>
              {e.source === 'kubernetes' && (
                <Tag
                  color="blue"
                  title={t('events.fromKubernetesHint')}
                  data-testid="event-source-kubernetes"
                >
                  {t('events.fromKubernetes')}
                </Tag>
              )}
            </>
          ),
        },
        { key: 'container', title: t('events.container'), render: (_, e) => e.container ?? '' },
        { key: 'cluster', title: t('events.cluster'), width: 120, render: (_, e) => e.cluster ?? '' },
        {
          key: 'message',
          title: t('events.message'),
          render: (_, e) => (
            <span translate="no">
              {e.object ? `${e.object}: ` : ''}
              {e.message}
              {(e.count ?? 1) > 1 ? ` (×${e.count})` : ''}
            </span>
          ),
        },
      ]}
    />
  );
}
