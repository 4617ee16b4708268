import { useState } from 'react';
import { Alert, App, Form, Input, Modal, Typography } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CreatedGatewayNode } from '@berth/shared';
import { isApiError } from '../../api/errors';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { addNode, gatewayKey } from './gateways-api';

const namePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Adds a node to a gateway and shows its token once (Berth keeps only a hash), with the command
 * that starts the agent next to the node's Nginx.
 */
export function AddNodeModal({
  gateway,
  open,
  onClose,
}: {
  gateway: string;
  open: boolean;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<{ name: string }>();
  const [created, setCreated] = useState<CreatedGatewayNode | null>(null);
  const add = useMutation({
    mutationFn: (name: string) => addNode(gateway, name),
    onSuccess: async (r) => {
      setCreated(r);
      await queryClient.invalidateQueries({ queryKey: gatewayKey(gateway) });
    },
    onError: (err) => {
      if (isApiError(err) && err.fields.length)
        form.setFields([{ name: 'name', errors: err.fields.map((f) => f.message) }]);
      else void message.error(errorText(t, err));
    },
  });
  const close = () => {
    setCreated(null);
    form.resetFields();
    onClose();
  };
  const server = window.location.origin;
  return (
    <Modal
      open={open}
      title={t('gateways.nodes.add.title', { gateway })}
      onCancel={close}
      onOk={created ? close : () => form.submit()}
      okText={created ? t('gateways.nodes.add.done') : t('gateways.nodes.add')}
      okButtonProps={{ loading: add.isPending, id: 'add-node-submit' }}
      cancelButtonProps={{ style: created ? { display: 'none' } : undefined }}
      cancelText={t('common.cancel')}
      maskClosable={!created}
      destroyOnHidden
      width={720}
    >
      {created ? (
        <div data-testid="node-token">
          <Alert
            type="warning"
            showIcon
            title={t('gateways.nodes.token.once')}
            style={{ marginBottom: 12 }}
          />
          <Typography.Text strong>{t('gateways.nodes.token')}</Typography.Text>
          <Typography.Paragraph copyable={{ text: created.token }}>
            <Typography.Text code data-testid="node-token-value">
              {created.token}
            </Typography.Text>
          </Typography.Paragraph>
          <Typography.Text strong>{t('gateways.nodes.token.run')}</Typography.Text>
          <pre className="config-file">
            {`BERTH_AGENT_TOKEN=${created.token} \\\n  npx berth-gateway-agent --server ${server} \\\n  --prefix /var/lib/berth-gateway --nginx-listen 0.0.0.0:80 --manage-nginx`}
          </pre>
        </div>
      ) : (
        <Form form={form} layout="vertical" onFinish={(v) => add.mutate(v.name.trim())}>
          <Form.Item
            name="name"
            label={t('gateways.nodes.name')}
            extra={t('create.name.help')}
            rules={[
              { required: true, message: t('create.required') },
              { pattern: namePattern, max: 63, message: t('create.name.invalid') },
            ]}
          >
            <Input id="node-name" placeholder="nginx-dc1-01" autoFocus />
          </Form.Item>
        </Form>
      )}
    </Modal>
  );
}
