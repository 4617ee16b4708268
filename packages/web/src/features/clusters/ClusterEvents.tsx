import { Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { ErrorState } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import type { MessageKey } from '../../i18n/en';
import { useI18n } from '../../i18n/I18nProvider';
import { clusterKeys, listClusterEvents, type ClusterEvent, type ClusterState } from './clusters-api';
import { StateTag } from './ClusterTags';
import './strings';

const known = new Set([
  'StateChanged',
  'Cordoned',
  'Uncordoned',
  'Draining',
  'Undrained',
  'FailoverStarted',
  'Restoring',
  'RegistryUnreachable',
  'RegistryReachable',
  'ImagesRemoved',
  'ImagesKept',
]);
/** Fleet decisions stand out: a failover in red, the move back in green; the registry check's too. */
const colors: Record<string, string> = {
  FailoverStarted: 'red',
  Restoring: 'green',
  RegistryUnreachable: 'orange',
  RegistryReachable: 'green',
};
const states = new Set<string>(['ready', 'degraded', 'unreachable', 'unknown']);

/** A cluster's state changes and admins' cordon/drain, newest first; the message is the server's. */
export function ClusterEvents({ name }: { name: string }) {
  const { t, lang } = useI18n();
  const events = useQuery({
    queryKey: clusterKeys.events(name),
    queryFn: () => listClusterEvents(name),
    refetchInterval: 10_000,
  });
  if (events.isError) return <ErrorState error={events.error} onRetry={() => void events.refetch()} />;
  const state = (s: string | null) => (s && states.has(s) ? <StateTag state={s as ClusterState} /> : s);
  return (
    <>
      <Typography.Title level={5} style={{ marginTop: 24 }}>
        {t('clusters.events.title')}
      </Typography.Title>
      <Table<ClusterEvent>
        rowKey="id"
        size="small"
        loading={events.isPending}
        dataSource={events.data?.items ?? []}
        pagination={false}
        data-testid="cluster-events"
        locale={{ emptyText: t('clusters.events.empty') }}
        columns={[
          {
            key: 'at',
            title: t('clusters.events.at'),
            width: 190,
            render: (_, e) => formatDateTime(e.at, lang),
          },
          {
            key: 'type',
            title: t('clusters.events.type'),
            render: (_, e) =>
              e.type === 'StateChanged' ? (
                <span>
                  {state(e.fromState)} → {state(e.toState)}
                </span>
              ) : known.has(e.type) ? (
                <Tag color={colors[e.type]} data-event-type={e.type}>
                  {t(`clusters.event.${e.type}` as MessageKey)}
                </Tag>
              ) : (
                e.type
              ),
          },
          {
            key: 'message',
            title: t('clusters.events.message'),
            render: (_, e) => <span translate="no">{e.message}</span>,
          },
        ]}
      />
    </>
  );
}
