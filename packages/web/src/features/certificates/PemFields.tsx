import { Button, Form, Input, Space, type FormInstance } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';
import './strings';

/** A PEM text area with a button that loads a file into it (the text stays editable). */
function PemField({
  form,
  name,
  label,
  required,
}: {
  form: FormInstance;
  name: 'certificate' | 'key';
  label: string;
  required: string;
}) {
  const { t } = useI18n();
  const id = `cert-${name}`;
  return (
    <Form.Item label={label} required>
      <Space direction="vertical" style={{ width: '100%' }}>
        <Form.Item name={name} noStyle rules={[{ required: true, whitespace: true, message: required }]}>
          <Input.TextArea
            id={id}
            rows={6}
            spellCheck={false}
            className="pem-text"
            placeholder="-----BEGIN …"
          />
        </Form.Item>
        <label>
          <Button size="small" onClick={() => document.getElementById(`${id}-file`)?.click()}>
            {t('certs.field.loadFile')}
          </Button>
          <input
            id={`${id}-file`}
            data-testid={`${id}-file`}
            type="file"
            accept=".pem,.crt,.cer,.key,text/plain"
            hidden
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void file.text().then((text) => form.setFieldValue(name, text));
            }}
          />
        </label>
      </Space>
    </Form.Item>
  );
}

/** The two PEM inputs of an upload or a renewal: the chain and the private key. */
export function PemFields({ form }: { form: FormInstance }) {
  const { t } = useI18n();
  return (
    <>
      <PemField
        form={form}
        name="certificate"
        label={t('certs.field.certificate')}
        required={t('certs.field.certificate.required')}
      />
      <PemField
        form={form}
        name="key"
        label={t('certs.field.key')}
        required={t('certs.field.key.required')}
      />
    </>
  );
}
