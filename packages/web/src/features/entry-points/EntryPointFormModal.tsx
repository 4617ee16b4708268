import { useRef, useState } from 'react';
import { Form, InputNumber, Radio, Select, Space, Tag, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import type { EntryPointProtocol, EntryPointView, PortAssignmentView, Service } from '@berth/shared';
import { isApiError } from '../../api/errors';
import { useI18n } from '../../i18n/I18nProvider';
import { FormModal } from '../admin/FormModal';
import { createEntryPoint, entryKeys, updateEntryPoint } from './entry-points-api';

/** The form's fields; their names are the API's field paths, so field errors land on them. */
export interface EntryPointFormValues {
  protocol: EntryPointProtocol;
  port: number | null;
  serviceName: string | undefined;
  servicePort: number | undefined;
  maxFails: number | null;
  failTimeoutSeconds: number | null;
  connectTimeoutSeconds: number | null;
  timeoutSeconds: number | null;
  udpResponses: number | null;
}

function initialValues(existing: EntryPointView | null): EntryPointFormValues {
  return {
    protocol: existing?.protocol ?? 'tcp',
    port: existing?.port ?? null,
    serviceName: existing?.serviceName,
    servicePort: existing?.servicePort,
    maxFails: existing?.maxFails ?? 1,
    failTimeoutSeconds: existing?.failTimeoutSeconds ?? 10,
    connectTimeoutSeconds: existing?.connectTimeoutSeconds ?? null,
    timeoutSeconds: existing?.timeoutSeconds ?? null,
    udpResponses: existing?.udpResponses ?? null,
  };
}

/**
 * Create an entry point (pick one of the project's assigned ports, a service and one of its
 * container ports) or edit one (same dialog, protocol and port fixed; sends the entry point's
 * version, so a concurrent change is a 409 and the list is read again).
 */
export function EntryPointFormModal({
  project,
  env,
  existing,
  ports,
  services,
  onDone,
  onCancel,
}: {
  project: string;
  env: string;
  existing: EntryPointView | null;
  ports: PortAssignmentView[];
  services: Service[];
  onDone: (saved: EntryPointView) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const saved = useRef<EntryPointView | null>(null);
  // the values the dialog opened with: an edit sends only what the user changed, so a retry after
  // a 409 keeps the other writer's changes to the fields the user did not touch
  const [opened] = useState(() => initialValues(existing));

  const submit = async (v: EntryPointFormValues): Promise<void> => {
    const settings = {
      serviceName: v.serviceName ?? '',
      servicePort: v.servicePort ?? 0,
      ...(v.maxFails != null ? { maxFails: v.maxFails } : {}),
      ...(v.failTimeoutSeconds != null ? { failTimeoutSeconds: v.failTimeoutSeconds } : {}),
      timeoutSeconds: v.timeoutSeconds ?? null,
      ...(v.protocol === 'tcp'
        ? { connectTimeoutSeconds: v.connectTimeoutSeconds ?? null }
        : { udpResponses: v.udpResponses ?? null }),
    };
    try {
      const changed = Object.fromEntries(
        Object.entries(settings).filter(([k, val]) => opened[k as keyof EntryPointFormValues] !== val),
      );
      saved.current = existing
        ? await updateEntryPoint(existing, { ...changed, version: existing.version })
        : await createEntryPoint(project, env, { ...settings, protocol: v.protocol, port: v.port ?? 0 });
    } catch (err) {
      // a concurrent change: read the list again so the next try sends the current version
      if (isApiError(err) && err.status === 409)
        await queryClient.invalidateQueries({ queryKey: entryKeys.project(project, env) });
      throw err;
    }
  };

  return (
    <FormModal<EntryPointFormValues>
      title={
        existing
          ? t('entryPoints.form.editTitle', { port: existing.port, protocol: existing.protocol })
          : t('entryPoints.form.createTitle')
      }
      okText={existing ? t('entryPoints.form.save') : t('entryPoints.create')}
      testId="entry-point-form"
      initialValues={opened}
      onSubmit={submit}
      onDone={() => {
        if (saved.current) onDone(saved.current);
      }}
      onCancel={onCancel}
    >
      {() => <EntryPointFields existing={existing} ports={ports} services={services} />}
    </FormModal>
  );
}

function EntryPointFields({
  existing,
  ports,
  services,
}: {
  existing: EntryPointView | null;
  ports: PortAssignmentView[];
  services: Service[];
}) {
  const { t } = useI18n();
  const form = Form.useFormInstance<EntryPointFormValues>();
  const protocol: EntryPointProtocol = Form.useWatch('protocol', form) ?? existing?.protocol ?? 'tcp';
  const serviceName = Form.useWatch('serviceName', form);
  const port = Form.useWatch('port', form);
  const free = ports.filter((p) => p.protocol === protocol && !p.inUse);
  const servicePorts = services.find((s) => s.name === serviceName)?.spec.ports ?? [];
  return (
    <>
      <Space align="start" size="large" wrap>
        <Form.Item name="protocol" label={t('entryPoints.form.protocol')}>
          <Radio.Group
            disabled={Boolean(existing)}
            optionType="button"
            options={[
              { value: 'tcp', label: 'TCP' },
              { value: 'udp', label: 'UDP' },
            ]}
          />
        </Form.Item>
        <Form.Item
          name="port"
          label={t('entryPoints.form.port')}
          rules={[{ required: true, message: t('entryPoints.required') }]}
        >
          <InputNumber id="entry-point-port" min={1} max={65535} disabled={Boolean(existing)} />
        </Form.Item>
      </Space>
      {existing ? null : (
        <div style={{ marginBottom: 16 }} data-testid="entry-point-free-ports">
          {free.length === 0 ? (
            <Typography.Text type="secondary">
              {t('entryPoints.form.port.noneFree', { protocol: protocol.toUpperCase() })}
            </Typography.Text>
          ) : (
            <>
              <Typography.Text type="secondary">{t('entryPoints.form.port.help')} </Typography.Text>
              {free.map((p) => (
                <Tag.CheckableTag
                  key={p.port}
                  checked={port === p.port}
                  onChange={() => form.setFieldsValue({ port: p.port })}
                  data-testid={`pick-port-${p.port}`}
                >
                  {p.port}
                </Tag.CheckableTag>
              ))}
            </>
          )}
        </div>
      )}
      <Space align="start" size="large" wrap>
        <Form.Item
          name="serviceName"
          label={t('entryPoints.form.service')}
          rules={[{ required: true, message: t('entryPoints.required') }]}
        >
          <Select
            id="entry-point-service"
            showSearch
            style={{ width: 220 }}
            placeholder={t('entryPoints.form.service.placeholder')}
            notFoundContent={t('entryPoints.form.service.none')}
            options={services.map((s) => ({ value: s.name, label: s.name }))}
            onChange={(name: string) => {
              const first = services.find((s) => s.name === name)?.spec.ports?.[0]?.containerPort;
              form.setFieldsValue({ servicePort: first });
            }}
          />
        </Form.Item>
        <Form.Item
          name="servicePort"
          label={t('entryPoints.form.servicePort')}
          rules={[{ required: true, message: t('entryPoints.required') }]}
        >
          <Select
            id="entry-point-service-port"
            style={{ width: 180 }}
            disabled={!serviceName}
            placeholder={t('entryPoints.form.servicePort.placeholder')}
            options={servicePorts.map((p) => ({ value: p.containerPort, label: String(p.containerPort) }))}
          />
        </Form.Item>
      </Space>
      <Typography.Text strong>{t('entryPoints.form.health')}</Typography.Text>
      <Space align="start" size="middle" wrap style={{ marginTop: 8 }}>
        <Form.Item
          name="maxFails"
          label={t('entryPoints.form.maxFails')}
          tooltip={t('entryPoints.form.maxFails.help')}
        >
          <InputNumber id="entry-point-max-fails" min={0} max={100} style={{ width: 120 }} />
        </Form.Item>
        <Form.Item name="failTimeoutSeconds" label={t('entryPoints.form.failTimeout')}>
          <InputNumber id="entry-point-fail-timeout" min={1} max={3600} style={{ width: 120 }} />
        </Form.Item>
        {protocol === 'tcp' ? (
          <Form.Item name="connectTimeoutSeconds" label={t('entryPoints.form.connectTimeout')}>
            <InputNumber
              id="entry-point-connect-timeout"
              min={1}
              max={600}
              placeholder={`${t('entryPoints.form.default')}: 5`}
              style={{ width: 140 }}
            />
          </Form.Item>
        ) : (
          <Form.Item name="udpResponses" label={t('entryPoints.form.udpResponses')}>
            <InputNumber
              id="entry-point-udp-responses"
              min={0}
              max={1000}
              placeholder={t('entryPoints.form.default')}
              style={{ width: 140 }}
            />
          </Form.Item>
        )}
        <Form.Item name="timeoutSeconds" label={t('entryPoints.form.timeout')}>
          <InputNumber
            id="entry-point-timeout"
            min={1}
            max={86400}
            placeholder={`${t('entryPoints.form.default')}: ${protocol === 'tcp' ? 600 : 30}`}
            style={{ width: 140 }}
          />
        </Form.Item>
      </Space>
    </>
  );
}
