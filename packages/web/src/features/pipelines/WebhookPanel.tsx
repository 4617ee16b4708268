import { useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Modal, Popconfirm, Tag, Typography } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { codeflowPaths, webhookProviders, type Pipeline } from '@berth/shared';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { pipelineKeys, rotateWebhookSecret } from './pipelines-api';
import './strings';

const providerNames = { gitlab: 'GitLab', github: 'GitHub', gitea: 'Gitea' } as const;

/** The webhook URLs to paste into GitLab/GitHub/Gitea, and "rotate secret" (shown once). */
export function WebhookPanel({ pipeline }: { pipeline: Pipeline }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [secret, setSecret] = useState<string | null>(null);
  const rotate = useMutation({
    mutationFn: () => rotateWebhookSecret(pipeline.project, pipeline.name),
    onSuccess: (res) => {
      setSecret(res.secret);
      void queryClient.invalidateQueries({ queryKey: pipelineKeys.all(pipeline.project) });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  const origin = window.location.origin;
  return (
    <Card
      size="small"
      title={t('pipelines.webhook.title')}
      style={{ marginBottom: 16 }}
      data-testid="webhook-panel"
      extra={
        <Popconfirm
          title={t('pipelines.webhook.rotate.confirm')}
          okText={t('common.confirm')}
          cancelText={t('common.cancel')}
          onConfirm={() => rotate.mutate()}
        >
          <Button size="small" loading={rotate.isPending} data-testid="rotate-secret">
            {pipeline.webhook.secretIsSet ? t('pipelines.webhook.rotate') : t('pipelines.webhook.generate')}
          </Button>
        </Popconfirm>
      }
    >
      <Typography.Paragraph type="secondary">{t('pipelines.webhook.hint')}</Typography.Paragraph>
      <Descriptions
        size="small"
        column={1}
        bordered
        items={[
          ...webhookProviders.map((provider) => ({
            key: provider,
            label: <span translate="no">{providerNames[provider]}</span>,
            children: (
              <Typography.Text code copyable data-testid={`webhook-url-${provider}`}>
                {origin + codeflowPaths.hook(pipeline.id, provider)}
              </Typography.Text>
            ),
          })),
          {
            key: 'secret',
            label: t('pipelines.webhook.secret'),
            children: pipeline.webhook.secretIsSet ? (
              <Tag color="green">{t('pipelines.webhook.secretSet')}</Tag>
            ) : (
              <Tag>{t('pipelines.webhook.secretUnset')}</Tag>
            ),
          },
        ]}
      />
      <Modal
        open={secret !== null}
        title={t('pipelines.webhook.secretTitle')}
        onCancel={() => setSecret(null)}
        onOk={() => setSecret(null)}
        okText={t('pipelines.webhook.secretDone')}
        cancelButtonProps={{ style: { display: 'none' } }}
        destroyOnHidden
      >
        <Alert
          type="warning"
          showIcon
          title={t('pipelines.webhook.secretOnce')}
          style={{ marginBottom: 12 }}
        />
        <Typography.Text code copyable data-testid="webhook-secret">
          {secret}
        </Typography.Text>
        <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
          {t('pipelines.webhook.secretUse')}
        </Typography.Paragraph>
      </Modal>
    </Card>
  );
}
