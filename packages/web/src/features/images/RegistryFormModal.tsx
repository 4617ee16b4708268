import { App, Form, Input, Modal } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Registry } from '@berth/shared';
import { isApiError } from '../../api/errors';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { createRegistry, registriesKey, updateRegistry } from './images-api';

interface Values {
  name: string;
  url: string;
  username?: string;
  password?: string;
}

/** Adds an external registry, or edits one (an empty password keeps the stored one). */
export function RegistryFormModal({ registry, onClose }: { registry: Registry | null; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const save = useMutation({
    mutationFn: (v: Values) => {
      const username = v.username?.trim() || undefined;
      const password = v.password || undefined;
      return registry
        ? updateRegistry(registry.name, {
            url: v.url,
            username: username ?? null,
            ...(password ? { password } : {}),
            version: registry.version,
          })
        : createRegistry({ name: v.name, url: v.url, username, password });
    },
    onSuccess: async (r) => {
      void message.success(t('registries.saved', { name: r.name }));
      await queryClient.invalidateQueries({ queryKey: registriesKey });
      onClose();
    },
    onError: (err) => {
      if (isApiError(err) && err.fields.length > 0) {
        form.setFields(err.fields.map((f) => ({ name: f.path as keyof Values, errors: [f.message] })));
      }
      void message.error(errorText(t, err));
    },
  });
  return (
    <Modal
      open
      title={registry ? `${t('registries.edit')} ${registry.name}` : t('registries.add')}
      okText={t('registries.form.save')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: save.isPending, 'data-testid': 'save-registry' }}
      onOk={() => void form.validateFields().then((v) => save.mutate(v))}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form<Values>
        form={form}
        layout="vertical"
        initialValues={
          registry ? { name: registry.name, url: registry.url, username: registry.username ?? '' } : {}
        }
      >
        <Form.Item name="name" label={t('registries.form.name')} rules={[{ required: true }]}>
          <Input disabled={registry !== null} />
        </Form.Item>
        <Form.Item
          name="url"
          label={t('registries.form.url')}
          help={t('registries.form.url.help')}
          rules={[{ required: true }]}
        >
          <Input placeholder="https://harbor.example.com" />
        </Form.Item>
        <Form.Item name="username" label={t('registries.form.username')}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item
          name="password"
          label={t('registries.form.password')}
          extra={registry?.password.isSet ? t('registries.form.password.keep') : undefined}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
