import { Suspense, useMemo, useState } from 'react';
import { lazyChunk } from '../../app/lazy-chunk';
import { App, Button, Empty, Popconfirm, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import type { Container } from '@berth/shared';
import { refKey, type ServiceRef } from '../../api/paths';
import { destroyContainer, getService, listContainers, listProjects, setRotation } from '../../api/resources';
import { ErrorState, errorText } from '../../components/ErrorState';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { useMe } from '../auth/session';
import { canExecRoot } from '../shell/shell-permissions';
import { ClusterFilter } from './ClusterFilter';
import { ContainerStateTag } from './ContainerStateTag';
import { ContainerUsage } from './ContainerUsage';
import { byContainer } from './stats-series';
import { useServiceStats } from './useServiceStats';

// xterm.js is only needed once someone opens a shell; keep it out of the page's chunk.
const ShellModal = lazyChunk(() => import('../shell/ShellModal').then((m) => ({ default: m.ShellModal })));
const DebugShellModal = lazyChunk(() =>
  import('../debug/DebugShellModal').then((m) => ({ default: m.DebugShellModal })),
);

/** The current containers, polled; actions act on one container and refresh the list. */
export function ContainersTab({ serviceRef }: { serviceRef: ServiceRef }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [shellFor, setShellFor] = useState<string | null>(null);
  const [debugFor, setDebugFor] = useState<string | null>(null);
  const [cluster, setCluster] = useState<string | undefined>(undefined);
  const key = ['service', ...refKey(serviceRef), 'containers'];
  const containers = useQuery({
    queryKey: key,
    queryFn: () => listContainers(serviceRef),
    refetchInterval: 2000,
  });
  const service = useQuery({
    queryKey: ['service', ...refKey(serviceRef)],
    queryFn: () => getService(serviceRef),
  });
  const me = useMe();
  const projects = useQuery({
    queryKey: ['projects', null],
    queryFn: () => listProjects(undefined),
    staleTime: 60_000,
  });
  const team = projects.data?.items.find((p) => p.name === serviceRef.project)?.team;
  const stats = useServiceStats(serviceRef, '10m');
  const usage = useMemo(() => byContainer(stats.data?.items ?? []), [stats.data]);
  const act = useMutation({
    mutationFn: (a: { kind: 'destroy' | 'out' | 'in'; name: string }) =>
      a.kind === 'destroy'
        ? destroyContainer(serviceRef, a.name)
        : setRotation(serviceRef, a.name, a.kind === 'in'),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: key }),
    onError: (err) => void message.error(errorText(t, err)),
  });

  const all = containers.data?.items ?? [];
  const clusters = [...new Set(all.map((c) => c.cluster))];
  const shown = cluster ? all.filter((c) => c.cluster === cluster) : all;

  if (containers.isError)
    return <ErrorState error={containers.error} onRetry={() => void containers.refetch()} />;
  const filesOf = (name: string) =>
    `/p/${serviceRef.project}/${serviceRef.env}/s/${serviceRef.service}/containers/${encodeURIComponent(name)}/files`;
  const logsOf = (name: string) =>
    void navigate(
      `/p/${serviceRef.project}/${serviceRef.env}/s/${serviceRef.service}/logs?container=${encodeURIComponent(name)}`,
    );

  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <ClusterFilter clusters={clusters} value={cluster} onChange={setCluster} />
      <Table<Container>
        rowKey="name"
        size="small"
        loading={containers.isPending}
        dataSource={shown}
        pagination={false}
        scroll={{ x: 1300 }}
        locale={{ emptyText: <Empty description={t('container.none')} /> }}
        columns={[
          {
            key: 'name',
            title: t('container.name'),
            render: (_, c) => <Typography.Text copyable>{c.name}</Typography.Text>,
          },
          {
            key: 'state',
            title: t('container.state'),
            render: (_, c) => <ContainerStateTag container={c} />,
          },
          { key: 'release', title: t('container.release'), render: (_, c) => `#${c.release}` },
          {
            key: 'cluster',
            title: t('container.cluster'),
            render: (_, c) => <span data-testid={`cluster-of-${c.name}`}>{c.cluster}</span>,
          },
          { key: 'ip', title: t('container.ip'), render: (_, c) => c.ip ?? '' },
          {
            key: 'endpoints',
            title: t('container.endpoints'),
            width: 210,
            render: (_, c) =>
              Object.entries(c.endpoints).map(([port, addr]) => <Tag key={port}>{`${port} → ${addr}`}</Tag>),
          },
          {
            key: 'usage',
            title: t('metrics.usage'),
            width: 230,
            render: (_, c) => (
              <ContainerUsage
                samples={usage.get(c.name)}
                memoryMiB={service.data?.spec.resources.memoryMiB}
              />
            ),
          },
          { key: 'restarts', title: t('container.restarts'), render: (_, c) => c.restarts },
          { key: 'started', title: t('container.started'), render: (_, c) => <TimeText at={c.startedAt} /> },
          {
            key: 'actions',
            title: '',
            fixed: 'right',
            render: (_, c) => (
              <Space size={4} wrap>
                <Button size="small" onClick={() => setShellFor(c.name)} data-testid={`shell-${c.name}`}>
                  {t('container.shell')}
                </Button>
                <Tooltip title={t('debug.button.help')}>
                  <Button size="small" onClick={() => setDebugFor(c.name)} data-testid={`debug-${c.name}`}>
                    {t('debug.button')}
                  </Button>
                </Tooltip>
                <Button size="small" onClick={() => logsOf(c.name)}>
                  {t('container.logs')}
                </Button>
                <Button
                  size="small"
                  title={t('files.button.help')}
                  onClick={() => void navigate(filesOf(c.name))}
                  data-testid={`files-${c.name}`}
                >
                  {t('files.button')}
                </Button>
                <Button
                  size="small"
                  onClick={() => act.mutate({ kind: c.inRotation ? 'out' : 'in', name: c.name })}
                >
                  {c.inRotation ? t('container.takeOut') : t('container.putBack')}
                </Button>
                <Popconfirm
                  title={t('container.destroy.confirm', { name: c.name })}
                  okText={t('common.confirm')}
                  cancelText={t('common.cancel')}
                  okButtonProps={{ danger: true }}
                  onConfirm={() => act.mutate({ kind: 'destroy', name: c.name })}
                >
                  <Button size="small" danger>
                    {t('container.destroy')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      {shellFor ? (
        <Suspense fallback={null}>
          <ShellModal
            serviceRef={serviceRef}
            container={shellFor}
            user={service.data?.spec.user}
            canRoot={canExecRoot(me.data, serviceRef.project, team)}
            onClose={() => setShellFor(null)}
          />
        </Suspense>
      ) : null}
      {debugFor ? (
        <Suspense fallback={null}>
          <DebugShellModal
            serviceRef={serviceRef}
            container={debugFor}
            canRoot={canExecRoot(me.data, serviceRef.project, team)}
            onClose={() => setDebugFor(null)}
          />
        </Suspense>
      ) : null}
    </Space>
  );
}
