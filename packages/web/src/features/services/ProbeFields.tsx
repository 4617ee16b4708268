import { Form, Input, InputNumber, Select, Space } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';
import type { ProbeKind } from './service-form';

/**
 * One health check (readiness or liveness): its kind, then the fields that kind uses. Field ids
 * are `svc-<probe>-<field>` so tests and labels can address them.
 */
export function ProbeFields({ probe }: { probe: 'readiness' | 'liveness' }) {
  const { t } = useI18n();
  const type = Form.useWatch([probe, 'type']) as ProbeKind | undefined;
  const id = (field: string) => `svc-${probe}${field ? `-${field}` : ''}`;
  const seconds = (field: string, label: string, min: number, max: number) => (
    <Form.Item name={[probe, field]} label={label}>
      <InputNumber id={id(field)} min={min} max={max} style={{ width: 110 }} />
    </Form.Item>
  );
  return (
    <div data-testid={`probe-${probe}`}>
      <Space wrap align="start" size="middle">
        <Form.Item
          name={[probe, 'type']}
          label={probe === 'readiness' ? t('create.readiness') : t('svc.liveness')}
        >
          <Select
            id={id('')}
            style={{ width: 250 }}
            options={[
              {
                value: 'none',
                label: probe === 'readiness' ? t('create.readiness.none') : t('svc.probe.off'),
              },
              { value: 'http', label: t('create.readiness.http') },
              { value: 'tcp', label: t('create.readiness.tcp') },
              { value: 'exec', label: t('svc.probe.exec') },
            ]}
          />
        </Form.Item>
        {type === 'http' ? (
          <Form.Item name={[probe, 'path']} label={t('create.readiness.path')}>
            <Input id={id('path')} placeholder="/healthz" style={{ width: 200 }} />
          </Form.Item>
        ) : null}
        {type === 'http' || type === 'tcp' ? (
          <Form.Item name={[probe, 'port']} label={t('svc.probe.port')}>
            <InputNumber id={id('port')} min={1} max={65535} placeholder={t('svc.probe.firstPort')} />
          </Form.Item>
        ) : null}
        {type === 'exec' ? (
          <Form.Item name={[probe, 'command']} label={t('svc.probe.command')} extra={t('create.args.help')}>
            <Input.TextArea id={id('command')} rows={2} style={{ width: 300, fontFamily: 'monospace' }} />
          </Form.Item>
        ) : null}
      </Space>
      {type && type !== 'none' ? (
        <Space wrap align="start" size="middle">
          {seconds('initialDelaySeconds', t('svc.probe.initialDelay'), 0, 3600)}
          {seconds('periodSeconds', t('svc.probe.period'), 1, 3600)}
          {seconds('timeoutSeconds', t('svc.probe.timeout'), 1, 60)}
          {seconds('failureThreshold', t('svc.probe.failures'), 1, 30)}
        </Space>
      ) : null}
    </div>
  );
}
