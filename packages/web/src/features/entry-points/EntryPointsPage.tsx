import { useState } from 'react';
import { App, Button, Card, Empty, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { EntryPointView, Service } from '@berth/shared';
import { Link, useParams } from 'react-router-dom';
import { isApiError } from '../../api/errors';
import { listServices } from '../../api/resources';
import { ErrorState, errorText } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { StatusTag } from '../../components/StatusTag';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { listGateways } from '../gateways/gateways-api';
import { ScopeSelector } from '../nav/ScopeSelector';
import { EntryPointFormModal } from './EntryPointFormModal';
import {
  connectAddresses,
  deleteEntryPoint,
  entryKeys,
  listEntryPoints,
  listProjectPorts,
} from './entry-points-api';

const keyOf = (e: { protocol: string; port: number }) => `${e.protocol}/${e.port}`;

/** The TCP/UDP entry points of one project and environment, and the ports assigned to it. */
export function EntryPointsPage() {
  const { project = '', env = '' } = useParams();
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const key = entryKeys.project(project, env);
  const points = useQuery({
    queryKey: [...key, 'points'],
    queryFn: () => listEntryPoints(project, env),
    refetchInterval: 10_000,
  });
  const ports = useQuery({ queryKey: [...key, 'ports'], queryFn: () => listProjectPorts(project, env) });
  const services = useQuery({
    queryKey: ['services', project, env, 'entry-points'],
    queryFn: () => listServices(project, env, { limit: 500 }),
    refetchInterval: 10_000,
  });
  const gateways = useQuery({ queryKey: ['gateways'], queryFn: listGateways, staleTime: 60_000 });
  // null: closed; '': creating; 'tcp/16379': editing (looked up in the list, so a re-read list
  // gives the form the current version after a 409)
  const [editing, setEditing] = useState<string | null>(null);
  const reload = () => queryClient.invalidateQueries({ queryKey: key });
  const remove = useMutation({
    mutationFn: deleteEntryPoint,
    onSuccess: async (_r, e) => {
      void message.success(t('entryPoints.deleted', { port: e.port, protocol: e.protocol }));
      await reload();
    },
    onError: async (err) => {
      void message.error(
        isApiError(err) && err.code === 'VERSION_CONFLICT' ? t('entryPoints.conflict') : errorText(t, err),
      );
      await reload();
    },
  });
  const byName = new Map((services.data?.items ?? []).map((s) => [s.name, s]));
  // past the first 500 services a missing one may just be unread: no state rather than a wrong one
  const allServices = services.data ? services.data.nextCursor === null : false;
  const current = editing ? (points.data?.items.find((e) => keyOf(e) === editing) ?? null) : null;
  const assigned = ports.data?.items ?? [];

  return (
    <>
      <ScopeSelector project={project} env={env} />
      <div className="page-head">
        <Space align="center">
          <Link to={`/p/${project}/${env}`}>{t('entryPoints.toServices')}</Link>
          <Link to={`/p/${project}/${env}/routes`} data-testid="entry-points-to-routes">
            {t('nav.routes')}
          </Link>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('entryPoints.title')}
          </Typography.Title>
        </Space>
        <Button
          type="primary"
          data-testid="create-entry-point"
          disabled={!ports.data || !services.data}
          onClick={() => setEditing('')}
        >
          {t('entryPoints.create')}
        </Button>
      </div>
      <Typography.Paragraph type="secondary">{t('entryPoints.intro')}</Typography.Paragraph>
      <Card size="small" title={t('entryPoints.ports.title')} style={{ marginBottom: 16 }}>
        {ports.isError ? <ErrorState error={ports.error} onRetry={() => void ports.refetch()} /> : null}
        {ports.data && assigned.length === 0 ? (
          <Typography.Text type="secondary" data-testid="entry-ports-none">
            {t('entryPoints.ports.none', { project })}
          </Typography.Text>
        ) : null}
        <Space size={[4, 8]} wrap data-testid="project-entry-ports">
          {assigned.map((p) => (
            <Tag key={keyOf(p)} color={p.inUse ? 'blue' : undefined} data-testid={`entry-port-${keyOf(p)}`}>
              {p.port}/{p.protocol.toUpperCase()} ·{' '}
              {p.inUse ? t('entryPoints.ports.used') : t('entryPoints.ports.free')}
            </Tag>
          ))}
        </Space>
      </Card>
      {points.isPending ? <PageSkeleton /> : null}
      {points.isError ? <ErrorState error={points.error} onRetry={() => void points.refetch()} /> : null}
      {points.data ? (
        <Table<EntryPointView>
          rowKey={keyOf}
          size="middle"
          dataSource={points.data.items}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          scroll={{ x: 1000 }}
          data-testid="entry-points-table"
          locale={{
            emptyText: (
              <Empty
                data-testid="entry-points-empty"
                description={
                  <>
                    <Typography.Paragraph strong>
                      {t('entryPoints.empty.title', { project, env })}
                    </Typography.Paragraph>
                    <Typography.Paragraph type="secondary">
                      {t('entryPoints.empty.hint')}
                    </Typography.Paragraph>
                  </>
                }
              />
            ),
          }}
          columns={[
            {
              key: 'protocol',
              title: t('entryPoints.col.protocol'),
              width: 100,
              render: (_, e) => <Tag>{e.protocol.toUpperCase()}</Tag>,
            },
            {
              key: 'port',
              title: t('entryPoints.col.port'),
              width: 100,
              sorter: (a, b) => a.port - b.port,
              render: (_, e) => <Typography.Text strong>{e.port}</Typography.Text>,
            },
            {
              key: 'target',
              title: t('entryPoints.col.target'),
              render: (_, e) => (
                <Link to={`/p/${project}/${env}/s/${e.serviceName}`}>
                  <Typography.Text code>
                    {e.serviceName}:{e.servicePort}
                  </Typography.Text>
                </Link>
              ),
            },
            {
              key: 'state',
              title: t('entryPoints.col.state'),
              render: (_, e) => {
                const service = byName.get(e.serviceName);
                return service || allServices ? <EntryPointState entry={e} service={service} /> : '—';
              },
            },
            {
              key: 'address',
              title: t('entryPoints.col.address'),
              render: (_, e) => {
                const addresses = connectAddresses(gateways.data?.items ?? [], env, e.port);
                return addresses.length ? (
                  <Space orientation="vertical" size={0}>
                    {addresses.map((a) => (
                      <Typography.Text key={a} code copyable data-testid={`entry-point-address-${keyOf(e)}`}>
                        {a}
                      </Typography.Text>
                    ))}
                  </Space>
                ) : (
                  <Typography.Text type="secondary">
                    {t('entryPoints.address.none', { port: e.port })}
                  </Typography.Text>
                );
              },
            },
            {
              key: 'updated',
              title: t('entryPoints.col.updated'),
              render: (_, e) => (
                <>
                  <TimeText at={e.updatedAt} />{' '}
                  <Typography.Text type="secondary">{t('common.by', { user: e.createdBy })}</Typography.Text>
                </>
              ),
            },
            {
              key: 'actions',
              title: '',
              width: 150,
              render: (_, e) => (
                <Space>
                  <Button
                    size="small"
                    onClick={() => setEditing(keyOf(e))}
                    data-testid={`edit-entry-point-${keyOf(e)}`}
                  >
                    {t('entryPoints.edit')}
                  </Button>
                  <Popconfirm
                    title={t('entryPoints.delete.confirm', {
                      port: e.port,
                      protocol: e.protocol.toUpperCase(),
                    })}
                    okText={t('entryPoints.delete')}
                    okButtonProps={{ danger: true }}
                    cancelText={t('common.cancel')}
                    onConfirm={() => remove.mutate(e)}
                  >
                    <Button size="small" danger data-testid={`delete-entry-point-${keyOf(e)}`}>
                      {t('entryPoints.delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      ) : null}
      {editing !== null && (editing === '' || current) ? (
        <EntryPointFormModal
          project={project}
          env={env}
          existing={current}
          ports={assigned}
          services={services.data?.items ?? []}
          onCancel={() => setEditing(null)}
          onDone={(saved) => {
            void message.success(
              t(current ? 'entryPoints.saved' : 'entryPoints.created', {
                port: saved.port,
                protocol: saved.protocol.toUpperCase(),
              }),
            );
            setEditing(null);
            void reload();
          }}
        />
      ) : null}
    </>
  );
}

/** Whether the entry point can serve: its service's status, or why it cannot. */
function EntryPointState({ entry, service }: { entry: EntryPointView; service: Service | undefined }) {
  const { t } = useI18n();
  if (!service) return <Tag color="red">{t('entryPoints.state.missing')}</Tag>;
  if (!(service.spec.ports ?? []).some((p) => p.containerPort === entry.servicePort))
    return <Tag color="orange">{t('entryPoints.state.noPort')}</Tag>;
  return <StatusTag status={service.status} />;
}
