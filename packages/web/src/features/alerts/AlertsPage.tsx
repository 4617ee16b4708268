import { useState } from 'react';
import {
  Alert,
  App,
  Button,
  Card,
  Empty,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Space,
  Switch,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AlertView, ChannelView, DeliveryView, SilenceView } from '@berth/shared';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ErrorState, errorText } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { TimeText } from '../../components/TimeText';
import { useI18n, type Translate } from '../../i18n/I18nProvider';
import { FormModal } from '../admin/FormModal';
import { ScopeSelector } from '../nav/ScopeSelector';
import { ChannelFormModal } from './ChannelFormModal';
import {
  alertKeys,
  createSilence,
  deleteChannel,
  expireSilence,
  listAlerts,
  listChannels,
  listSilences,
  testChannel,
} from './alerts-api';
import './strings';

const tabs = ['alerts', 'channels', 'silences'] as const;
type Tab = (typeof tabs)[number];

const severityColor = (s: string) => (s === 'critical' ? 'red' : s === 'warning' ? 'orange' : 'blue');

function what(a: AlertView): string {
  return (
    a.annotations.summary ??
    ['service', 'container', 'route']
      .filter((k) => a.labels[k])
      .map((k) => `${k}=${a.labels[k]}`)
      .join(' ')
  );
}

function attemptText(t: Translate, d: DeliveryView): string[] {
  return d.attempts.map((a) =>
    t('ch.attempt', {
      n: a.attempt,
      result: a.ok ? 'ok' : 'failed',
      code: a.code ?? '',
      ms: a.durationMs,
      detail: a.detail,
    }),
  );
}

function DeliveriesTable({ items, t }: { items: DeliveryView[]; t: Translate }) {
  if (items.length === 0) return <Typography.Text type="secondary">{t('al.noDeliveries')}</Typography.Text>;
  return (
    <Table<DeliveryView>
      rowKey="id"
      size="small"
      pagination={false}
      dataSource={items}
      columns={[
        { key: 'channel', title: t('al.delivery.channel'), render: (_, d) => `${d.channel} (${d.kind})` },
        { key: 'status', title: t('al.delivery.status'), render: (_, d) => t(`al.state.${d.status}`) },
        {
          key: 'state',
          title: t('al.delivery.state'),
          render: (_, d) => (
            <Tag
              color={d.state === 'delivered' ? 'success' : d.state === 'failed' ? 'error' : 'default'}
              data-testid={`delivery-${d.channel}-${d.status}`}
            >
              {d.state}
            </Tag>
          ),
        },
        {
          key: 'attempts',
          title: t('al.delivery.attempts'),
          render: (_, d) => (
            <>
              {attemptText(t, d).map((line, i) => (
                <div key={i}>
                  <Typography.Text type="secondary">{line}</Typography.Text>
                </div>
              ))}
            </>
          ),
        },
        { key: 'at', title: t('al.delivery.at'), render: (_, d) => <TimeText at={d.createdAt} /> },
      ]}
    />
  );
}

/** Parses "name=value", "name=~regex", "name!=value", "name!~regex" lines. */
function parseMatchers(text: string) {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(!=|=~|!~|=)\s*"?(.*?)"?$/.exec(line);
      if (!m) return { line, name: '', value: '', isRegex: false, isEqual: true, bad: true };
      const op = m[2]!;
      return {
        line,
        name: m[1]!,
        value: m[3]!,
        isRegex: op.includes('~'),
        isEqual: !op.startsWith('!'),
        bad: false,
      };
    });
}

function SilenceFormModal({
  project,
  matchers,
  onDone,
  onCancel,
}: {
  project: string;
  matchers: string;
  onDone: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  return (
    <FormModal<{ matchersText: string; durationMinutes: number; comment: string }>
      title={t('sl.form.title')}
      okText={t('sl.form.create')}
      testId="silence-form"
      initialValues={{ matchersText: matchers, durationMinutes: 60, comment: '' }}
      onSubmit={async (v) => {
        const parsed = parseMatchers(v.matchersText ?? '');
        const bad = parsed.find((m) => m.bad);
        if (bad) throw new Error(t('sl.form.badMatcher', { line: bad.line }));
        const s = await createSilence(project, {
          matchers: parsed.map(({ name, value, isRegex, isEqual }) => ({ name, value, isRegex, isEqual })),
          durationMinutes: v.durationMinutes,
          comment: v.comment,
        });
        void message.success(t('sl.created', { until: new Date(s.endsAt).toLocaleString() }));
      }}
      onDone={onDone}
      onCancel={onCancel}
    >
      {() => (
        <>
          <Typography.Paragraph type="secondary">
            {t('sl.form.matchersHint', { project })}
          </Typography.Paragraph>
          <Form.Item name="matchersText" label={t('sl.form.matchers')}>
            <Input.TextArea rows={4} data-testid="silence-matchers" />
          </Form.Item>
          <Form.Item name="durationMinutes" label={t('sl.form.duration')}>
            <InputNumber min={1} max={129600} data-testid="silence-duration" />
          </Form.Item>
          <Form.Item name="comment" label={t('sl.form.comment')} rules={[{ required: true }]}>
            <Input data-testid="silence-comment" />
          </Form.Item>
        </>
      )}
    </FormModal>
  );
}

/** A project's alerts (firing, history with deliveries), channels with test-send, and silences. */
export function AlertsPage() {
  const { project = '', env = '', tab: rawTab } = useParams();
  const tab: Tab = tabs.includes(rawTab as Tab) ? (rawTab as Tab) : 'alerts';
  const navigate = useNavigate();
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const alerts = useQuery({
    queryKey: alertKeys.alerts(project),
    queryFn: () => listAlerts(project),
    refetchInterval: 5000,
    enabled: tab === 'alerts',
  });
  const channels = useQuery({
    queryKey: alertKeys.channels(project),
    queryFn: () => listChannels(project),
    enabled: tab === 'channels',
  });
  const [showExpired, setShowExpired] = useState(false);
  const silences = useQuery({
    queryKey: alertKeys.silences(project, showExpired),
    queryFn: () => listSilences(project, showExpired),
    enabled: tab === 'silences',
  });
  // null: closed; '': creating; a name: editing
  const [editing, setEditing] = useState<string | null>(null);
  const [silenceFrom, setSilenceFrom] = useState<string | null>(null);
  const [testResult, setTestResult] = useState<DeliveryView | null>(null);
  const test = useMutation({
    mutationFn: (name: string) => testChannel(project, name),
    onSuccess: (d) => setTestResult(d),
    onError: (err) => void message.error(errorText(t, err)),
  });
  const remove = useMutation({
    mutationFn: (name: string) => deleteChannel(project, name),
    onSuccess: async (_r, name) => {
      void message.success(t('ch.deleted', { name }));
      await queryClient.invalidateQueries({ queryKey: alertKeys.channels(project) });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  const expire = useMutation({
    mutationFn: (id: string) => expireSilence(project, id),
    onSuccess: async () => {
      void message.success(t('sl.expired'));
      await queryClient.invalidateQueries({ queryKey: ['silences', project] });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });

  const alertColumns = (history: boolean) => [
    {
      key: 'state',
      title: t('al.col.state'),
      render: (_: unknown, a: AlertView) => (
        <Tag color={a.state === 'firing' ? 'red' : 'green'}>{t(`al.state.${a.state}`)}</Tag>
      ),
    },
    {
      key: 'rule',
      title: t('al.col.rule'),
      render: (_: unknown, a: AlertView) => (
        <span data-testid={`alert-${history ? 'history' : 'firing'}-${a.ruleName}`}>{a.ruleName}</span>
      ),
    },
    { key: 'env', title: t('al.col.env'), render: (_: unknown, a: AlertView) => a.env },
    {
      key: 'severity',
      title: t('al.col.severity'),
      render: (_: unknown, a: AlertView) => <Tag color={severityColor(a.severity)}>{a.severity}</Tag>,
    },
    { key: 'what', title: t('al.col.what'), render: (_: unknown, a: AlertView) => what(a) },
    {
      key: 'since',
      title: t('al.col.since'),
      render: (_: unknown, a: AlertView) => <TimeText at={a.startsAt} />,
    },
    ...(history
      ? [
          {
            key: 'ended',
            title: t('al.col.ended'),
            render: (_: unknown, a: AlertView) => (a.endsAt ? <TimeText at={a.endsAt} /> : '—'),
          },
        ]
      : []),
    {
      key: 'told',
      title: t('al.col.told'),
      render: (_: unknown, a: AlertView) =>
        [...new Set(a.deliveries.map((d) => d.channel))].join(', ') || '—',
    },
    ...(history
      ? []
      : [
          {
            key: 'actions',
            title: '',
            render: (_: unknown, a: AlertView) => (
              <Button
                size="small"
                data-testid={`alert-silence-${a.ruleName}`}
                onClick={() =>
                  setSilenceFrom(
                    ['berth_env', 'berth_rule', 'service', 'container', 'route']
                      .filter((k) => a.labels[k])
                      .map((k) => `${k}=${a.labels[k]}`)
                      .join('\n'),
                  )
                }
              >
                {t('al.silenceThis')}
              </Button>
            ),
          },
        ]),
  ];

  const firing = alerts.data?.items.filter((a) => a.state === 'firing') ?? [];
  return (
    <>
      <ScopeSelector project={project} env={env} />
      <div className="page-head">
        <Space align="center">
          <Link to={`/p/${project}/${env}`}>{t('nav.services')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('al.title')}
          </Typography.Title>
        </Space>
        {tab === 'channels' ? (
          <Button type="primary" data-testid="add-channel" onClick={() => setEditing('')}>
            {t('ch.add')}
          </Button>
        ) : tab === 'silences' ? (
          <Button type="primary" data-testid="new-silence" onClick={() => setSilenceFrom('')}>
            {t('sl.new')}
          </Button>
        ) : null}
      </div>
      <Typography.Paragraph type="secondary">{t('al.intro', { project })}</Typography.Paragraph>
      <Tabs
        activeKey={tab}
        onChange={(k) => void navigate(`/p/${project}/${env}/alerts${k === 'alerts' ? '' : `/${k}`}`)}
        items={tabs.map((k) => ({
          key: k,
          label: <span data-testid={`alerts-tab-${k}`}>{t(`al.tab.${k}`)}</span>,
        }))}
      />
      {tab === 'alerts' ? (
        <>
          {alerts.isPending ? <PageSkeleton /> : null}
          {alerts.isError ? <ErrorState error={alerts.error} onRetry={() => void alerts.refetch()} /> : null}
          {alerts.data ? (
            <>
              <Card title={t('al.firing')} size="small">
                <Table<AlertView>
                  rowKey="id"
                  size="small"
                  data-testid="alerts-firing"
                  dataSource={firing}
                  pagination={false}
                  locale={{ emptyText: <Empty description={t('al.noneFiring', { project })} /> }}
                  columns={alertColumns(false)}
                />
              </Card>
              <Card title={t('al.history')} size="small" style={{ marginTop: 16 }}>
                <Table<AlertView>
                  rowKey="id"
                  size="small"
                  data-testid="alerts-history"
                  dataSource={alerts.data.items}
                  pagination={{ pageSize: 20, hideOnSinglePage: true }}
                  expandable={{
                    expandedRowRender: (a) => <DeliveriesTable items={a.deliveries} t={t} />,
                    expandRowByClick: true,
                  }}
                  locale={{ emptyText: <Empty description={t('al.noHistory')} /> }}
                  columns={alertColumns(true)}
                />
              </Card>
            </>
          ) : null}
        </>
      ) : null}
      {tab === 'channels' ? (
        <>
          {channels.isError ? (
            <ErrorState error={channels.error} onRetry={() => void channels.refetch()} />
          ) : null}
          <Table<ChannelView>
            rowKey="name"
            size="middle"
            data-testid="channels-table"
            loading={channels.isPending}
            dataSource={channels.data?.items ?? []}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            locale={{ emptyText: <Empty description={t('ch.empty', { project })} /> }}
            columns={[
              {
                key: 'name',
                title: t('ch.col.name'),
                render: (_, c) => <span data-testid={`channel-${c.name}`}>{c.name}</span>,
              },
              { key: 'kind', title: t('ch.col.kind'), render: (_, c) => <Tag>{c.kind}</Tag> },
              { key: 'target', title: t('ch.col.target'), render: (_, c) => c.target },
              { key: 'rate', title: t('ch.col.rate'), render: (_, c) => c.rateLimitPerMinute },
              {
                key: 'updated',
                title: t('ch.col.updated'),
                render: (_, c) => (
                  <>
                    <TimeText at={c.updatedAt} /> · {c.updatedBy}
                  </>
                ),
              },
              {
                key: 'actions',
                title: '',
                width: 230,
                render: (_, c) => (
                  <Space size={4}>
                    <Button
                      size="small"
                      data-testid={`channel-test-${c.name}`}
                      loading={test.isPending && test.variables === c.name}
                      onClick={() => test.mutate(c.name)}
                    >
                      {t('ch.test')}
                    </Button>
                    <Button
                      size="small"
                      data-testid={`channel-edit-${c.name}`}
                      onClick={() => setEditing(c.name)}
                    >
                      {t('ch.edit')}
                    </Button>
                    <Popconfirm
                      title={t('ch.delete.confirm', { name: c.name })}
                      okButtonProps={{ danger: true, ...{ 'data-testid': `channel-delete-ok-${c.name}` } }}
                      onConfirm={() => remove.mutate(c.name)}
                    >
                      <Button size="small" danger data-testid={`channel-delete-${c.name}`}>
                        {t('ch.delete')}
                      </Button>
                    </Popconfirm>
                  </Space>
                ),
              },
            ]}
          />
        </>
      ) : null}
      {tab === 'silences' ? (
        <>
          <Space style={{ marginBottom: 12 }}>
            <Switch checked={showExpired} onChange={setShowExpired} data-testid="silences-expired" />
            {t('sl.showExpired')}
          </Space>
          {silences.isError ? (
            <ErrorState error={silences.error} onRetry={() => void silences.refetch()} />
          ) : null}
          <Table<SilenceView>
            rowKey="id"
            size="middle"
            data-testid="silences-table"
            loading={silences.isPending}
            dataSource={silences.data?.items ?? []}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            locale={{ emptyText: <Empty description={t('sl.empty', { project })} /> }}
            columns={[
              {
                key: 'matchers',
                title: t('sl.col.matchers'),
                render: (_, s) => (
                  <Space size={4} wrap data-testid={`silence-${s.id}`}>
                    {s.matchers.map((m) => (
                      <Tag key={`${m.name}${m.value}`}>
                        {m.name}
                        {m.isEqual ? '' : '!'}
                        {m.isRegex ? '=~' : '='}
                        {m.value}
                      </Tag>
                    ))}
                  </Space>
                ),
              },
              {
                key: 'state',
                title: t('sl.col.state'),
                render: (_, s) => <Tag color={s.state === 'active' ? 'blue' : 'default'}>{s.state}</Tag>,
              },
              { key: 'ends', title: t('sl.col.ends'), render: (_, s) => <TimeText at={s.endsAt} /> },
              { key: 'by', title: t('sl.col.by'), render: (_, s) => s.createdBy },
              { key: 'comment', title: t('sl.col.comment'), render: (_, s) => s.comment },
              {
                key: 'actions',
                title: '',
                render: (_, s) =>
                  s.state === 'expired' ? null : (
                    <Popconfirm
                      title={t('sl.expire.confirm')}
                      okButtonProps={{ ...{ 'data-testid': `silence-expire-ok-${s.id}` } }}
                      onConfirm={() => expire.mutate(s.id)}
                    >
                      <Button size="small" data-testid={`silence-expire-${s.id}`}>
                        {t('sl.expire')}
                      </Button>
                    </Popconfirm>
                  ),
              },
            ]}
          />
        </>
      ) : null}
      {editing !== null ? (
        <ChannelFormModal
          project={project}
          channel={editing ? (channels.data?.items.find((c) => c.name === editing) ?? null) : null}
          onDone={(name) => {
            setEditing(null);
            void message.success(t('ch.saved', { name }));
            void queryClient.invalidateQueries({ queryKey: alertKeys.channels(project) });
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      {silenceFrom !== null ? (
        <SilenceFormModal
          project={project}
          matchers={silenceFrom}
          onDone={() => {
            setSilenceFrom(null);
            void queryClient.invalidateQueries({ queryKey: ['silences', project] });
            if (tab !== 'silences') void navigate(`/p/${project}/${env}/alerts/silences`);
          }}
          onCancel={() => setSilenceFrom(null)}
        />
      ) : null}
      <Modal
        open={testResult !== null}
        title={testResult ? t('ch.testResult', { name: testResult.channel }) : ''}
        onOk={() => setTestResult(null)}
        onCancel={() => setTestResult(null)}
        cancelButtonProps={{ style: { display: 'none' } }}
        okButtonProps={{ ...{ 'data-testid': 'channel-test-close' } }}
      >
        {testResult ? (
          <div data-testid="channel-test-result">
            <Alert
              type={testResult.state === 'delivered' ? 'success' : 'error'}
              showIcon
              title={testResult.state === 'delivered' ? t('ch.testDelivered') : t('ch.testFailed')}
              description={attemptText(t, testResult).join('\n')}
            />
          </div>
        ) : null}
      </Modal>
    </>
  );
}
