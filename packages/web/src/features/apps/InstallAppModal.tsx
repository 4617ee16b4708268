import { useState } from 'react';
import { Alert, AutoComplete, Form, Input, InputNumber, Modal, Select, Switch, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { App, AppInstanceCreated, AppParameter } from '@berth/shared';
import { errorText } from '../../components/ErrorState';
import { placeFieldErrors } from '../../components/form-errors';
import { isApiError } from '../../api/errors';
import { useI18n } from '../../i18n/I18nProvider';
import { listClasses, volumeKeys } from '../volumes/volumes-api';
import { appKeys, createInstance } from './apps-api';
import {
  initialParams,
  installBody,
  installFieldFor,
  localized,
  paramInput,
  paramLimits,
  paramProblem,
  paramText,
  pickVersion,
  type AppsText,
} from './app-view';
import './strings';

interface InstallForm {
  name: string;
  version: string;
  params: Record<string, unknown>;
}

/** A volume class's name, offering the platform's classes (the templates' `volumeClass`). */
function VolumeClassInput(props: {
  id: string;
  maxLength?: number;
  value?: string;
  onChange?: (v: string) => void;
}) {
  const classes = useQuery({ queryKey: volumeKeys.classes, queryFn: listClasses });
  return (
    <AutoComplete
      id={props.id}
      value={props.value}
      onChange={props.onChange}
      maxLength={props.maxLength}
      options={(classes.data ?? []).map((c) => ({ value: c.name, label: `${c.name} (${c.kind})` }))}
    />
  );
}

/** One parameter's input, as its type asks, with its limits enforced before sending. */
function ParamField({ p }: { p: AppParameter }) {
  const { t, lang } = useI18n();
  const tx = (m: AppsText) => t(m.key, m.vars);
  const limits = paramLimits(p);
  const input = paramInput(p);
  const id = `app-param-${p.name}`;
  // The description and the default are the template's (data naming products), the rest UI text.
  const help = (
    <>
      <span translate="no">{localized(p.description, lang)}</span>
      {limits ? ` · ${tx(limits)}` : ''} · {t('apps.install.default')}{' '}
      <span translate="no">{paramText(p.default)}</span>
    </>
  );
  return (
    <Form.Item
      name={['params', p.name]}
      label={<span translate="no">{p.name}</span>}
      extra={help}
      valuePropName={input === 'switch' ? 'checked' : 'value'}
      rules={[
        {
          validator: (_r, value: unknown) => {
            const problem = paramProblem(p, value);
            return problem ? Promise.reject(new Error(tx(problem))) : Promise.resolve();
          },
        },
      ]}
    >
      {input === 'number' ? (
        <InputNumber
          id={id}
          min={p.min}
          max={p.max}
          precision={0}
          style={{ width: 220 }}
          {...(p.unit ? { suffix: p.unit } : {})}
        />
      ) : input === 'switch' ? (
        <Switch id={id} />
      ) : input === 'select' ? (
        <Select
          id={id}
          options={(p.enum ?? []).map((v) => ({ value: v, label: <span translate="no">{v}</span> }))}
        />
      ) : p.name === 'volumeClass' ? (
        <VolumeClassInput id={id} maxLength={p.maxLength} />
      ) : (
        <Input id={id} maxLength={p.maxLength} />
      )}
    </Form.Item>
  );
}

/**
 * Installs an app into the project environment: instance name, version and the version's
 * parameters (defaults filled in); the API's field errors land on their fields.
 */
export function InstallAppModal(props: {
  app: App;
  project: string;
  env: string;
  onDone: (created: AppInstanceCreated) => void;
  onCancel: () => void;
}) {
  const { app, project, env } = props;
  const { t, lang } = useI18n();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<InstallForm>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const first = pickVersion(app);
  const versionName = Form.useWatch('version', form) ?? first.version;
  const version = pickVersion(app, versionName);

  const submit = async (values: InstallForm) => {
    setBusy(true);
    setError(null);
    try {
      const created = await createInstance(project, env, installBody(values, version.parameters, app.name));
      void queryClient.invalidateQueries({ queryKey: appKeys.list(project, env) });
      props.onDone(created);
    } catch (err) {
      const unplaced = placeFieldErrors(form, err, (path) => installFieldFor(path, version.parameters));
      const placedSome = isApiError(err) && err.fields.length > unplaced.length;
      setError(unplaced.length ? unplaced.join('; ') : placedSome ? null : errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t('apps.install.title', { app: app.title })}
      okText={t('apps.install.ok')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={props.onCancel}
      okButtonProps={{ loading: busy, ...{ 'data-testid': 'app-install-ok' } }}
      destroyOnHidden
      width={640}
    >
      <Typography.Paragraph data-testid="app-install-target">
        {t('apps.install.target', { project, env })}
      </Typography.Paragraph>
      {error ? (
        <Alert
          type="error"
          showIcon
          title={error}
          style={{ marginBottom: 12 }}
          data-testid="app-install-error"
        />
      ) : null}
      <Form<InstallForm>
        form={form}
        layout="vertical"
        requiredMark={false}
        initialValues={{ name: app.name, version: first.version, params: initialParams(first.parameters) }}
        onValuesChange={(changed: Partial<InstallForm>) => {
          // Another version has its own parameters: start from its defaults.
          if (changed.version !== undefined)
            form.setFieldValue('params', initialParams(pickVersion(app, changed.version).parameters));
        }}
        onFinish={(v) => void submit(v)}
        data-testid="app-install-form"
      >
        <Form.Item
          name="name"
          label={t('apps.install.name')}
          extra={t('apps.install.name.help')}
          rules={[{ required: true, whitespace: true, message: t('apps.install.name.required') }]}
        >
          <Input id="app-instance-name" maxLength={40} />
        </Form.Item>
        <Form.Item name="version" label={t('apps.install.version')}>
          <Select
            id="app-version"
            options={app.versions.map((v) => ({
              value: v.version,
              label: v.softwareVersion ? `${v.version} (${v.softwareVersion})` : v.version,
            }))}
          />
        </Form.Item>
        {version.notes.map((n, i) => (
          <Alert
            key={i}
            type="info"
            showIcon
            title={<span translate="no">{localized(n, lang)}</span>}
            style={{ marginBottom: 12 }}
          />
        ))}
        {version.parameters.length > 0 ? (
          <Typography.Title level={5}>{t('apps.install.params')}</Typography.Title>
        ) : null}
        {version.parameters.map((p) => (
          <ParamField key={`${version.version}/${p.name}`} p={p} />
        ))}
        {/* Enter in any field submits. */}
        <button type="submit" hidden aria-hidden tabIndex={-1} />
      </Form>
    </Modal>
  );
}
