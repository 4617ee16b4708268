import { useState } from 'react';
import {
  App,
  Button,
  Card,
  Descriptions,
  Popconfirm,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Gateway, GatewayNode, GatewayNodeState } from '@berth/shared';
import { ErrorState } from '../../components/ErrorState';
import { errorText } from '../../components/ErrorState';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { AddNodeModal } from './AddNodeModal';
import { gatewayKey, listNodes, listVersions, removeNode, rollOut } from './gateways-api';
import { reasonText } from './version-reason';

const stateColors: Record<GatewayNodeState, string> = {
  'in-sync': 'success',
  behind: 'processing',
  failed: 'error',
  offline: 'default',
};

export function NodeStateTag({ state }: { state: GatewayNodeState }) {
  const { t } = useI18n();
  return (
    <Tag color={stateColors[state]} data-state={state}>
      {t(`gateways.nodes.state.${state}`)}
    </Tag>
  );
}

/**
 * The Nginx nodes of a gateway: their state, applied and wanted versions; add a node (its token is
 * shown once), remove one, and roll a version out to some nodes first, then to all.
 */
export function NodesTab({ gateway }: { gateway: Gateway }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [version, setVersion] = useState<number | undefined>();
  const key = gatewayKey(gateway.name);
  const nodes = useQuery({
    queryKey: [...key, 'nodes'],
    queryFn: () => listNodes(gateway.name),
    refetchInterval: 3000,
  });
  const configs = useQuery({
    queryKey: [...key, 'versions', 'rollout'],
    queryFn: () => listVersions(gateway.name, { kind: 'config', limit: 100 }),
  });
  const choices = (configs.data?.items ?? []).filter((v) => v.state !== 'failed');
  const target = version ?? gateway.appliedVersion;
  const refresh = () => queryClient.invalidateQueries({ queryKey: key });
  const rollout = useMutation({
    mutationFn: (to: string[] | undefined) => rollOut(gateway.name, { version: target, nodes: to }),
    onSuccess: async (r) => {
      void message.success(
        r.nodes
          ? t('gateways.rollout.doneSome', { version: r.version, nodes: r.nodes.join(', ') })
          : t('gateways.rollout.doneAll', { version: r.version }),
      );
      setSelected([]);
      await refresh();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  const remove = useMutation({
    mutationFn: (node: string) => removeNode(gateway.name, node),
    onSuccess: async () => refresh(),
    onError: (err) => void message.error(errorText(t, err)),
  });
  const items = nodes.data?.items ?? [];
  const inSync = items.filter((n) => n.state === 'in-sync').length;

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Card size="small" title={t('gateways.rollout.title')}>
        <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 8 }}>
          <Descriptions.Item label={t('gateways.rollout.mode')}>
            {t(`gateways.rollout.mode.${gateway.rolloutMode ?? 'auto'}`)}
          </Descriptions.Item>
          <Descriptions.Item label={t('gateways.rollout.released')}>
            {gateway.releasedVersion ? `#${gateway.releasedVersion}` : `#${gateway.appliedVersion}`}
          </Descriptions.Item>
          <Descriptions.Item label={t('gateways.nodes.inSync')}>
            <span data-testid="nodes-in-sync">{`${inSync}/${items.length}`}</span>
          </Descriptions.Item>
        </Descriptions>
        <Space wrap>
          <Typography.Text>{t('gateways.rollout.version')}</Typography.Text>
          <Select
            id="rollout-version"
            aria-label={t('gateways.rollout.version')}
            style={{ width: 360 }}
            value={target}
            loading={configs.isPending}
            onChange={(v: number) => setVersion(v)}
            options={[
              ...(choices.some((v) => v.number === gateway.appliedVersion)
                ? []
                : [
                    {
                      value: gateway.appliedVersion,
                      label: `#${gateway.appliedVersion} · ${t('gateways.version.current')}`,
                    },
                  ]),
              ...choices.map((v) => ({
                value: v.number,
                label: `#${v.number}${v.number === gateway.appliedVersion ? ` · ${t('gateways.version.current')}` : ''} · ${reasonText(t, v.reason)}`,
              })),
            ]}
          />
          <Popconfirm
            title={t('gateways.rollout.confirmSome', { version: target, nodes: selected.join(', ') })}
            okText={t('common.confirm')}
            cancelText={t('common.cancel')}
            onConfirm={() => rollout.mutate(selected)}
            disabled={selected.length === 0}
          >
            <Button
              disabled={selected.length === 0}
              loading={rollout.isPending}
              data-testid="rollout-selected"
            >
              {t('gateways.rollout.some', { count: selected.length })}
            </Button>
          </Popconfirm>
          <Popconfirm
            title={t('gateways.rollout.confirmAll', { version: target })}
            okText={t('common.confirm')}
            cancelText={t('common.cancel')}
            onConfirm={() => rollout.mutate(undefined)}
          >
            <Button type="primary" loading={rollout.isPending} data-testid="rollout-all">
              {t('gateways.rollout.all')}
            </Button>
          </Popconfirm>
        </Space>
        <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
          {t('gateways.rollout.help')}
        </Typography.Paragraph>
      </Card>
      <Card
        size="small"
        title={t('gateways.nodes.title')}
        extra={
          <Button onClick={() => setAdding(true)} data-testid="add-node">
            {t('gateways.nodes.add')}
          </Button>
        }
      >
        {nodes.isError ? (
          <ErrorState error={nodes.error} onRetry={() => void nodes.refetch()} />
        ) : (
          <Table<GatewayNode>
            rowKey="name"
            size="small"
            loading={nodes.isPending}
            dataSource={items}
            pagination={false}
            scroll={{ x: 1000 }}
            data-testid="nodes-table"
            locale={{ emptyText: t('gateways.nodes.empty') }}
            rowSelection={{
              selectedRowKeys: selected,
              onChange: (keys) => setSelected(keys as string[]),
              getCheckboxProps: (n) => ({
                disabled: n.local,
                'aria-label': t('gateways.nodes.pick', { node: n.name }),
              }),
            }}
            columns={[
              {
                key: 'name',
                title: t('gateways.nodes.name'),
                render: (_, n) => (
                  <Space size={4}>
                    {n.name}
                    {n.local ? <Tag>{t('gateways.nodes.local')}</Tag> : null}
                  </Space>
                ),
              },
              {
                key: 'state',
                title: t('gateways.nodes.state'),
                render: (_, n) => <NodeStateTag state={n.state} />,
              },
              {
                key: 'applied',
                title: t('gateways.nodes.applied'),
                render: (_, n) => (n.appliedVersion !== null ? `#${n.appliedVersion}` : '—'),
              },
              {
                key: 'wanted',
                title: t('gateways.nodes.wanted'),
                render: (_, n) => (
                  <Space size={4}>
                    {`#${n.wantedVersion}`}
                    {n.pinnedVersion !== null ? <Tag color="purple">{t('gateways.nodes.pinned')}</Tag> : null}
                  </Space>
                ),
              },
              {
                key: 'seen',
                title: t('gateways.nodes.lastSeen'),
                render: (_, n) => <TimeText at={n.lastSeenAt} />,
              },
              { key: 'address', title: t('gateways.nodes.address'), render: (_, n) => n.address ?? '—' },
              {
                key: 'error',
                title: t('gateways.nodes.error'),
                ellipsis: true,
                render: (_, n) =>
                  n.error ? (
                    <Tooltip title={n.error}>
                      <Typography.Text type="danger">{n.error}</Typography.Text>
                    </Tooltip>
                  ) : (
                    '—'
                  ),
              },
              {
                key: 'actions',
                title: '',
                width: 100,
                render: (_, n) =>
                  n.local ? null : (
                    <Popconfirm
                      title={t('gateways.nodes.remove.confirm', { node: n.name })}
                      okText={t('gateways.nodes.remove')}
                      okButtonProps={{ danger: true }}
                      cancelText={t('common.cancel')}
                      onConfirm={() => remove.mutate(n.name)}
                    >
                      <Button size="small" danger>
                        {t('gateways.nodes.remove')}
                      </Button>
                    </Popconfirm>
                  ),
              },
            ]}
          />
        )}
      </Card>
      <AddNodeModal gateway={gateway.name} open={adding} onClose={() => setAdding(false)} />
    </Space>
  );
}
