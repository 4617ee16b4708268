import type { ReactNode } from 'react';
import {
  Alert,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Select,
  Space,
  Switch,
  type FormInstance,
} from 'antd';
import { capabilityNames } from '@berth/shared';
import { useI18n } from '../../i18n/I18nProvider';
import { EnvVarsField } from './EnvVarsField';
import { PortsField } from './PortsField';
import { ProbeFields } from './ProbeFields';
import { PlacementEditor, type PlacementTarget } from './PlacementEditor';
import { RolloutFields } from './RolloutFields';
import type { ServiceFormValues } from './service-form';

const namePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The one service form, for create and edit: every field of the spec the user sets. The API is
 * the validator; `errors` (from placeApiErrors) is shown above the form. In edit mode the name
 * is fixed.
 */
export function ServiceForm(props: {
  form: FormInstance<ServiceFormValues>;
  mode: 'create' | 'edit';
  initialValues: Partial<ServiceFormValues>;
  onFinish: (values: ServiceFormValues) => void;
  submitting: boolean;
  submitText: string;
  errors: string[] | null;
  footer?: ReactNode;
  /** Where the placement preview asks (the environment, or the service being edited). */
  placement: PlacementTarget;
}) {
  const { form, mode, initialValues, onFinish, submitting, submitText, errors, footer, placement } = props;
  const { t } = useI18n();
  const card = (title: string, body: ReactNode) => (
    <Card title={title} size="small" style={{ marginBottom: 16 }}>
      {body}
    </Card>
  );
  return (
    <>
      {errors ? (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16, whiteSpace: 'pre-line' }}
          data-testid="form-error"
          title={errors[0]}
          description={errors.length > 1 ? errors.slice(1).join('\n') : undefined}
        />
      ) : null}
      <Form<ServiceFormValues>
        form={form}
        layout="vertical"
        initialValues={initialValues}
        onFinish={onFinish}
        scrollToFirstError
        data-testid="service-form"
      >
        {card(
          t('create.section.basics'),
          <Space wrap align="start" size="large">
            <Form.Item
              name="name"
              label={t('create.name')}
              extra={mode === 'create' ? t('create.name.help') : t('svc.name.fixed')}
              rules={[
                { required: true, message: t('create.required') },
                { pattern: namePattern, max: 63, message: t('create.name.invalid') },
              ]}
            >
              <Input id="svc-name" style={{ width: 260 }} disabled={mode === 'edit'} />
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
          </Space>,
        )}
        {card(t('svc.section.ports'), <PortsField />)}
        {card(
          t('create.section.runtime'),
          <>
            <Space wrap align="start" size="large" style={{ width: '100%' }}>
              <Form.Item name="command" label={t('create.command')} extra={t('create.command.help')}>
                <Input.TextArea id="svc-command" rows={3} style={{ width: 420, fontFamily: 'monospace' }} />
              </Form.Item>
              <Form.Item name="args" label={t('create.args')} extra={t('create.args.help')}>
                <Input.TextArea id="svc-args" rows={3} style={{ width: 320, fontFamily: 'monospace' }} />
              </Form.Item>
              <Form.Item name="workingDir" label={t('svc.workingDir')}>
                <Input id="svc-workingDir" placeholder="/app" style={{ width: 200 }} />
              </Form.Item>
              <Form.Item name="user" label={t('svc.user')} extra={t('svc.user.help')}>
                <Input id="svc-user" placeholder="1000:1000" style={{ width: 200 }} />
              </Form.Item>
            </Space>
            <EnvVarsField />
          </>,
        )}
        {card(
          t('svc.section.resources'),
          <Space wrap align="start" size="large">
            <Form.Item name="cpu" label={t('create.cpu')}>
              <InputNumber id="svc-cpu" min={0.01} max={64} step={0.1} placeholder={t('detail.unlimited')} />
            </Form.Item>
            <Form.Item name="memoryMiB" label={t('create.memory')}>
              <InputNumber id="svc-memory" min={6} max={262144} placeholder={t('detail.unlimited')} />
            </Form.Item>
            <Form.Item name="pids" label={t('svc.pids')} extra={t('svc.pids.help')}>
              <InputNumber id="svc-pids" min={16} max={32768} />
            </Form.Item>
          </Space>,
        )}
        {card(
          t('svc.section.security'),
          <Space wrap align="start" size="large">
            <Form.Item name="capabilities" label={t('svc.capabilities')} extra={t('svc.capabilities.help')}>
              <Select
                id="svc-capabilities"
                mode="multiple"
                allowClear
                style={{ minWidth: 320 }}
                options={capabilityNames.map((c) => ({ value: c, label: c }))}
              />
            </Form.Item>
            <Form.Item
              name="readOnlyRootFilesystem"
              label={t('svc.readOnlyRootFilesystem')}
              extra={t('svc.readOnlyRootFilesystem.help')}
              valuePropName="checked"
            >
              <Switch id="svc-readonly" />
            </Form.Item>
          </Space>,
        )}
        {card(
          t('svc.section.health'),
          <>
            <ProbeFields probe="readiness" />
            <ProbeFields probe="liveness" />
          </>,
        )}
        {card(t('svc.section.placement'), <PlacementEditor target={placement} />)}
        {card(t('svc.section.rollout'), <RolloutFields />)}
        <Space>
          <Button type="primary" htmlType="submit" loading={submitting} data-testid="form-submit">
            {submitText}
          </Button>
          {footer}
        </Space>
      </Form>
    </>
  );
}
