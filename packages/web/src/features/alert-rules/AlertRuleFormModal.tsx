import { useRef, useState } from 'react';
import { Alert, Button, Form, Input, InputNumber, Select, Space, Switch, Table, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { alertSeverities, alertTemplates, type AlertRule, type AlertTemplate } from '@berth/shared';
import { ApiError, isApiError } from '../../api/errors';
import { listContainers } from '../../api/resources';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { FormModal } from '../admin/FormModal';
import { alertKeys, listChannels } from '../alerts/alerts-api';
import { listCertificates } from '../certificates/certificates-api';
import { listRoutes } from '../routes/routes-api';
import { useEnvServices } from '../routes/useEnvServices';
import {
  createAlertRule,
  previewAlertRule,
  updateAlertRule,
  type AlertRuleInput,
  type PreviewResult,
} from './alert-rules-api';
import './strings';

/** The API names a channel by its index (channels.1); the form has one field for them all. */
function channelsAtField(err: unknown): unknown {
  if (!isApiError(err) || !err.fields.some((f) => f.path.startsWith('channels.'))) return err;
  const fields = err.fields.map((f) => (f.path.startsWith('channels.') ? { ...f, path: 'channels' } : f));
  return new ApiError(err.status, err.code, err.message, { ...err.details, fields });
}

/** The form's fields; the scope's fields are flat (the API's `scope.service` errors land on `scope`). */
interface RuleFormValues {
  name: string;
  template: AlertTemplate;
  scope: { service?: string; container?: string; route?: string; certificate?: string; probe?: string };
  threshold: number | null;
  for: string;
  severity: string;
  channels: string[];
  enabled: boolean;
  promql: string;
}

/** Which scope fields the form shows for a template (docs/alert-rules.md). */
const scopeFields: Record<AlertTemplate, Array<keyof RuleFormValues['scope']>> = {
  cpu: ['service', 'container'],
  memory: ['service', 'container'],
  restarts: ['service'],
  oom: ['service'],
  unavailable: ['service'],
  http5xx: ['route', 'service'],
  latency: ['route', 'service'],
  probe: ['probe'],
  certificate: ['certificate'],
  custom: [],
};

function initialValues(rule: AlertRule | null): RuleFormValues {
  return {
    name: rule?.name ?? '',
    template: rule?.template ?? 'cpu',
    scope: { ...rule?.scope },
    threshold: rule?.threshold ?? null,
    for: rule?.for ?? '1m',
    severity: rule?.severity ?? 'warning',
    channels: rule?.channels ?? [],
    enabled: rule?.enabled ?? true,
    promql: rule?.promql ?? '',
  };
}

function bodyOf(v: RuleFormValues, rule: AlertRule | null): AlertRuleInput {
  const scope = Object.fromEntries(
    scopeFields[v.template].flatMap((k) => {
      const value = v.scope?.[k];
      return value ? [[k, value]] : [];
    }),
  );
  return {
    template: v.template,
    scope,
    ...(v.threshold !== null && v.threshold !== undefined ? { threshold: v.threshold } : {}),
    for: v.for?.trim() || '1m',
    severity: v.severity,
    channels: v.channels ?? [],
    labels: rule?.labels ?? {},
    enabled: v.enabled,
    ...(v.template === 'custom' ? { promql: v.promql } : {}),
  };
}

/** Create or edit a rule; the preview renders the draft's PromQL and its current value(s). */
export function AlertRuleFormModal({
  project,
  env,
  rule,
  onDone,
  onCancel,
}: {
  project: string;
  env: string;
  rule: AlertRule | null;
  onDone: (saved: AlertRule & { version: number }) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const saved = useRef<(AlertRule & { version: number }) | null>(null);
  const [preview, setPreview] = useState<PreviewResult | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const services = useEnvServices(project, env);
  const routes = useQuery({
    queryKey: ['routes', project, env, 'alert-rules'],
    queryFn: () => listRoutes(project, env),
  });
  const certificates = useQuery({
    queryKey: ['certificates', project, 'alert-rules'],
    queryFn: () => listCertificates(project),
  });
  const [service, setService] = useState<string | undefined>(rule?.scope.service);
  const containers = useQuery({
    queryKey: ['containers', project, env, service, 'alert-rules'],
    queryFn: () => listContainers({ project, env, service: service! }),
    enabled: !!service,
  });
  // the project's channels to pick from (a rule may name only these; a typed name that is not
  // one is refused by the API at channels.N, shown at the channels field)
  const channels = useQuery({ queryKey: alertKeys.channels(project), queryFn: () => listChannels(project) });
  const submit = async (v: RuleFormValues) => {
    const body = bodyOf(v, rule);
    try {
      saved.current = rule
        ? await updateAlertRule(project, env, rule.name, body)
        : await createAlertRule(project, env, { ...body, name: v.name.trim() });
    } catch (err) {
      throw channelsAtField(err);
    }
  };
  const required = [{ required: true, message: t('ar.form.required') }];
  const options = (names: string[] | undefined) => (names ?? []).map((n) => ({ value: n, label: n }));
  return (
    <FormModal<RuleFormValues>
      title={rule ? t('ar.form.editTitle', { name: rule.name }) : t('ar.form.createTitle')}
      okText={rule ? t('ar.form.save') : t('ar.create')}
      testId="alert-rule-form"
      initialValues={initialValues(rule)}
      onSubmit={submit}
      onDone={() => {
        if (saved.current) onDone(saved.current);
      }}
      onCancel={onCancel}
    >
      {(form) => (
        <>
          {rule ? null : (
            <Form.Item name="name" label={t('ar.form.name')} rules={required}>
              <Input id="alert-rule-name" />
            </Form.Item>
          )}
          <Form.Item name="template" label={t('ar.form.template')}>
            <Select
              id="alert-rule-template"
              options={alertTemplates.map((x) => ({ value: x, label: t(`ar.template.${x}`) }))}
              onChange={() => setPreview(null)}
            />
          </Form.Item>
          <Form.Item<RuleFormValues>
            noStyle
            shouldUpdate={(a: RuleFormValues, b: RuleFormValues) => a.template !== b.template}
          >
            {() => {
              const template = form.getFieldValue('template') as AlertTemplate;
              const fields = scopeFields[template];
              return (
                <Space align="start" wrap>
                  {fields.includes('service') ? (
                    <Form.Item name={['scope', 'service']} label={t('ar.form.service')}>
                      <Select
                        id="alert-rule-service"
                        allowClear
                        showSearch
                        style={{ width: 200 }}
                        options={options(services.data?.items.map((s) => s.name))}
                        onChange={(v: string | undefined) => {
                          setService(v);
                          form.setFieldValue(['scope', 'container'], undefined);
                        }}
                      />
                    </Form.Item>
                  ) : null}
                  {fields.includes('container') ? (
                    <Form.Item name={['scope', 'container']} label={t('ar.form.container')}>
                      <Select
                        id="alert-rule-container"
                        allowClear
                        style={{ width: 300 }}
                        disabled={!service}
                        options={options(containers.data?.items.map((c) => c.name))}
                      />
                    </Form.Item>
                  ) : null}
                  {fields.includes('route') ? (
                    <Form.Item name={['scope', 'route']} label={t('ar.form.route')}>
                      <Select
                        id="alert-rule-route"
                        allowClear
                        style={{ width: 200 }}
                        options={options(routes.data?.items.map((r) => r.name))}
                      />
                    </Form.Item>
                  ) : null}
                  {fields.includes('certificate') ? (
                    <Form.Item name={['scope', 'certificate']} label={t('ar.form.certificate')}>
                      <Select
                        id="alert-rule-certificate"
                        style={{ width: 200 }}
                        options={options(certificates.data?.items.map((c) => c.name))}
                      />
                    </Form.Item>
                  ) : null}
                  {fields.includes('probe') ? (
                    <Form.Item name={['scope', 'probe']} label={t('ar.form.probe')}>
                      <Input id="alert-rule-probe" style={{ width: 200 }} />
                    </Form.Item>
                  ) : null}
                  {template === 'custom' ? (
                    <Form.Item name="promql" label={t('ar.form.promql')} style={{ width: 440 }}>
                      <Input.TextArea id="alert-rule-promql" rows={3} />
                    </Form.Item>
                  ) : null}
                </Space>
              );
            }}
          </Form.Item>
          <Space align="start" wrap>
            <Form.Item name="threshold" label={t('ar.form.threshold')}>
              <InputNumber id="alert-rule-threshold" min={0} />
            </Form.Item>
            <Form.Item name="for" label={t('ar.form.for')}>
              <Input id="alert-rule-for" style={{ width: 120 }} />
            </Form.Item>
            <Form.Item name="severity" label={t('ar.form.severity')}>
              <Select
                id="alert-rule-severity"
                style={{ width: 130 }}
                options={alertSeverities.map((s) => ({ value: s, label: s }))}
              />
            </Form.Item>
            <Form.Item name="enabled" label={t('ar.form.enabled')} valuePropName="checked">
              <Switch id="alert-rule-enabled" />
            </Form.Item>
          </Space>
          <Form.Item name="channels" label={t('ar.form.channels')}>
            <Select
              id="alert-rule-channels"
              mode="tags"
              tokenSeparators={[',', ' ']}
              options={options(channels.data?.items.map((c) => c.name))}
            />
          </Form.Item>
          <Button
            data-testid="alert-rule-preview"
            onClick={() => {
              setPreviewError(null);
              previewAlertRule(project, env, bodyOf(form.getFieldsValue(true) as RuleFormValues, rule))
                .then(setPreview)
                .catch((err: unknown) => {
                  setPreview(null);
                  setPreviewError(errorText(t, err));
                });
            }}
          >
            {t('ar.preview')}
          </Button>
          {previewError ? (
            <Alert
              type="warning"
              showIcon
              title={previewError}
              style={{ marginTop: 8 }}
              data-testid="alert-rule-preview-error"
            />
          ) : null}
          {preview ? (
            <div data-testid="alert-rule-preview-result" style={{ marginTop: 8 }}>
              <Typography.Text type="secondary">{t('ar.preview.expr')}</Typography.Text>
              <Typography.Paragraph code copyable data-testid="alert-rule-preview-expr">
                {preview.expr}
              </Typography.Paragraph>
              <Table
                size="small"
                pagination={false}
                rowKey={(s) => JSON.stringify(s.metric)}
                dataSource={preview.samples}
                locale={{ emptyText: t('ar.preview.none') }}
                columns={[
                  {
                    key: 'series',
                    title: t('ar.preview.series'),
                    render: (_, s) =>
                      ['service', 'container', 'route', 'certificate']
                        .filter((k) => s.metric[k])
                        .map((k) => `${k}=${s.metric[k]}`)
                        .join(', ') || '—',
                  },
                  {
                    key: 'value',
                    title: t('ar.preview.value'),
                    render: (_, s) => (s.value === null ? 'NaN' : Number(s.value.toPrecision(4)).toString()),
                  },
                ]}
              />
            </div>
          ) : null}
        </>
      )}
    </FormModal>
  );
}
