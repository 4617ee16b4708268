import { useState } from 'react';
import { Alert, Button, Checkbox, Form, Input, Radio, Space, Typography, type FormInstance } from 'antd';
import { useI18n } from '../../i18n/I18nProvider';
import type { Cluster, ClusterExposure } from './clusters-api';
import { isInCluster, type ClusterFormValues } from './cluster-view';
import './strings';

const exposures: ClusterExposure[] = ['pod-ip', 'node-port'];

/**
 * The Kubernetes fields of the cluster form: the API server's URL or in-cluster, the kubeconfig
 * (typed or read from a file; write-only — a stored one shows as "set" and is kept unless Replace
 * is ticked), how the gateways reach the pods, the prefix of its namespaces (set once, when it is
 * registered) and the gateway addresses the namespaces let in.
 */
export function KubernetesFields({
  form,
  cluster,
}: {
  form: FormInstance<ClusterFormValues>;
  cluster?: Cluster;
}) {
  const { t } = useI18n();
  const inCluster = Form.useWatch('inCluster', form) === true;
  const replace = Form.useWatch('replaceKubeconfig', form) === true;
  const [read, setRead] = useState<string | null>(null);
  // A kubeconfig stored for a URL endpoint: kept unless replaced (an in-cluster one stores none).
  const stored = cluster?.hasCredentials === true && !isInCluster(cluster.endpoint);
  const askKubeconfig = !inCluster && (!stored || replace);
  return (
    <>
      <Form.Item name="inCluster" valuePropName="checked" style={{ marginBottom: 8 }}>
        <Checkbox id="cluster-in-cluster" data-testid="cluster-in-cluster">
          {t('clusters.form.inCluster')}
        </Checkbox>
      </Form.Item>
      {inCluster ? null : (
        <Form.Item
          name="endpoint"
          label={t('clusters.col.endpoint')}
          extra={t('clusters.form.endpoint.kubernetes.help')}
          rules={[{ required: true, whitespace: true, message: t('clusters.form.required') }]}
        >
          <Input
            id="cluster-endpoint"
            placeholder="https://10.0.0.5:6443"
            autoComplete="off"
            spellCheck={false}
            translate="no"
          />
        </Form.Item>
      )}
      {!inCluster && stored ? (
        <>
          <Alert
            type="info"
            showIcon
            title={t('clusters.form.kubeconfig.set')}
            style={{ marginBottom: 8 }}
            data-testid="cluster-kubeconfig-set"
          />
          <Form.Item name="replaceKubeconfig" valuePropName="checked" style={{ marginBottom: 8 }}>
            <Checkbox id="cluster-replace-kubeconfig">{t('clusters.form.kubeconfig.replace')}</Checkbox>
          </Form.Item>
        </>
      ) : null}
      {askKubeconfig ? (
        <Form.Item label={t('clusters.form.kubeconfig')} extra={t('clusters.form.kubeconfig.help')} required>
          <Space direction="vertical" style={{ width: '100%' }}>
            <Form.Item
              name="kubeconfig"
              noStyle
              rules={[{ required: true, whitespace: true, message: t('clusters.form.kubeconfig.required') }]}
            >
              <Input.TextArea
                id="cluster-kubeconfig"
                rows={5}
                spellCheck={false}
                autoComplete="off"
                placeholder={'apiVersion: v1\nkind: Config\nclusters: …'}
                className="cluster-secret"
                aria-label={t('clusters.form.kubeconfig')}
              />
            </Form.Item>
            <Space size={8} wrap>
              <Button
                size="small"
                onClick={() => document.getElementById('cluster-kubeconfig-file')?.click()}
              >
                {t('clusters.form.kubeconfig.file')}
              </Button>
              {read ? (
                <Typography.Text type="secondary" data-testid="cluster-kubeconfig-read">
                  {read}
                </Typography.Text>
              ) : null}
              <input
                id="cluster-kubeconfig-file"
                data-testid="cluster-kubeconfig-file"
                type="file"
                accept=".yaml,.yml,.conf,.config,text/plain,application/yaml"
                style={{ display: 'none' }}
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (!file) return;
                  void file.text().then((text) => {
                    form.setFieldValue('kubeconfig', text);
                    void form.validateFields(['kubeconfig']).catch(() => undefined);
                    setRead(t('clusters.form.kubeconfig.fileRead', { file: file.name, size: file.size }));
                  });
                }}
              />
            </Space>
          </Space>
        </Form.Item>
      ) : null}
      <Form.Item name="exposure" label={t('clusters.form.exposure')}>
        <Radio.Group id="cluster-exposure">
          <Space direction="vertical" size={4}>
            {exposures.map((e) => (
              <Radio key={e} value={e} data-testid={`cluster-exposure-${e}`}>
                {t(`clusters.form.exposure.${e}`)}
                <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                  {t(`clusters.form.exposure.${e}.help`)}
                </Typography.Text>
              </Radio>
            ))}
          </Space>
        </Radio.Group>
      </Form.Item>
      <Form.Item
        name="namespacePrefix"
        label={t('clusters.form.namespacePrefix')}
        extra={t(cluster ? 'clusters.form.namespacePrefix.fixed' : 'clusters.form.namespacePrefix.help')}
      >
        <Input
          id="cluster-namespace-prefix"
          placeholder={t('clusters.form.namespacePrefix.none')}
          disabled={cluster !== undefined}
          maxLength={40}
          autoComplete="off"
          spellCheck={false}
          translate="no"
        />
      </Form.Item>
      <Form.Item
        name="gatewayCidrs"
        label={t('clusters.form.gatewayCidrs')}
        extra={t('clusters.form.gatewayCidrs.help')}
      >
        <Input.TextArea
          id="cluster-gateway-cidrs"
          rows={2}
          spellCheck={false}
          autoComplete="off"
          placeholder="10.0.8.0/24"
          translate="no"
        />
      </Form.Item>
    </>
  );
}
