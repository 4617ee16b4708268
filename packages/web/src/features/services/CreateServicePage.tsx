import { useState } from 'react';
import { Alert, App, Button, Card, Form, Input, InputNumber, Select, Space, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { isApiError } from '../../api/errors';
import { createService } from '../../api/resources';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { useTaskCenter } from '../tasks/TaskCenter';
import { EnvVarsField } from './EnvVarsField';
import { fieldFor, toCreateRequest, type FieldName, type ServiceFormValues } from './service-form';

const namePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Creates a service. The API is the validator: its field errors are put on the fields they name;
 * the rest are listed above the form. On success the service page opens with the rollout task.
 */
export function CreateServicePage() {
  const { project = '', env = '' } = useParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<ServiceFormValues>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const tasks = useTaskCenter();
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string[] | null>(null);
  const readinessType = Form.useWatch('readinessType', form);

  const submit = async (values: ServiceFormValues) => {
    setBusy(true);
    setFormError(null);
    try {
      const created = await createService(project, env, toCreateRequest(values));
      await queryClient.invalidateQueries({ queryKey: ['services', project, env] });
      if (created.task) tasks.track(created.task);
      void message.success(t('create.created', { name: created.service.name }));
      void navigate(`/p/${project}/${env}/s/${created.service.name}/overview`);
    } catch (err) {
      const unplaced: string[] = [];
      if (isApiError(err) && err.fields.length) {
        const byField = new Map<string, { name: FieldName; errors: string[] }>();
        for (const f of err.fields) {
          const name = fieldFor(f.path);
          if (!name) unplaced.push(`${f.path}: ${f.message}`);
          else {
            const key = JSON.stringify(name);
            const entry = byField.get(key) ?? { name, errors: [] };
            entry.errors.push(f.message);
            byField.set(key, entry);
          }
        }
        form.setFields([...byField.values()]);
        setFormError([t('create.fixErrors'), ...unplaced]);
      } else setFormError([errorText(t, err)]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('create.title')} · {project} / {env}
        </Typography.Title>
        <Link to={`/p/${project}/${env}`}>{t('detail.back')}</Link>
      </div>
      {formError ? (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="create-error"
          title={formError[0]}
          description={formError.length > 1 ? formError.slice(1).join('\n') : undefined}
        />
      ) : null}
      <Form<ServiceFormValues>
        form={form}
        layout="vertical"
        initialValues={{ replicas: 1, readinessType: 'default', env: [] }}
        onFinish={(v) => void submit(v)}
        scrollToFirstError
      >
        <Card title={t('create.section.basics')} size="small" style={{ marginBottom: 16 }}>
          <Space wrap align="start" size="large">
            <Form.Item
              name="name"
              label={t('create.name')}
              extra={t('create.name.help')}
              rules={[
                { required: true, message: t('create.required') },
                { pattern: namePattern, max: 63, message: t('create.name.invalid') },
              ]}
            >
              <Input id="svc-name" style={{ width: 260 }} />
            </Form.Item>
            <Form.Item
              name="image"
              label={t('create.image')}
              rules={[{ required: true, message: t('create.required') }]}
            >
              <Input id="svc-image" style={{ width: 380 }} placeholder="registry:5000/team/app:1.0" />
            </Form.Item>
            <Form.Item name="replicas" label={t('create.replicas')}>
              <InputNumber id="svc-replicas" min={0} max={100} />
            </Form.Item>
            <Form.Item name="port" label={t('create.port')}>
              <InputNumber id="svc-port" min={1} max={65535} placeholder="8080" />
            </Form.Item>
          </Space>
        </Card>
        <Card title={t('create.section.runtime')} size="small" style={{ marginBottom: 16 }}>
          <Space wrap align="start" size="large" style={{ width: '100%' }}>
            <Form.Item name="command" label={t('create.command')} extra={t('create.command.help')}>
              <Input.TextArea id="svc-command" rows={3} style={{ width: 420, fontFamily: 'monospace' }} />
            </Form.Item>
            <Form.Item name="args" label={t('create.args')} extra={t('create.args.help')}>
              <Input.TextArea id="svc-args" rows={3} style={{ width: 320, fontFamily: 'monospace' }} />
            </Form.Item>
          </Space>
          <EnvVarsField />
        </Card>
        <Card title={t('create.section.resources')} size="small" style={{ marginBottom: 16 }}>
          <Space wrap align="start" size="large">
            <Form.Item name="cpu" label={t('create.cpu')}>
              <InputNumber id="svc-cpu" min={0.01} max={64} step={0.1} placeholder={t('detail.unlimited')} />
            </Form.Item>
            <Form.Item name="memoryMiB" label={t('create.memory')}>
              <InputNumber id="svc-memory" min={6} max={262144} placeholder={t('detail.unlimited')} />
            </Form.Item>
            <Form.Item name="readinessType" label={t('create.readiness')}>
              <Select
                id="svc-readiness"
                style={{ width: 260 }}
                options={[
                  { value: 'default', label: t('create.readiness.none') },
                  { value: 'http', label: t('create.readiness.http') },
                  { value: 'tcp', label: t('create.readiness.tcp') },
                ]}
              />
            </Form.Item>
            {readinessType === 'http' ? (
              <Form.Item name="readinessPath" label={t('create.readiness.path')}>
                <Input id="svc-readiness-path" placeholder="/healthz" style={{ width: 220 }} />
              </Form.Item>
            ) : null}
          </Space>
        </Card>
        <Button type="primary" htmlType="submit" loading={busy} data-testid="create-submit">
          {t('create.submit')}
        </Button>
      </Form>
    </>
  );
}
