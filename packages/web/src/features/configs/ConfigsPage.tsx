import { useRef, useState } from 'react';
import { Alert, App, Button, Form, Input, Space, Table, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { ConfigSummary } from '@berth/shared';
import { ErrorState } from '../../components/ErrorState';
import { WithCode } from '../../components/WithCode';
import { formatBytes } from '../../components/chart-math';
import { useI18n } from '../../i18n/I18nProvider';
import { FormModal } from '../admin/FormModal';
import { configKeys, createConfig, listConfigs } from './configs-api';
import './strings';

interface CreateForm {
  name: string;
  description?: string;
  file: string;
  content: string;
}

/** A project's configs (reached from an environment's menu): name, version, files, size; create. */
export function ConfigsPage() {
  const { project = '', env = '' } = useParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const createdName = useRef('');
  const list = useQuery({ queryKey: configKeys.list(project), queryFn: () => listConfigs(project) });
  if (list.isError) return <ErrorState error={list.error} onRetry={() => void list.refetch()} />;
  return (
    <div className="page" data-testid="configs-page">
      <Typography.Title level={3}>
        {t('cfg.title')} · {project}
      </Typography.Title>
      <Alert
        type="info"
        showIcon
        title={
          <WithCode
            text={t('cfg.help', { project })}
            code={'"mounts": [{"config": NAME, "path": "/etc/app"}]'}
          />
        }
        style={{ marginBottom: 12 }}
      />
      <Space style={{ marginBottom: 12 }}>
        <Button type="primary" onClick={() => setAdding(true)} data-testid="add-config">
          {t('cfg.add')}
        </Button>
      </Space>
      <Table<ConfigSummary>
        rowKey="name"
        size="small"
        pagination={false}
        loading={list.isPending}
        dataSource={list.data ?? []}
        locale={{ emptyText: t('cfg.empty') }}
        columns={[
          {
            title: t('cfg.col.name'),
            render: (_v, c) => (
              <Link to={`/p/${project}/${env}/configs/${c.name}`} data-testid={`config-${c.name}`}>
                {c.name}
              </Link>
            ),
          },
          { title: t('cfg.col.version'), dataIndex: 'version' },
          { title: t('cfg.col.files'), dataIndex: 'files' },
          { title: t('cfg.col.size'), render: (_v, c) => formatBytes(c.bytes) },
          {
            title: t('cfg.col.updated'),
            render: (_v, c) =>
              t('cfg.by', { when: new Date(c.updatedAt).toLocaleString(), who: c.updatedBy }),
          },
          { title: t('cfg.field.description'), dataIndex: 'description' },
        ]}
      />
      {adding ? (
        <FormModal<CreateForm>
          title={t('cfg.add')}
          okText={t('cfg.add')}
          testId="config-form"
          initialValues={{ file: 'app.conf' }}
          onSubmit={(v) => {
            createdName.current = v.name.trim();
            return createConfig(project, {
              name: v.name.trim(),
              ...(v.description ? { description: v.description } : {}),
              files: { [v.file.trim()]: v.content ?? '' },
            });
          }}
          onDone={() => {
            void message.success(t('cfg.created', { name: createdName.current }));
            setAdding(false);
            void queryClient.invalidateQueries({ queryKey: configKeys.list(project) });
            void navigate(`/p/${project}/${env}/configs/${createdName.current}`);
          }}
          onCancel={() => setAdding(false)}
        >
          {() => (
            <>
              <Form.Item
                name="name"
                label={t('cfg.field.name')}
                rules={[{ required: true, whitespace: true }]}
              >
                <Input id="config-name" placeholder="app" />
              </Form.Item>
              <Form.Item name="description" label={t('cfg.field.description')}>
                <Input id="config-description" />
              </Form.Item>
              <Form.Item
                name="file"
                label={t('cfg.file.name')}
                rules={[{ required: true, whitespace: true }]}
              >
                <Input id="config-file" />
              </Form.Item>
              <Form.Item name="content" label={t('cfg.tab.files')}>
                <Input.TextArea id="config-content" rows={8} style={{ fontFamily: 'monospace' }} />
              </Form.Item>
            </>
          )}
        </FormModal>
      ) : null}
    </div>
  );
}
