import { useState } from 'react';
import { Alert, App, Button, Form, InputNumber, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { isApiError } from '../../api/errors';
import { errorText, ErrorState } from '../../components/ErrorState';
import { placeFieldErrors } from '../../components/form-errors';
import { useI18n, type Translate } from '../../i18n/I18nProvider';
import {
  clusterKeys,
  listClusters,
  listEnvsWithClusters,
  updateEnv,
  type EnvWithClusters,
} from './clusters-api';
import './strings';

/** "Test (test)" for the built-in environments, else the display name. */
export function envLabel(t: Translate, e: { name: string; displayName: string }): string {
  return e.name === 'test' || e.name === 'prod'
    ? `${t(`env.${e.name}`)} (${e.name})`
    : e.displayName || e.name;
}

/** The clusters each environment's services may run on and its failover grace; admins edit both. */
export function EnvClustersSection({ admin }: { admin: boolean }) {
  const { t } = useI18n();
  const envs = useQuery({ queryKey: clusterKeys.envs, queryFn: listEnvsWithClusters });
  const [editing, setEditing] = useState<EnvWithClusters | null>(null);
  return (
    <section className="cluster-section">
      <Typography.Title level={5}>{t('clusters.envs.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('clusters.envs.intro')}</Typography.Paragraph>
      {envs.isError ? <ErrorState error={envs.error} onRetry={() => void envs.refetch()} /> : null}
      {!envs.isError ? (
        <Table<EnvWithClusters>
          rowKey="name"
          size="middle"
          loading={envs.isPending}
          dataSource={envs.data?.items ?? []}
          pagination={false}
          data-testid="env-clusters-table"
          columns={[
            { key: 'env', title: t('clusters.envs.col.env'), render: (_, e) => envLabel(t, e) },
            {
              key: 'clusters',
              title: t('clusters.envs.col.clusters'),
              render: (_, e) => (
                <Space size={[0, 4]} wrap data-testid={`env-clusters-${e.name}`}>
                  {e.clusters.map((c) => (
                    <Tag key={c} translate="no">
                      {c}
                    </Tag>
                  ))}
                </Space>
              ),
            },
            {
              key: 'grace',
              title: t('clusters.envs.col.grace'),
              render: (_, e) => t('clusters.envs.grace.value', { seconds: e.failover.graceSeconds }),
            },
            ...(admin
              ? [
                  {
                    key: 'actions',
                    title: t('clusters.col.actions'),
                    render: (_: unknown, e: EnvWithClusters) => (
                      <Button
                        size="small"
                        onClick={() => setEditing(e)}
                        data-testid={`edit-env-clusters-${e.name}`}
                      >
                        {t('clusters.envs.edit')}
                      </Button>
                    ),
                  },
                ]
              : []),
          ]}
        />
      ) : null}
      {editing ? <EnvClustersModal env={editing} onClose={() => setEditing(null)} /> : null}
    </section>
  );
}

interface EnvClustersValues {
  clusters: string[];
  graceSeconds: number | null;
}

function EnvClustersModal({ env, onClose }: { env: EnvWithClusters; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<EnvClustersValues>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const clusters = useQuery({ queryKey: clusterKeys.list(''), queryFn: () => listClusters() });

  const submit = async (v: EnvClustersValues) => {
    setBusy(true);
    setProblem(null);
    try {
      await updateEnv(env.name, {
        clusters: v.clusters,
        ...(v.graceSeconds !== null && v.graceSeconds !== undefined
          ? { failover: { graceSeconds: v.graceSeconds } }
          : {}),
      });
      void message.success(t('clusters.envs.saved', { env: env.name }));
      await queryClient.invalidateQueries({ queryKey: clusterKeys.envs });
      onClose();
    } catch (err) {
      const unplaced = placeFieldErrors(form, err, (path) =>
        path.startsWith('clusters') ? 'clusters' : path.startsWith('failover') ? 'graceSeconds' : null,
      );
      if (isApiError(err) && err.fields.length > 0) setProblem(unplaced.length ? unplaced.join('; ') : null);
      else setProblem(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t('clusters.envs.edit.title', { env: env.name })}
      okText={t('clusters.form.save')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      okButtonProps={{ loading: busy, ...{ 'data-testid': 'env-clusters-form-ok' } }}
      destroyOnHidden
    >
      {problem ? <Alert type="error" showIcon title={problem} style={{ marginBottom: 12 }} /> : null}
      <Form<EnvClustersValues>
        form={form}
        layout="vertical"
        requiredMark={false}
        data-testid="env-clusters-form"
        initialValues={{
          clusters: env.clusters,
          graceSeconds: env.failover.graceSeconds,
        }}
        onFinish={(v) => void submit(v)}
      >
        <Form.Item
          name="clusters"
          label={t('clusters.envs.col.clusters')}
          extra={t('clusters.envs.clusters.help')}
          rules={[{ required: true, type: 'array', min: 1, message: t('clusters.envs.clusters.required') }]}
        >
          <Select
            id="env-clusters"
            mode="multiple"
            loading={clusters.isPending}
            options={(clusters.data?.items ?? []).map((c) => ({ value: c.name, label: c.name }))}
          />
        </Form.Item>
        <Form.Item name="graceSeconds" label={t('clusters.envs.grace')} extra={t('clusters.envs.grace.help')}>
          <InputNumber id="env-grace" min={0} precision={0} style={{ width: 160 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
