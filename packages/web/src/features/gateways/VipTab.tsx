import { useState } from 'react';
import {
  Alert,
  App,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Gateway, GatewayVip, GatewayVipNodeState } from '@berth/shared';
import { ErrorState, errorText } from '../../components/ErrorState';
import { placeFieldErrors } from '../../components/form-errors';
import { useI18n } from '../../i18n/I18nProvider';
import { getVip, setVip, vipKey } from './gateway-vip-api';

interface VipForm {
  address: string;
  virtualRouterId: number;
  authPass?: string;
  preemption: 'nopreempt' | 'preempt';
  preemptDelaySeconds?: number;
  checkIntervalSeconds?: number;
  checkFall?: number;
  checkRise?: number;
  nodes: Array<{ name: string; interface?: string; priority?: number }>;
}

const stateColor: Record<string, string> = {
  MASTER: 'green',
  BACKUP: 'blue',
  FAULT: 'red',
  unknown: 'default',
};

/** API field paths (`nodes[1].priority`, `nodes.1.priority`) → form names. */
function fieldFor(vip: GatewayVip, rows: VipForm['nodes']) {
  return (path: string): Array<string | number> | null => {
    const m = /^nodes(?:\[(\d+)\]|\.(\d+))\.(\w+)$/.exec(path);
    if (m) {
      // the request lists the nodes taking part; find that node's row in the form
      const sent = rows.filter((r) => r.interface);
      const name = sent[Number(m[1] ?? m[2])]?.name;
      const row = rows.findIndex((r) => r.name === name);
      return row >= 0 && m[3] ? ['nodes', row, m[3] === 'name' ? 'interface' : m[3]] : null;
    }
    return [
      'address',
      'virtualRouterId',
      'authPass',
      'preemptDelaySeconds',
      'checkIntervalSeconds',
      'checkFall',
      'checkRise',
    ].includes(path) && vip
      ? [path]
      : null;
  };
}

/**
 * The gateway's virtual IP: keepalived settings (platform admins) and, per node, the VRRP state
 * its agent reports and which node holds the VIP.
 */
export function VipTab({ gateway }: { gateway: Gateway }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const vip = useQuery({
    queryKey: vipKey(gateway.name),
    queryFn: () => getVip(gateway.name),
    refetchInterval: 3000,
  });
  const [form] = Form.useForm<VipForm>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  if (vip.error) return <ErrorState error={vip.error} />;
  if (!vip.data) return null;
  const v = vip.data;
  const s = v.settings;

  const save = async (submitted: VipForm) => {
    // the node names are not form fields: they come from the rows' order
    const f = { ...submitted, nodes: v.nodes.map((n, i) => ({ ...submitted.nodes?.[i], name: n.name })) };
    setBusy(true);
    setProblem(null);
    try {
      await setVip(gateway.name, {
        version: v.version,
        address: f.address.trim(),
        virtualRouterId: f.virtualRouterId,
        ...(f.authPass ? { authPass: f.authPass } : {}),
        preemption: f.preemption,
        ...(f.preemption === 'preempt' && f.preemptDelaySeconds != null
          ? { preemptDelaySeconds: f.preemptDelaySeconds }
          : {}),
        ...(f.checkIntervalSeconds != null ? { checkIntervalSeconds: f.checkIntervalSeconds } : {}),
        ...(f.checkFall != null ? { checkFall: f.checkFall } : {}),
        ...(f.checkRise != null ? { checkRise: f.checkRise } : {}),
        nodes: f.nodes
          .filter((n) => n.interface)
          .map((n) => ({ name: n.name, interface: n.interface!.trim(), priority: n.priority ?? 100 })),
      });
      void message.success(t('gateways.vip.saved'));
      form.setFieldValue('authPass', undefined);
      await queryClient.invalidateQueries({ queryKey: vipKey(gateway.name) });
    } catch (err) {
      const unplaced = placeFieldErrors(form, err, fieldFor(v, f.nodes));
      setProblem([errorText(t, err), ...unplaced].join(' '));
    } finally {
      setBusy(false);
    }
  };

  const columns = [
    { title: t('gateways.vip.col.node'), dataIndex: 'name', key: 'name' },
    {
      title: t('gateways.vip.col.interface'),
      key: 'interface',
      render: (_: unknown, n: GatewayVipNodeState) => n.interface ?? '—',
    },
    {
      title: t('gateways.vip.col.priority'),
      key: 'priority',
      render: (_: unknown, n: GatewayVipNodeState) => n.priority ?? '—',
    },
    {
      title: t('gateways.vip.col.state'),
      key: 'state',
      render: (_: unknown, n: GatewayVipNodeState) => (
        <Tag color={stateColor[n.vrrpState]} data-testid={`vrrp-${n.name}`}>
          {n.vrrpState}
        </Tag>
      ),
    },
    {
      title: t('gateways.vip.col.holder'),
      key: 'holder',
      render: (_: unknown, n: GatewayVipNodeState) =>
        n.holdsVip ? <Tag color="green">{t('gateways.vip.holder')}</Tag> : null,
    },
  ];

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Paragraph type="secondary">{t('gateways.vip.intro')}</Typography.Paragraph>
      <Card size="small" title={t('gateways.vip.state')}>
        <Typography.Paragraph data-testid="vip-holder">
          {s
            ? v.vipHolder
              ? t('gateways.vip.heldBy', { node: v.vipHolder, address: s.address })
              : t('gateways.vip.noHolder', { address: s.address })
            : t('gateways.vip.none')}
        </Typography.Paragraph>
        {v.splitBrain ? (
          <Alert type="error" showIcon title={t('gateways.vip.splitBrain')} style={{ marginBottom: 12 }} />
        ) : null}
        <Table<GatewayVipNodeState>
          rowKey="name"
          size="small"
          pagination={false}
          dataSource={v.nodes}
          columns={columns}
        />
      </Card>
      <Card size="small" title={t('gateways.vip.settings')}>
        {problem ? (
          <Alert type="error" showIcon style={{ marginBottom: 16 }} data-testid="vip-error" title={problem} />
        ) : null}
        <Form<VipForm>
          key={v.version}
          form={form}
          layout="vertical"
          initialValues={{
            address: s?.address ?? '',
            virtualRouterId: s?.virtualRouterId ?? 51,
            preemption: s?.preemption ?? 'nopreempt',
            preemptDelaySeconds: s?.preemptDelaySeconds ?? 0,
            checkIntervalSeconds: s?.checkIntervalSeconds ?? 2,
            checkFall: s?.checkFall ?? 2,
            checkRise: s?.checkRise ?? 2,
            nodes: v.nodes.map((n) => ({
              name: n.name,
              interface: n.interface ?? '',
              priority: n.priority ?? undefined,
            })),
          }}
          onFinish={(f) => void save(f)}
        >
          <Space wrap align="start">
            <Form.Item
              name="address"
              label={t('gateways.vip.address')}
              extra={t('gateways.vip.address.help')}
              rules={[{ required: true, message: t('create.required') }]}
            >
              <Input id="vip-address" style={{ width: 220 }} placeholder="192.0.2.100/24" />
            </Form.Item>
            <Form.Item
              name="virtualRouterId"
              label={t('gateways.vip.vrid')}
              rules={[{ required: true, message: t('create.required') }]}
            >
              <InputNumber id="vip-vrid" min={1} max={255} />
            </Form.Item>
            <Form.Item
              name="authPass"
              label={t('gateways.vip.authPass')}
              extra={s?.authPassSet ? t('gateways.vip.authPass.kept') : t('gateways.vip.authPass.help')}
            >
              <Input.Password id="vip-auth-pass" style={{ width: 180 }} autoComplete="new-password" />
            </Form.Item>
            <Form.Item name="preemption" label={t('gateways.vip.preemption')}>
              <Select
                style={{ width: 200 }}
                options={[
                  { value: 'nopreempt', label: t('gateways.vip.nopreempt') },
                  { value: 'preempt', label: t('gateways.vip.preempt') },
                ]}
              />
            </Form.Item>
            <Form.Item name="preemptDelaySeconds" label={t('gateways.vip.preemptDelay')}>
              <InputNumber min={0} max={1000} />
            </Form.Item>
            <Form.Item name="checkIntervalSeconds" label={t('gateways.vip.checkInterval')}>
              <InputNumber min={1} max={60} />
            </Form.Item>
            <Form.Item name="checkFall" label={t('gateways.vip.fall')}>
              <InputNumber min={1} max={10} />
            </Form.Item>
            <Form.Item name="checkRise" label={t('gateways.vip.rise')}>
              <InputNumber min={1} max={10} />
            </Form.Item>
          </Space>
          <Typography.Text type="secondary">{t('gateways.vip.nodes.help')}</Typography.Text>
          <Form.List name="nodes">
            {(fields) =>
              fields.map((field) => {
                const name = form.getFieldValue(['nodes', field.name, 'name']) as string;
                return (
                  <Space key={field.key} align="start" wrap>
                    <Typography.Text style={{ display: 'inline-block', width: 120, paddingTop: 5 }}>
                      {name}
                    </Typography.Text>
                    <Form.Item name={[field.name, 'interface']}>
                      <Input
                        aria-label={t('gateways.vip.interfaceOf', { node: name })}
                        placeholder="eth0"
                        style={{ width: 160 }}
                        data-testid={`vip-iface-${name}`}
                      />
                    </Form.Item>
                    <Form.Item name={[field.name, 'priority']}>
                      <InputNumber
                        aria-label={t('gateways.vip.priorityOf', { node: name })}
                        min={1}
                        max={254}
                        placeholder="100"
                        data-testid={`vip-priority-${name}`}
                      />
                    </Form.Item>
                  </Space>
                );
              })
            }
          </Form.List>
          <div>
            <Button type="primary" htmlType="submit" loading={busy} data-testid="vip-save">
              {t('gateways.vip.save')}
            </Button>
          </div>
        </Form>
      </Card>
    </Space>
  );
}
