import { Form, InputNumber, Space } from 'antd';
import type { MessageKey } from '../../i18n/en';
import { useI18n } from '../../i18n/I18nProvider';
import type { RolloutFormValues } from './service-form';

const fields: Array<{ name: keyof RolloutFormValues; max: number; min: number; help: MessageKey }> = [
  { name: 'maxSurge', min: 0, max: 100, help: 'svc.rollout.maxSurge.help' },
  { name: 'maxUnavailable', min: 0, max: 100, help: 'svc.rollout.maxUnavailable.help' },
  { name: 'drainSeconds', min: 0, max: 300, help: 'svc.rollout.drainSeconds.help' },
  { name: 'stopGraceSeconds', min: 0, max: 300, help: 'svc.rollout.stopGraceSeconds.help' },
  { name: 'progressDeadlineSeconds', min: 5, max: 3600, help: 'svc.rollout.progressDeadlineSeconds.help' },
];

/** The rollout strategy, with the spec's own field names as ids (`svc-rollout-maxSurge`). */
export function RolloutFields() {
  const { t } = useI18n();
  return (
    <Space wrap align="start" size="large">
      {fields.map((f) => (
        <Form.Item
          key={f.name}
          name={['rollout', f.name]}
          label={t(`svc.rollout.${f.name}`)}
          extra={t(f.help)}
          style={{ width: 200 }}
          rules={[{ required: true, message: t('create.required') }]}
        >
          <InputNumber id={`svc-rollout-${f.name}`} min={f.min} max={f.max} style={{ width: 120 }} />
        </Form.Item>
      ))}
    </Space>
  );
}
