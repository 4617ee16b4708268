import { useRef, useState } from 'react';
import {
  Alert,
  App,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { volumeClassKinds, type Volume, type VolumeClass, type VolumeClassKind } from '@berth/shared';
import { ErrorState, errorText } from '../../components/ErrorState';
import { WithCode } from '../../components/WithCode';
import { formatBytes } from '../../components/chart-math';
import { useI18n } from '../../i18n/I18nProvider';
import { FormModal } from '../admin/FormModal';
import { isPlatformAdmin } from '../admin/admin-access';
import { useMe } from '../auth/session';
import {
  createVolume,
  deleteVolume,
  importVolume,
  listClasses,
  listVolumes,
  putClass,
  volumeKeys,
  volumeUrl,
} from './volumes-api';
import './strings';

interface VolumeForm {
  name: string;
  class: string;
  sizeMiB: number;
  cluster?: string;
}

interface ClassForm {
  name: string;
  kind: VolumeClassKind;
  server?: string;
  path?: string;
  mountOptions?: string;
  maxSizeMiB?: number;
  description?: string;
}

/** The classes a volume can be made in; platform admins add and change them. */
function ClassesCard({ classes, admin }: { classes: VolumeClass[] | undefined; admin: boolean }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  return (
    <Card
      size="small"
      title={t('vol.classes')}
      style={{ marginTop: 16 }}
      data-testid="volume-classes"
      extra={
        admin ? (
          <Button size="small" onClick={() => setAdding(true)} data-testid="add-volume-class">
            {t('vol.class.add')}
          </Button>
        ) : null
      }
    >
      <Table<VolumeClass>
        rowKey="name"
        size="small"
        pagination={false}
        dataSource={classes ?? []}
        loading={!classes}
        locale={{ emptyText: t('vol.classes.empty') }}
        columns={[
          { title: t('vol.col.name'), dataIndex: 'name' },
          { title: t('vol.class.col.kind'), dataIndex: 'kind' },
          {
            title: t('vol.class.col.where'),
            render: (_v, c) => (c.kind === 'local' ? t('vol.class.oneCluster') : `${c.server}:${c.path}`),
          },
          { title: t('vol.class.col.max'), render: (_v, c) => `${c.maxSizeMiB} MiB` },
          { title: t('vol.class.col.volumes'), dataIndex: 'volumes' },
          { title: t('vol.class.field.description'), dataIndex: 'description' },
        ]}
      />
      {adding ? (
        <FormModal<ClassForm>
          title={t('vol.class.add')}
          okText={t('vol.class.add')}
          testId="volume-class-form"
          initialValues={{ kind: 'local' }}
          onSubmit={(v) =>
            putClass(v.name.trim(), {
              kind: v.kind,
              ...(v.server ? { server: v.server.trim() } : {}),
              ...(v.path ? { path: v.path.trim() } : {}),
              ...(v.mountOptions
                ? {
                    mountOptions: v.mountOptions
                      .split(',')
                      .map((o) => o.trim())
                      .filter(Boolean),
                  }
                : {}),
              ...(v.maxSizeMiB ? { maxSizeMiB: v.maxSizeMiB } : {}),
              ...(v.description ? { description: v.description } : {}),
            })
          }
          onDone={() => {
            void message.success(t('vol.class.saved'));
            setAdding(false);
            void queryClient.invalidateQueries({ queryKey: volumeKeys.classes });
          }}
          onCancel={() => setAdding(false)}
        >
          {() => (
            <>
              <Form.Item name="name" label={t('vol.col.name')} rules={[{ required: true, whitespace: true }]}>
                <Input id="class-name" placeholder="fast" />
              </Form.Item>
              <Form.Item name="kind" label={t('vol.class.field.kind')}>
                <Select id="class-kind" options={volumeClassKinds.map((k) => ({ value: k, label: k }))} />
              </Form.Item>
              <Form.Item name="server" label={t('vol.class.field.server')}>
                <Input id="class-server" placeholder="10.0.0.5" />
              </Form.Item>
              <Form.Item name="path" label={t('vol.class.field.path')}>
                <Input id="class-path" placeholder="/exports/berth" />
              </Form.Item>
              <Form.Item name="mountOptions" label={t('vol.class.field.options')}>
                <Input id="class-options" placeholder="nfsvers=4.1,soft" />
              </Form.Item>
              <Form.Item name="maxSizeMiB" label={t('vol.class.field.max')}>
                <InputNumber id="class-max" min={1} style={{ width: '100%' }} />
              </Form.Item>
              <Form.Item name="description" label={t('vol.class.field.description')}>
                <Input id="class-description" />
              </Form.Item>
            </>
          )}
        </FormModal>
      ) : null}
    </Card>
  );
}

/** An environment's volumes: class, size (and whether it is enforced), usage, users; create, export, import, delete. */
export function VolumesPage() {
  const { project = '', env = '' } = useParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const me = useMe().data;
  const admin = me ? isPlatformAdmin(me) : false;
  const [adding, setAdding] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const [importTarget, setImportTarget] = useState<string | null>(null);
  const volumes = useQuery({
    queryKey: volumeKeys.list(project, env),
    queryFn: () => listVolumes(project, env),
  });
  const classes = useQuery({ queryKey: volumeKeys.classes, queryFn: listClasses });
  const reload = () => void queryClient.invalidateQueries({ queryKey: volumeKeys.list(project, env) });
  const remove = useMutation({
    mutationFn: (v: Volume) => deleteVolume(project, env, v.name),
    onSuccess: (_r, v) => {
      void message.success(t('vol.removed', { name: v.name }));
      reload();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  const upload = useMutation({
    mutationFn: ({ name, file }: { name: string; file: File }) => importVolume(project, env, name, file),
    onSuccess: (_r, { name }) => {
      void message.success(t('vol.imported', { name }));
      reload();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  if (volumes.isError) return <ErrorState error={volumes.error} onRetry={() => void volumes.refetch()} />;
  return (
    <div className="page" data-testid="volumes-page">
      <Typography.Title level={3}>
        {t('vol.title')} · {project} / {env}
      </Typography.Title>
      <Alert
        type="info"
        showIcon
        title={<WithCode text={t('vol.help')} code={'"mounts": [{"volume": NAME, "path": "/data"}]'} />}
        style={{ marginBottom: 12 }}
      />
      <Space style={{ marginBottom: 12 }}>
        <Button type="primary" onClick={() => setAdding(true)} data-testid="add-volume">
          {t('vol.add')}
        </Button>
      </Space>
      <input
        ref={fileInput}
        type="file"
        accept=".tar,application/x-tar"
        style={{ display: 'none' }}
        data-testid="volume-import-file"
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file && importTarget) upload.mutate({ name: importTarget, file });
          e.target.value = '';
        }}
      />
      <Table<Volume>
        rowKey="name"
        size="middle"
        data-testid="volumes-table"
        loading={volumes.isPending}
        dataSource={volumes.data ?? []}
        pagination={false}
        locale={{ emptyText: t('vol.empty') }}
        columns={[
          { title: t('vol.col.name'), dataIndex: 'name' },
          { title: t('vol.col.class'), render: (_v, v) => `${v.class} (${v.kind})` },
          {
            title: t('vol.col.size'),
            render: (_v, v) => (
              <Space size={4}>
                <span>{v.sizeMiB} MiB</span>
                <Tooltip title={v.sizeNote ?? undefined}>
                  <Tag color={v.sizeEnforced ? 'green' : 'orange'} data-testid={`volume-enforced-${v.name}`}>
                    {v.sizeEnforced ? t('vol.enforced') : t('vol.notEnforced')}
                  </Tag>
                </Tooltip>
              </Space>
            ),
          },
          {
            title: t('vol.col.usage'),
            render: (_v, v) => (
              <span data-testid={`volume-usage-${v.name}`}>
                {v.usageBytes === null ? t('vol.usage.unknown') : formatBytes(v.usageBytes)}
              </span>
            ),
          },
          { title: t('vol.col.cluster'), render: (_v, v) => v.cluster ?? t('vol.shared') },
          {
            title: t('vol.col.usedBy'),
            render: (_v, v) => {
              const users = v.usedBy.filter((u) => u.kind !== 'container');
              return users.length === 0 ? (
                <Typography.Text type="secondary">{t('vol.unused')}</Typography.Text>
              ) : (
                users.map((u) =>
                  u.kind === 'service' ? (
                    <Tag key={`s/${u.name}`}>
                      <Link to={`/p/${project}/${env}/s/${u.name}`}>{u.name}</Link>
                    </Tag>
                  ) : (
                    <Tag key={`c/${u.name}`}>{t('vol.cronjob', { name: u.name })}</Tag>
                  ),
                )
              );
            },
          },
          {
            title: t('vol.col.actions'),
            render: (_v, v) => (
              <Space>
                <Button
                  size="small"
                  href={`${volumeUrl(project, env, v.name)}/export`}
                  data-testid={`export-volume-${v.name}`}
                >
                  {t('vol.export')}
                </Button>
                <Button
                  size="small"
                  loading={upload.isPending && importTarget === v.name}
                  data-testid={`import-volume-${v.name}`}
                  onClick={() => {
                    setImportTarget(v.name);
                    fileInput.current?.click();
                  }}
                >
                  {t('vol.import')}
                </Button>
                <Popconfirm
                  title={t('vol.remove.confirm', { name: v.name })}
                  okText={t('common.confirm')}
                  cancelText={t('common.cancel')}
                  onConfirm={() => remove.mutate(v)}
                >
                  <Button size="small" danger data-testid={`remove-volume-${v.name}`}>
                    {t('vol.remove')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <ClassesCard classes={classes.data} admin={admin} />
      {adding ? (
        <FormModal<VolumeForm>
          title={t('vol.add')}
          okText={t('vol.add')}
          testId="volume-form"
          onSubmit={(v) =>
            createVolume(project, env, {
              name: v.name.trim(),
              class: v.class,
              sizeMiB: v.sizeMiB,
              ...(v.cluster ? { cluster: v.cluster.trim() } : {}),
            })
          }
          onDone={() => {
            void message.success(t('vol.created'));
            setAdding(false);
            reload();
          }}
          onCancel={() => setAdding(false)}
        >
          {() => (
            <>
              <Form.Item
                name="name"
                label={t('vol.field.name')}
                rules={[{ required: true, whitespace: true, message: t('vol.field.name.required') }]}
              >
                <Input id="volume-name" placeholder="data" />
              </Form.Item>
              <Form.Item
                name="class"
                label={t('vol.field.class')}
                rules={[{ required: true, message: t('vol.field.class.required') }]}
              >
                <Select
                  id="volume-class"
                  options={(classes.data ?? []).map((c) => ({
                    value: c.name,
                    label: `${c.name} (${c.kind})`,
                  }))}
                />
              </Form.Item>
              <Form.Item
                name="sizeMiB"
                label={t('vol.field.size')}
                rules={[{ required: true, message: t('vol.field.size.required') }]}
              >
                <InputNumber id="volume-size" min={1} style={{ width: '100%' }} />
              </Form.Item>
              <Form.Item name="cluster" label={t('vol.field.cluster')}>
                <Input id="volume-cluster" placeholder="local" />
              </Form.Item>
            </>
          )}
        </FormModal>
      ) : null}
    </div>
  );
}
