import { useState } from 'react';
import { Alert, App, Button, Checkbox, Form, Input, Modal, Radio, Space, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { defaultClusterExposure, defaultPublishAddress } from '@berth/shared';
import { isApiError } from '../../api/errors';
import { errorText } from '../../components/ErrorState';
import { placeFieldErrors } from '../../components/form-errors';
import { useI18n } from '../../i18n/I18nProvider';
import { clusterKeys, createCluster, updateCluster, type Cluster } from './clusters-api';
import {
  clusterFieldFor,
  createBody,
  formKind,
  isInCluster,
  labelRows,
  patchBody,
  type ClusterFormValues,
  type LabelRow,
} from './cluster-view';
import { KubernetesFields } from './KubernetesFields';
import './strings';

/**
 * Adds a cluster, or edits one's endpoint, addresses, credentials and labels (admins). The kind
 * (Podman or Kubernetes) is chosen when adding and fixed after; each kind shows only its own
 * fields. Credentials are typed in and never shown back; the API's field errors land on the
 * fields, anything else above them. A blank publish address is the default (127.0.0.1), a blank
 * registry address the registry's own address.
 */
export function ClusterFormModal({
  cluster,
  onClose,
  onSaved,
}: {
  cluster?: Cluster;
  onClose: () => void;
  onSaved?: (c: Cluster) => void;
}) {
  const { t } = useI18n();
  const { message, notification } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<ClusterFormValues>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const editing = cluster !== undefined;
  const kind = formKind({
    kind: Form.useWatch('kind', form) ?? (cluster?.kind as ClusterFormValues['kind']),
  });
  const podman = kind === 'podman';
  // What the form was opened on: the patch is the difference from it, and it carries its version,
  // so an edit made meanwhile by someone else is refused instead of overwritten.
  const [opened] = useState(() =>
    cluster
      ? {
          kind: formKind({ kind: cluster.kind as ClusterFormValues['kind'] }),
          endpoint: cluster.endpoint,
          labels: cluster.labels,
          publishAddress: cluster.publishAddress,
          registry: cluster.registry,
          exposure: cluster.exposure,
          gatewayCidrs: cluster.gatewayCidrs,
          hasCredentials: cluster.hasCredentials,
          version: cluster.version,
        }
      : null,
  );

  const submit = async (v: ClusterFormValues) => {
    setBusy(true);
    setProblem(null);
    try {
      let saved: Cluster;
      if (cluster && opened) {
        const patch = patchBody(opened, v);
        if (Object.keys(patch).length === 0) {
          void message.info(t('clusters.form.unchanged'));
          onClose();
          return;
        }
        saved = await updateCluster(cluster.name, {
          ...patch,
          ...(opened.version ? { version: opened.version } : {}),
        });
        void message.success(t('clusters.form.saved', { cluster: saved.name }));
      } else {
        saved = await createCluster(createBody(v));
        void message.success(t('clusters.form.added', { cluster: saved.name }));
      }
      // accepted but probably wrong (a loopback publish address on another host): stays until closed
      for (const warning of saved.warnings ?? [])
        notification.warning({
          title: t('clusters.form.warning', { cluster: saved.name }),
          description: <span translate="no">{warning}</span>,
          duration: 0,
          props: { 'data-testid': 'cluster-save-warning' },
        });
      await queryClient.invalidateQueries({ queryKey: clusterKeys.all });
      onSaved?.(saved);
      onClose();
    } catch (err) {
      const rows = form.getFieldValue('labels') as LabelRow[] | undefined;
      const messageAt = (path: string) =>
        isApiError(err) ? (err.fields.find((f) => f.path === path)?.message ?? '') : '';
      const shown = { kind, inCluster: form.getFieldValue('inCluster') === true };
      const unplaced = placeFieldErrors(form, err, (path) =>
        clusterFieldFor(path, rows, messageAt(path), shown),
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
      title={cluster ? t('clusters.form.edit', { cluster: cluster.name }) : t('clusters.form.add')}
      okText={cluster ? t('clusters.form.save') : t('clusters.add')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      okButtonProps={{ loading: busy, ...{ 'data-testid': 'cluster-form-ok' } }}
      destroyOnHidden
      width={680}
    >
      {problem ? (
        <Alert
          type="error"
          showIcon
          title={problem}
          style={{ marginBottom: 12 }}
          data-testid="cluster-form-error"
        />
      ) : null}
      <Form<ClusterFormValues>
        form={form}
        layout="vertical"
        requiredMark={false}
        data-testid="cluster-form"
        initialValues={
          cluster
            ? {
                name: cluster.name,
                kind: formKind({ kind: cluster.kind as ClusterFormValues['kind'] }),
                endpoint: isInCluster(cluster.endpoint) ? '' : (cluster.endpoint ?? ''),
                inCluster: isInCluster(cluster.endpoint),
                exposure: cluster.exposure ?? defaultClusterExposure,
                gatewayCidrs: (cluster.gatewayCidrs ?? []).join('\n'),
                namespacePrefix: cluster.namespacePrefix ?? '',
                labels: labelRows(cluster.labels),
                publishAddress: cluster.publishAddress ?? '',
                registry: cluster.registry ?? '',
              }
            : {
                name: '',
                kind: 'podman',
                endpoint: '',
                inCluster: false,
                exposure: defaultClusterExposure,
                labels: [],
                publishAddress: '',
                registry: '',
              }
        }
        onFinish={(v) => void submit(v)}
      >
        <Form.Item
          name="name"
          label={t('clusters.col.name')}
          extra={editing ? undefined : t('clusters.form.name.help')}
          rules={[{ required: true, whitespace: true, message: t('clusters.form.required') }]}
        >
          <Input id="cluster-name" disabled={editing} placeholder="dc1-a" autoComplete="off" />
        </Form.Item>
        <Form.Item name="kind" label={t('clusters.form.kind')} extra={t('clusters.form.kind.help')}>
          <Radio.Group id="cluster-kind" disabled={editing} optionType="button">
            <Radio.Button value="podman" data-testid="cluster-kind-podman">
              {t('clusters.kind.podman')}
            </Radio.Button>
            <Radio.Button value="kubernetes" data-testid="cluster-kind-kubernetes">
              {t('clusters.kind.kubernetes')}
            </Radio.Button>
          </Radio.Group>
        </Form.Item>
        {podman ? <PodmanFields cluster={cluster} /> : <KubernetesFields form={form} cluster={cluster} />}
        <LabelsField />
        <button type="submit" hidden aria-hidden tabIndex={-1} />
      </Form>
    </Modal>
  );
}

/**
 * The Podman-only fields: the socket or ssh endpoint, the publish and registry addresses, the ssh
 * key and known_hosts (typed in, never shown back; "set" when stored, with a box to remove them).
 */
function PodmanFields({ cluster }: { cluster?: Cluster }) {
  const { t } = useI18n();
  return (
    <>
      <Form.Item
        name="endpoint"
        label={t('clusters.col.endpoint')}
        extra={t(cluster?.builtIn ? 'clusters.form.endpoint.builtIn' : 'clusters.form.endpoint.help')}
        rules={[{ required: true, whitespace: true, message: t('clusters.form.required') }]}
      >
        <Input
          id="cluster-endpoint"
          disabled={cluster?.builtIn}
          placeholder="ssh://berth@10.0.0.5/run/podman/podman.sock"
          autoComplete="off"
        />
      </Form.Item>
      <Form.Item
        name="publishAddress"
        label={t('clusters.form.publishAddress')}
        extra={t('clusters.form.publishAddress.help')}
      >
        <Input
          id="cluster-publish-address"
          placeholder={defaultPublishAddress}
          autoComplete="off"
          spellCheck={false}
          translate="no"
        />
      </Form.Item>
      <Form.Item name="registry" label={t('clusters.form.registry')} extra={t('clusters.form.registry.help')}>
        <Input
          id="cluster-registry"
          placeholder="registry.dc1.example.net:5000"
          autoComplete="off"
          spellCheck={false}
          translate="no"
        />
      </Form.Item>
      {cluster?.hasCredentials ? (
        <Alert
          type="info"
          showIcon
          title={t('clusters.form.credentialsSet')}
          style={{ marginBottom: 12 }}
          data-testid="cluster-credentials-set"
        />
      ) : null}
      <Form.Item
        name="privateKey"
        label={t('clusters.form.privateKey')}
        extra={t('clusters.form.privateKey.help')}
      >
        <Input.TextArea
          id="cluster-private-key"
          rows={3}
          spellCheck={false}
          autoComplete="off"
          placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"
          className="cluster-secret"
        />
      </Form.Item>
      <Form.Item
        name="knownHosts"
        label={t('clusters.form.knownHosts')}
        extra={t('clusters.form.knownHosts.help')}
      >
        <Input.TextArea
          id="cluster-known-hosts"
          rows={2}
          spellCheck={false}
          autoComplete="off"
          placeholder="[10.0.0.5]:22 ssh-ed25519 AAAA…"
          className="cluster-secret"
        />
      </Form.Item>
      {cluster?.hasCredentials ? (
        <Form.Item name="removeCredentials" valuePropName="checked">
          <Checkbox id="cluster-remove-credentials">{t('clusters.form.removeCredentials')}</Checkbox>
        </Form.Item>
      ) : null}
    </>
  );
}

/** The labels as key = value rows; a key may appear once. */
function LabelsField() {
  const { t } = useI18n();
  return (
    <>
      <Typography.Text strong>{t('clusters.form.labels')}</Typography.Text>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        {t('clusters.form.labels.help')}
      </Typography.Paragraph>
      <Form.List name="labels">
        {(fields, { add, remove }) => (
          <div data-testid="cluster-labels">
            {fields.map((field) => (
              <Space key={field.key} align="start" wrap style={{ display: 'flex' }}>
                <Form.Item
                  name={[field.name, 'key']}
                  dependencies={[['labels']]}
                  rules={[
                    { required: true, whitespace: true, message: t('clusters.form.required') },
                    ({ getFieldValue }) => ({
                      validator: (_r, value: string | undefined) => {
                        const rows = (getFieldValue('labels') as LabelRow[] | undefined) ?? [];
                        const key = value?.trim();
                        const first = rows.findIndex((r) => r?.key?.trim() === key);
                        return key && first !== field.name
                          ? Promise.reject(new Error(t('clusters.form.labels.duplicate')))
                          : Promise.resolve();
                      },
                    }),
                  ]}
                >
                  <Input
                    id={`cluster-label-key-${field.name}`}
                    placeholder="dc"
                    aria-label={t('clusters.form.labels.key')}
                    style={{ width: 200 }}
                  />
                </Form.Item>
                <span style={{ lineHeight: '32px' }}>=</span>
                <Form.Item name={[field.name, 'value']}>
                  <Input
                    id={`cluster-label-value-${field.name}`}
                    placeholder="dc1"
                    aria-label={t('clusters.form.labels.value')}
                    style={{ width: 240 }}
                  />
                </Form.Item>
                <Button type="link" danger onClick={() => remove(field.name)}>
                  {t('clusters.form.labels.remove')}
                </Button>
              </Space>
            ))}
            <Button onClick={() => add({ key: '', value: '' })} data-testid="cluster-add-label">
              {t('clusters.form.labels.add')}
            </Button>
          </div>
        )}
      </Form.List>
    </>
  );
}
