import { useState } from 'react';
import { App, Form, Input, Modal, Select } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { listEnvs } from '../../api/resources';
import { useI18n } from '../../i18n/I18nProvider';
import { describeRouteError, type RouteWriteProblem } from '../routes/route-errors';
import { placeFieldErrors } from '../../components/form-errors';
import { RouteWriteAlert } from '../routes/RouteWriteAlert';
import { createGateway, type CreateGatewayInput } from './gateways-api';

const namePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const fields = new Set(['name', 'env', 'listen', 'tlsListen', 'domainSuffix', 'description', 'rolloutMode']);

/** Creates a gateway (an Nginx cluster) for an environment that has none; its nodes come next. */
export function CreateGatewayModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<CreateGatewayInput>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<RouteWriteProblem | null>(null);
  const envs = useQuery({ queryKey: ['envs'], queryFn: listEnvs, staleTime: 300_000, enabled: open });
  const envLabel = (e: { name: string; displayName: string }) =>
    e.name === 'test' || e.name === 'prod' ? `${t(`env.${e.name}`)} (${e.name})` : e.displayName || e.name;

  const submit = async (v: CreateGatewayInput) => {
    setBusy(true);
    setProblem(null);
    try {
      const body = Object.fromEntries(
        Object.entries(v).filter(([, x]) => typeof x !== 'string' || x.trim() !== ''),
      ) as CreateGatewayInput;
      const g = await createGateway(body);
      void message.success(t('gateways.create.done', { gateway: g.name }));
      await queryClient.invalidateQueries({ queryKey: ['gateways'] });
      form.resetFields();
      onClose();
    } catch (err) {
      const unplaced = placeFieldErrors(form, err, (path) => (fields.has(path) ? path : null));
      setProblem(describeRouteError(t, err, unplaced));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('gateways.create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('gateways.create')}
      okButtonProps={{ loading: busy, id: 'create-gateway-submit' }}
      cancelText={t('common.cancel')}
      destroyOnHidden
      width={640}
    >
      <RouteWriteAlert problem={problem} />
      <Form<CreateGatewayInput>
        form={form}
        layout="vertical"
        initialValues={{ rolloutMode: 'auto' }}
        onFinish={(v) => void submit(v)}
      >
        <Form.Item
          name="name"
          label={t('gateways.col.name')}
          extra={t('create.name.help')}
          rules={[
            { required: true, message: t('create.required') },
            { pattern: namePattern, max: 63, message: t('create.name.invalid') },
          ]}
        >
          <Input id="gateway-name" placeholder="edge-prod" />
        </Form.Item>
        <Form.Item
          name="env"
          label={t('gateways.col.env')}
          rules={[{ required: true, message: t('create.required') }]}
        >
          <Select
            id="gateway-env"
            loading={envs.isPending}
            options={(envs.data?.items ?? []).map((e) => ({ value: e.name, label: envLabel(e) }))}
          />
        </Form.Item>
        <Form.Item name="listen" label={t('gateways.col.listen')} extra={t('gateways.create.listen.help')}>
          <Input id="gateway-listen" placeholder="0.0.0.0:80" />
        </Form.Item>
        <Form.Item name="tlsListen" label={t('gateways.create.tlsListen')}>
          <Input id="gateway-tls-listen" placeholder="0.0.0.0:443" />
        </Form.Item>
        <Form.Item
          name="domainSuffix"
          label={t('gateways.create.suffix')}
          extra={t('gateways.create.suffix.help')}
        >
          <Input id="gateway-suffix" placeholder="apps.example.com" />
        </Form.Item>
        <Form.Item name="rolloutMode" label={t('gateways.rollout.mode')}>
          <Select
            options={[
              { value: 'auto', label: t('gateways.rollout.mode.auto') },
              { value: 'staged', label: t('gateways.rollout.mode.staged') },
            ]}
          />
        </Form.Item>
        <Form.Item name="description" label={t('gateways.create.description')}>
          <Input.TextArea id="gateway-description" rows={2} maxLength={500} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
