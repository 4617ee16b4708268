import { useState, type ReactNode } from 'react';
import { Alert, Form, Modal, type FormInstance } from 'antd';
import { isApiError } from '../../api/errors';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';

/**
 * A dialog with one form: OK submits it, the API's field errors (`details.fields`, whose paths are
 * the form's field names) go on the fields, any other error into an alert; nothing is closed or
 * changed until the call succeeds.
 */
export function FormModal<T extends object>(props: {
  title: string;
  okText: string;
  testId: string;
  onSubmit: (values: T) => Promise<unknown>;
  onDone: () => void;
  onCancel: () => void;
  initialValues?: Partial<T>;
  children: (form: FormInstance<T>) => ReactNode;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<T>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (values: T) => {
    setBusy(true);
    setError(null);
    try {
      await props.onSubmit(values);
      props.onDone();
    } catch (err) {
      if (isApiError(err) && err.fields.length > 0) {
        const known = new Set(Object.keys(form.getFieldsValue()));
        const placed = err.fields.filter((f) => known.has(f.path.split('.')[0] ?? ''));
        // The API's paths are the form's names; antd types names per form, so cast the plain path.
        form.setFields(placed.map((f) => ({ name: f.path.split('.') as never, errors: [f.message] })));
        const rest = err.fields.filter((f) => !placed.includes(f));
        setError(rest.length ? rest.map((f) => `${f.path}: ${f.message}`).join('; ') : null);
      } else setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={props.title}
      okText={props.okText}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={props.onCancel}
      okButtonProps={{ loading: busy, ...{ 'data-testid': `${props.testId}-ok` } }}
      destroyOnHidden
    >
      {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
      <Form<T>
        form={form}
        layout="vertical"
        requiredMark={false}
        initialValues={props.initialValues}
        onFinish={(v) => void submit(v)}
        data-testid={props.testId}
      >
        {props.children(form)}
        {/* Enter in any field submits. */}
        <button type="submit" hidden aria-hidden tabIndex={-1} />
      </Form>
    </Modal>
  );
}
