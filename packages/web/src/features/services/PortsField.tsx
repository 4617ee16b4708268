import { Button, Form, Input, InputNumber, Space } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';

/** The container ports (TCP): a number and an optional name each; ids `svc-port-<i>`. */
export function PortsField() {
  const { t } = useI18n();
  return (
    <Form.List name="ports">
      {(fields, { add, remove }) => (
        <div>
          {fields.map((field) => (
            <Space key={field.key} align="start" wrap style={{ display: 'flex' }}>
              <Form.Item
                name={[field.name, 'containerPort']}
                label={field.name === 0 ? t('create.port') : undefined}
              >
                <InputNumber
                  id={`svc-port-${field.name}`}
                  min={1}
                  max={65535}
                  placeholder="8080"
                  aria-label={t('create.port')}
                />
              </Form.Item>
              <Form.Item
                name={[field.name, 'name']}
                label={field.name === 0 ? t('svc.port.name') : undefined}
              >
                <Input placeholder="http" aria-label={t('svc.port.name')} style={{ width: 140 }} />
              </Form.Item>
              <Button
                type="link"
                danger
                onClick={() => remove(field.name)}
                style={field.name === 0 ? { marginTop: 30 } : undefined}
              >
                {t('create.env.remove')}
              </Button>
            </Space>
          ))}
          <Button onClick={() => add({ containerPort: null, name: '' })} data-testid="add-port">
            {t('svc.port.add')}
          </Button>
        </div>
      )}
    </Form.List>
  );
}
