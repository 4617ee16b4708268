import { Button, Form, Input, Space, Switch, Typography } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';

/** Environment variables; a secret one is typed into a masked field and never shown again. */
export function EnvVarsField() {
  const { t } = useI18n();
  return (
    <>
      <Typography.Text strong>{t('create.env')}</Typography.Text>
      <Form.List name="env">
        {(fields, { add, remove }) => (
          <div style={{ marginTop: 8 }}>
            {fields.map((field) => (
              <EnvVarRow key={field.key} index={field.name} onRemove={() => remove(field.name)} />
            ))}
            <Button onClick={() => add({ name: '', value: '', secret: false })}>{t('create.env.add')}</Button>
          </div>
        )}
      </Form.List>
    </>
  );
}

function EnvVarRow({ index, onRemove }: { index: number; onRemove: () => void }) {
  const { t } = useI18n();
  const secret = Form.useWatch(['env', index, 'secret']) === true;
  const stored = Form.useWatch(['env', index, 'isSet']) === true;
  return (
    <Space align="start" wrap>
      <Form.Item name={[index, 'name']} rules={[{ required: true, message: t('create.required') }]}>
        <Input placeholder={t('create.env.name')} aria-label={t('create.env.name')} style={{ width: 220 }} />
      </Form.Item>
      <Form.Item name={[index, 'value']}>
        {secret ? (
          <Input.Password
            autoComplete="new-password"
            placeholder={stored ? t('svc.env.secretKept') : t('create.env.value')}
            aria-label={t('create.env.value')}
            style={{ width: 280 }}
          />
        ) : (
          <Input
            placeholder={t('create.env.value')}
            aria-label={t('create.env.value')}
            style={{ width: 280 }}
          />
        )}
      </Form.Item>
      <Form.Item name={[index, 'secret']} valuePropName="checked" label={t('create.env.secret')}>
        <Switch size="small" />
      </Form.Item>
      <Button type="link" danger onClick={onRemove}>
        {t('create.env.remove')}
      </Button>
    </Space>
  );
}
