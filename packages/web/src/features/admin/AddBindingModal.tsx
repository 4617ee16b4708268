import { App, Form, Input, Select } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { roles, type Role } from '@berth/shared';
import { useI18n } from '../../i18n/I18nProvider';
import { createBinding, type BindingScope } from './admin-api';
import { FormModal } from './FormModal';

interface BindingForm {
  user: string;
  role: Role;
  scopeKind: BindingScope['kind'];
  scopeName?: string;
}

/**
 * Grants a role. With `scope` the scope is fixed (a team's or project's members); otherwise the
 * form asks for it. The API refuses roles above the granter's own; its message is shown.
 */
export function AddBindingModal(props: { scope?: BindingScope; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const fixed = props.scope;
  return (
    <FormModal<BindingForm>
      title={t('admin.bindings.add')}
      okText={t('admin.bindings.grant')}
      testId="binding-form"
      initialValues={{ role: 'developer', scopeKind: fixed?.kind ?? 'project' }}
      onSubmit={(v) => {
        const scope: BindingScope =
          fixed ??
          (v.scopeKind === 'platform'
            ? { kind: 'platform' }
            : { kind: v.scopeKind, name: v.scopeName ?? '' });
        return createBinding({ user: v.user, role: v.role, scope });
      }}
      onDone={() => {
        void message.success(t('admin.bindings.granted'));
        void queryClient.invalidateQueries({ queryKey: ['admin'] });
        void queryClient.invalidateQueries({ queryKey: ['me'] });
        props.onClose();
      }}
      onCancel={props.onClose}
    >
      {(form) => (
        <>
          <Form.Item
            name="user"
            label={t('admin.bindings.user')}
            rules={[{ required: true, message: t('create.required') }]}
          >
            <Input id="binding-user" autoComplete="off" placeholder={t('admin.bindings.user.placeholder')} />
          </Form.Item>
          <Form.Item name="role" label={t('admin.bindings.role')}>
            <Select id="binding-role" options={roles.map((r) => ({ value: r, label: t(`role.${r}`) }))} />
          </Form.Item>
          {fixed ? null : (
            <>
              <Form.Item name="scopeKind" label={t('admin.bindings.scope')}>
                <Select
                  id="binding-scope-kind"
                  options={(['platform', 'team', 'project'] as const).map((k) => ({
                    value: k,
                    label: t(`admin.scope.${k}`),
                  }))}
                />
              </Form.Item>
              <Form.Item noStyle dependencies={['scopeKind']}>
                {() =>
                  form.getFieldValue('scopeKind') === 'platform' ? null : (
                    <Form.Item
                      name="scopeName"
                      label={t('admin.bindings.scopeName')}
                      rules={[{ required: true, message: t('create.required') }]}
                    >
                      <Input id="binding-scope-name" autoComplete="off" />
                    </Form.Item>
                  )
                }
              </Form.Item>
            </>
          )}
        </>
      )}
    </FormModal>
  );
}
