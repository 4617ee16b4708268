import { useState } from 'react';
import {
  Alert,
  App,
  Button,
  Checkbox,
  Form,
  InputNumber,
  Popconfirm,
  Radio,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { EntryPointProtocol, PortAssignmentView } from '@berth/shared';
import { Link, Navigate, useNavigate, useParams } from 'react-router-dom';
import { ApiError, isApiError } from '../../api/errors';
import { listEnvs, listProjects } from '../../api/resources';
import { ErrorState, errorText } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { FormModal } from '../admin/FormModal';
import { assignPorts, entryKeys, listEnvPorts, releasePort } from './entry-points-api';

interface AssignValues {
  project: string | undefined;
  protocol: EntryPointProtocol;
  port: number | null;
  to: number | null;
  allowPrivileged: boolean;
}

const keyOf = (p: PortAssignmentView) => `${p.protocol}/${p.port}`;

/**
 * Platform admins: the ports of an environment assigned to projects for TCP/UDP entry points
 * (`/entry-ports/:env`); assign one port or a range, release a port no entry point uses.
 */
export function EntryPortsPage() {
  const { env } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const envs = useQuery({ queryKey: ['envs'], queryFn: listEnvs, staleTime: 60_000 });
  if (!env) {
    if (envs.isError) return <ErrorState error={envs.error} onRetry={() => void envs.refetch()} />;
    const first = envs.data?.items[0]?.name;
    return first ? <Navigate to={`/entry-ports/${first}`} replace /> : <PageSkeleton />;
  }
  return (
    <>
      <div className="page-head">
        <Space align="center">
          <Link to="/gateways">{t('entryPorts.back')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('entryPorts.title')}
          </Typography.Title>
        </Space>
        <Select
          id="entry-ports-env"
          aria-label={t('entryPorts.env')}
          style={{ width: 200 }}
          value={env}
          onChange={(next: string) => void navigate(`/entry-ports/${next}`)}
          options={(envs.data?.items ?? [{ name: env, displayName: env }]).map((e) => ({
            value: e.name,
            label: e.displayName || e.name,
          }))}
        />
      </div>
      <EnvPorts env={env} />
    </>
  );
}

function EnvPorts({ env }: { env: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [assigning, setAssigning] = useState(false);
  const [project, setProject] = useState<string | undefined>(undefined);
  const ports = useQuery({
    queryKey: entryKeys.envPorts(env),
    queryFn: () => listEnvPorts(env),
    refetchInterval: 10_000,
  });
  const projects = useQuery({
    queryKey: ['projects', null],
    queryFn: () => listProjects(undefined),
    staleTime: 60_000,
  });
  const reload = () => queryClient.invalidateQueries({ queryKey: entryKeys.envPorts(env) });
  const release = useMutation({
    mutationFn: (p: PortAssignmentView) => releasePort(p.env, p.protocol, p.port),
    onSuccess: async (_r, p) => {
      void message.success(t('entryPorts.released', { port: p.port, protocol: p.protocol.toUpperCase() }));
      await reload();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  if (ports.isError) return <ErrorState error={ports.error} onRetry={() => void ports.refetch()} />;
  const items = (ports.data?.items ?? []).filter((p) => !project || p.project === project);
  const projectOptions = (projects.data?.items ?? []).map((p) => ({ value: p.name, label: p.name }));
  return (
    <>
      <Alert type="info" showIcon title={t('entryPorts.intro')} style={{ marginBottom: 12 }} />
      <Space style={{ marginBottom: 12 }} wrap>
        <Button type="primary" onClick={() => setAssigning(true)} data-testid="assign-entry-ports">
          {t('entryPorts.assign')}
        </Button>
        <Select
          allowClear
          showSearch
          id="entry-ports-project-filter"
          style={{ width: 220 }}
          placeholder={t('entryPorts.filter.project')}
          value={project}
          onChange={(v: string | undefined) => setProject(v)}
          options={projectOptions}
        />
      </Space>
      <Table<PortAssignmentView>
        rowKey={keyOf}
        size="middle"
        loading={ports.isPending}
        dataSource={items}
        pagination={{ pageSize: 100, hideOnSinglePage: true }}
        data-testid="entry-ports-table"
        locale={{ emptyText: t('entryPorts.empty', { env }) }}
        columns={[
          {
            key: 'port',
            title: t('entryPorts.col.port'),
            sorter: (a, b) => a.port - b.port,
            render: (_, p) => <Typography.Text strong>{p.port}</Typography.Text>,
          },
          {
            key: 'protocol',
            title: t('entryPorts.col.protocol'),
            render: (_, p) => <Tag>{p.protocol.toUpperCase()}</Tag>,
          },
          {
            key: 'project',
            title: t('entryPorts.col.project'),
            sorter: (a, b) => a.project.localeCompare(b.project),
            render: (_, p) => p.project,
          },
          {
            key: 'inUse',
            title: t('entryPorts.col.inUse'),
            render: (_, p) =>
              p.inUse ? (
                <Tag color="blue">{t('entryPorts.inUse')}</Tag>
              ) : (
                <Typography.Text type="secondary">{t('entryPorts.free')}</Typography.Text>
              ),
          },
          {
            key: 'assigned',
            title: t('entryPorts.col.assigned'),
            render: (_, p) => (
              <>
                <TimeText at={p.createdAt} />{' '}
                <Typography.Text type="secondary">{t('common.by', { user: p.createdBy })}</Typography.Text>
              </>
            ),
          },
          {
            key: 'actions',
            title: '',
            width: 110,
            render: (_, p) => (
              <Popconfirm
                title={t('entryPorts.release.confirm', {
                  port: p.port,
                  protocol: p.protocol.toUpperCase(),
                  project: p.project,
                })}
                okText={t('entryPorts.release')}
                okButtonProps={{ danger: true }}
                cancelText={t('common.cancel')}
                onConfirm={() => release.mutate(p)}
              >
                <Button size="small" danger data-testid={`release-entry-port-${keyOf(p)}`}>
                  {t('entryPorts.release')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      {assigning ? (
        <FormModal<AssignValues>
          title={t('entryPorts.assign')}
          okText={t('entryPorts.assign')}
          testId="entry-ports-form"
          initialValues={{ project, protocol: 'tcp', port: null, to: null, allowPrivileged: false }}
          onSubmit={async (v) => {
            const range = v.to != null && v.to !== v.port;
            const res = await assignPorts(env, {
              project: v.project ?? '',
              protocol: v.protocol,
              ...(range
                ? { from: v.port ?? undefined, to: v.to ?? undefined }
                : { port: v.port ?? undefined }),
              ...(v.allowPrivileged ? { allowPrivileged: true } : {}),
            }).catch((err: unknown) => {
              // a range's first port is the form's `port` field
              if (!isApiError(err) || !err.fields.length) throw err;
              const fields = err.fields.map((f) => (f.path === 'from' ? { ...f, path: 'port' } : f));
              throw new ApiError(err.status, err.code, err.message, { ...err.details, fields });
            });
            void message.success(
              t('entryPorts.assigned', { count: res.items.length, project: v.project ?? '' }),
            );
          }}
          onDone={() => {
            setAssigning(false);
            void reload();
          }}
          onCancel={() => setAssigning(false)}
        >
          {() => (
            <>
              <Form.Item
                name="project"
                label={t('entryPorts.project')}
                rules={[{ required: true, message: t('entryPoints.required') }]}
              >
                <Select id="entry-ports-project" showSearch options={projectOptions} />
              </Form.Item>
              <Form.Item name="protocol" label={t('entryPorts.col.protocol')}>
                <Radio.Group
                  optionType="button"
                  options={[
                    { value: 'tcp', label: 'TCP' },
                    { value: 'udp', label: 'UDP' },
                  ]}
                />
              </Form.Item>
              <Space align="start" size="large" wrap>
                <Form.Item
                  name="port"
                  label={t('entryPorts.form.from')}
                  rules={[{ required: true, message: t('entryPoints.required') }]}
                >
                  <InputNumber id="entry-ports-port" min={1} max={65535} style={{ width: 160 }} />
                </Form.Item>
                <Form.Item name="to" label={t('entryPorts.form.to')} extra={t('entryPorts.form.to.help')}>
                  <InputNumber id="entry-ports-to" min={1} max={65535} style={{ width: 160 }} />
                </Form.Item>
              </Space>
              <Form.Item
                name="allowPrivileged"
                valuePropName="checked"
                extra={t('entryPorts.form.privileged.help')}
              >
                <Checkbox id="entry-ports-privileged">{t('entryPorts.form.privileged')}</Checkbox>
              </Form.Item>
            </>
          )}
        </FormModal>
      ) : null}
    </>
  );
}
