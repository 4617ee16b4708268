import { Button, Card, Form, Input, InputNumber, Radio, Select, Space, Switch, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useParams } from 'react-router-dom';
import { useI18n } from '../../i18n/I18nProvider';
import { CertificateSelect } from '../certificates/CertificateSelect';

function Section({ title, help, children }: { title: string; help?: string; children: ReactNode }) {
  return (
    <Card title={title} size="small" style={{ marginBottom: 16 }}>
      {help ? <Typography.Paragraph type="secondary">{help}</Typography.Paragraph> : null}
      {children}
    </Card>
  );
}

function Seconds({ name, label, max }: { name: string[]; label: string; max: number }) {
  const { t } = useI18n();
  return (
    <Form.Item name={name} label={label}>
      <InputNumber
        min={1}
        max={max}
        placeholder={t('routes.form.default')}
        suffix="s"
        style={{ width: 150 }}
      />
    </Form.Item>
  );
}

/** The TLS certificate (one of the project's) and the redirect of a route. */
export function TlsRedirectSection() {
  const { t } = useI18n();
  const { project = '', env = '' } = useParams();
  const mode = Form.useWatch('redirectMode') as string | undefined;
  return (
    <Section title={t('routes.form.tls')} help={t('routes.form.tls.help')}>
      <CertificateSelect project={project} env={env} />
      <Form.Item name="redirectMode" label={t('routes.form.redirect')}>
        <Radio.Group
          options={[
            { value: 'none', label: t('routes.form.redirect.none') },
            { value: 'https', label: t('routes.form.redirect.https') },
            { value: 'url', label: t('routes.form.redirect.url') },
          ]}
        />
      </Form.Item>
      {mode === 'url' ? (
        <Space wrap align="start" size="large">
          <Form.Item
            name={['redirect', 'url']}
            label={t('routes.form.redirect.target')}
            rules={[{ required: true, message: t('create.required') }]}
          >
            <Input id="route-redirect-url" placeholder="https://www.example.com/" style={{ width: 360 }} />
          </Form.Item>
          <Form.Item name={['redirect', 'code']} label={t('routes.form.redirect.code')} initialValue="302">
            <Select
              style={{ width: 120 }}
              options={['301', '302', '307', '308'].map((c) => ({ value: c, label: c }))}
            />
          </Form.Item>
        </Space>
      ) : null}
    </Section>
  );
}

/** Timeouts, body size, WebSocket and the rate limit. */
export function TrafficSection() {
  const { t } = useI18n();
  return (
    <Section title={t('routes.form.traffic')}>
      <Space wrap align="start" size="large">
        <Seconds name={['timeouts', 'connectSeconds']} label={t('routes.form.timeout.connect')} max={75} />
        <Seconds name={['timeouts', 'readSeconds']} label={t('routes.form.timeout.read')} max={3600} />
        <Seconds name={['timeouts', 'sendSeconds']} label={t('routes.form.timeout.send')} max={3600} />
        <Form.Item name="maxBodyMiB" label={t('routes.form.maxBody')} extra={t('routes.form.maxBody.help')}>
          <InputNumber
            min={0}
            max={10240}
            suffix="MiB"
            placeholder={t('routes.form.default')}
            style={{ width: 160 }}
          />
        </Form.Item>
        <Form.Item name="websocket" label={t('routes.form.websocket')} valuePropName="checked">
          <Switch id="route-websocket" />
        </Form.Item>
      </Space>
      <Space wrap align="start" size="large">
        <Form.Item
          name={['rateLimit', 'requestsPerSecond']}
          label={t('routes.form.rate')}
          extra={t('routes.form.rate.help')}
        >
          <InputNumber min={1} max={100000} placeholder={t('routes.form.unlimited')} style={{ width: 180 }} />
        </Form.Item>
        <Form.Item name={['rateLimit', 'burst']} label={t('routes.form.burst')}>
          <InputNumber min={0} max={100000} placeholder="0" style={{ width: 140 }} />
        </Form.Item>
      </Space>
    </Section>
  );
}

/** Response headers the gateway adds. */
export function HeadersSection() {
  const { t } = useI18n();
  return (
    <Section title={t('routes.form.headers')} help={t('routes.form.headers.help')}>
      <Form.List name="headers">
        {(fields, { add, remove }) => (
          <>
            {fields.map((field) => (
              <Space key={field.key} align="start" wrap>
                <Form.Item
                  name={[field.name, 'name']}
                  rules={[{ required: true, message: t('create.required') }]}
                >
                  <Input
                    placeholder="X-Frame-Options"
                    aria-label={t('routes.form.header.name')}
                    style={{ width: 240 }}
                  />
                </Form.Item>
                <Form.Item name={[field.name, 'value']}>
                  <Input
                    placeholder="DENY"
                    aria-label={t('routes.form.header.value')}
                    style={{ width: 320 }}
                  />
                </Form.Item>
                <Button onClick={() => remove(field.name)}>{t('routes.form.remove')}</Button>
              </Space>
            ))}
            <Button onClick={() => add({ name: '', value: '' })} data-testid="route-add-header">
              {t('routes.form.header.add')}
            </Button>
          </>
        )}
      </Form.List>
    </Section>
  );
}

/** Allow and deny lists of client addresses. */
export function AccessSection() {
  const { t } = useI18n();
  const cidrs = (name: 'allow' | 'deny') => (
    <Form.Item name={name} label={t(`routes.form.${name}`)} style={{ minWidth: 320, flex: 1 }}>
      <Select
        id={`route-${name}`}
        mode="tags"
        tokenSeparators={[',', ' ']}
        open={false}
        suffixIcon={null}
        placeholder="10.0.0.0/8"
      />
    </Form.Item>
  );
  return (
    <Section title={t('routes.form.access')} help={t('routes.form.access.help')}>
      <div style={{ display: 'flex', gap: 24, flexWrap: 'wrap' }}>
        {cidrs('allow')}
        {cidrs('deny')}
      </div>
    </Section>
  );
}

/** Upstream health rules: passive checks and retries on the next server. */
export function HealthSection() {
  const { t } = useI18n();
  const custom = Form.useWatch('healthCustom') as boolean | undefined;
  return (
    <Section title={t('routes.form.health')} help={t('routes.form.health.help')}>
      <Form.Item name="healthCustom" valuePropName="checked">
        <Switch
          id="route-health-custom"
          checkedChildren={t('routes.form.health.custom')}
          unCheckedChildren={t('routes.form.health.defaults')}
        />
      </Form.Item>
      {custom ? (
        <Space wrap align="start" size="large">
          <Form.Item name={['health', 'maxFails']} label={t('routes.form.health.maxFails')}>
            <InputNumber min={0} max={100} style={{ width: 140 }} />
          </Form.Item>
          <Seconds
            name={['health', 'failTimeoutSeconds']}
            label={t('routes.form.health.failTimeout')}
            max={3600}
          />
          <Form.Item
            name={['health', 'nextUpstream']}
            label={t('routes.form.health.next')}
            valuePropName="checked"
            extra={t('routes.form.health.next.help')}
          >
            <Switch />
          </Form.Item>
        </Space>
      ) : null}
    </Section>
  );
}
