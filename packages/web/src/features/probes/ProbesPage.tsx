import { useMemo, useState } from 'react';
import {
  App,
  Button,
  Card,
  Empty,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Segmented,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { SiteProbeStatus } from '@berth/shared';
import { Link, useParams } from 'react-router-dom';
import { isApiError } from '../../api/errors';
import { formatPercent } from '../../components/chart-math';
import { ErrorState, errorText } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { TimeSeriesChart } from '../../components/TimeSeriesChart';
import { useI18n } from '../../i18n/I18nProvider';
import { FormModal } from '../admin/FormModal';
import { ScopeSelector } from '../nav/ScopeSelector';
import { useProbeT } from './probe-messages';
import {
  createProbe,
  deleteProbe,
  listProbes,
  probeKeys,
  probeUptime,
  updateProbe,
  type ProbeInput,
} from './probes-api';

interface ProbeFormValues {
  name: string;
  kind: 'http' | 'tcp';
  url?: string;
  address?: string;
  expectStatus?: string;
  bodyMustNotMatch?: string;
  bodyMustMatch?: string;
  latencyThresholdMs?: number | null;
  intervalSeconds?: number | null;
  alert: boolean;
  alertFor?: string;
}

const ranges = ['1h', '6h', '24h', '7d'] as const;

/** A form value to the API's body: empty fields are left out (the API's defaults apply). */
function toInput(v: ProbeFormValues): ProbeInput {
  const text = (s: string | undefined) => (s && s.trim() ? s.trim() : undefined);
  const body: ProbeInput = { name: v.name, kind: v.kind };
  if (v.kind === 'http') {
    body.url = text(v.url) ?? '';
    const expect = text(v.expectStatus);
    if (expect) body.expectStatus = expect;
    const not = text(v.bodyMustNotMatch);
    if (not) body.bodyMustNotMatch = not;
    const must = text(v.bodyMustMatch);
    if (must) body.bodyMustMatch = must;
  } else body.address = text(v.address) ?? '';
  if (v.latencyThresholdMs) body.latencyThresholdMs = v.latencyThresholdMs;
  if (v.intervalSeconds) body.intervalSeconds = v.intervalSeconds;
  if (v.alert) body.alert = { for: text(v.alertFor) ?? '1m' };
  return body;
}

/** The form's values for editing a probe: what it is now (the alert switch is for create only). */
function fromProbe(p: SiteProbeStatus): Partial<ProbeFormValues> {
  return {
    name: p.name,
    kind: p.kind,
    url: p.url ?? undefined,
    address: p.address ?? undefined,
    expectStatus: p.expectStatus ?? undefined,
    bodyMustNotMatch: p.bodyMustNotMatch ?? undefined,
    bodyMustMatch: p.bodyMustMatch ?? undefined,
    latencyThresholdMs: p.latencyThresholdMs,
    intervalSeconds: p.intervalSeconds,
    alert: false,
  };
}

function UptimeChart({ project, env, name }: { project: string; env: string; name: string }) {
  const { pt, lang } = useProbeT();
  const { t } = useI18n();
  const [range, setRange] = useState<(typeof ranges)[number]>('1h');
  const q = useQuery({
    queryKey: probeKeys.uptime(project, env, name, range),
    queryFn: () => probeUptime(project, env, name, range),
    refetchInterval: 15_000,
  });
  const series = useMemo(() => {
    const d = q.data;
    if (!d) return { success: [], latency: [] };
    return {
      success: [
        {
          name: pt('chartSuccess'),
          points: d.success.map(([s, v]) => [s * 1000, v * 100] as [number, number]),
        },
      ],
      latency: [
        { name: pt('chartLatency'), points: d.latency.map(([s, v]) => [s * 1000, v] as [number, number]) },
      ],
    };
  }, [q.data, pt]);
  return (
    <Card
      size="small"
      title={pt('chartTitle', { name })}
      data-testid={`probe-chart-${name}`}
      extra={<Segmented size="small" options={[...ranges]} value={range} onChange={(v) => setRange(v)} />}
    >
      {q.isError ? <ErrorState error={q.error} onRetry={() => void q.refetch()} /> : null}
      {q.data ? (
        <>
          <Typography.Paragraph data-testid={`probe-uptime-${name}`}>
            {pt('chartUptime', {
              range,
              value: q.data.uptime === null ? '—' : formatPercent(q.data.uptime * 100),
            })}
          </Typography.Paragraph>
          <TimeSeriesChart
            series={series.success}
            format={formatPercent}
            lang={lang}
            emptyText={pt('chartEmpty')}
            height={140}
            testId={`probe-chart-success-${name}`}
          />
          <TimeSeriesChart
            series={series.latency}
            format={(v) => `${v.toFixed(3)} s`}
            lang={lang}
            emptyText={pt('chartEmpty')}
            height={120}
            testId={`probe-chart-latency-${name}`}
          />
        </>
      ) : null}
      {q.isPending ? <Typography.Text type="secondary">{t('common.loading')}</Typography.Text> : null}
    </Card>
  );
}

/** An environment's probes: up/down now and uptime, a form, and each probe's uptime chart. */
export function ProbesPage() {
  const { project = '', env = '' } = useParams();
  const { t } = useI18n();
  const { pt } = useProbeT();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const probes = useQuery({
    queryKey: probeKeys.list(project, env),
    queryFn: () => listProbes(project, env),
    refetchInterval: 5_000,
  });
  const [creating, setCreating] = useState(false);
  // the probe as it was read when Edit was clicked: its updatedAt is sent, so a change made
  // meanwhile by someone else is a 409 shown in the form, never silently overwritten
  const [editing, setEditing] = useState<SiteProbeStatus | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const reload = () => queryClient.invalidateQueries({ queryKey: probeKeys.list(project, env) });
  const remove = useMutation({
    mutationFn: (name: string) => deleteProbe(project, env, name),
    onSuccess: async (_r, name) => {
      void message.success(pt('deleted', { name }));
      if (selected === name) setSelected(null);
      await reload();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  const required = [{ required: true, message: pt('required') }];

  const state = (r: SiteProbeStatus) =>
    !r.enabled ? (
      <Tag>{pt('disabled')}</Tag>
    ) : r.up === null ? (
      <Tag>{pt('unknown')}</Tag>
    ) : r.up ? (
      <Tag color="green">{pt('up')}</Tag>
    ) : (
      <Tag color="red">{pt('down')}</Tag>
    );

  return (
    <>
      <ScopeSelector project={project} env={env} />
      <div className="page-head">
        <Space align="center">
          <Link to={`/p/${project}/${env}`}>{t('nav.services')}</Link>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {pt('title')}
          </Typography.Title>
        </Space>
        <Button type="primary" data-testid="create-probe" onClick={() => setCreating(true)}>
          {pt('create')}
        </Button>
      </div>
      <Typography.Paragraph type="secondary">{pt('intro', { project, env })}</Typography.Paragraph>
      {probes.isPending ? <PageSkeleton /> : null}
      {probes.isError ? <ErrorState error={probes.error} onRetry={() => void probes.refetch()} /> : null}
      {probes.data ? (
        <Table<SiteProbeStatus>
          rowKey="name"
          size="middle"
          dataSource={probes.data.items}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          scroll={{ x: 900 }}
          data-testid="probes-table"
          onRow={(r) => ({ onClick: () => setSelected(r.name), style: { cursor: 'pointer' } })}
          locale={{
            emptyText: (
              <Empty
                data-testid="probes-empty"
                description={
                  <>
                    <Typography.Paragraph strong>{pt('emptyTitle', { project, env })}</Typography.Paragraph>
                    <Typography.Paragraph type="secondary">{pt('emptyHint')}</Typography.Paragraph>
                  </>
                }
              />
            ),
          }}
          columns={[
            {
              key: 'name',
              title: pt('colName'),
              render: (_, r) => <span data-testid={`probe-${r.name}`}>{r.name}</span>,
            },
            {
              key: 'target',
              title: pt('colTarget'),
              render: (_, r) => (
                <Typography.Text code>
                  {r.kind.toUpperCase()} {r.url ?? r.address}
                </Typography.Text>
              ),
            },
            {
              key: 'state',
              title: pt('colState'),
              render: (_, r) => <span data-testid={`probe-state-${r.name}`}>{state(r)}</span>,
            },
            {
              key: 'uptime',
              title: pt('colUptime'),
              render: (_, r) => (r.uptime24h === null ? '—' : formatPercent(r.uptime24h * 100)),
            },
            {
              key: 'latency',
              title: pt('colLatency'),
              render: (_, r) =>
                r.lastDurationSeconds === null ? '—' : `${Math.round(r.lastDurationSeconds * 1000)} ms`,
            },
            { key: 'interval', title: pt('colInterval'), render: (_, r) => `${r.intervalSeconds} s` },
            { key: 'alert', title: pt('colAlert'), render: (_, r) => r.alertRule ?? '—' },
            {
              key: 'actions',
              title: '',
              render: (_, r) => (
                <Space size="small" onClick={(e) => e.stopPropagation()}>
                  <Button size="small" data-testid={`probe-edit-${r.name}`} onClick={() => setEditing(r)}>
                    {pt('edit')}
                  </Button>
                  <Popconfirm
                    title={pt('deleteConfirm', { name: r.name })}
                    onConfirm={() => remove.mutate(r.name)}
                    okButtonProps={{ ...{ 'data-testid': `probe-delete-ok-${r.name}` } }}
                  >
                    <Button
                      size="small"
                      danger
                      data-testid={`probe-delete-${r.name}`}
                      onClick={(e) => e.stopPropagation()}
                    >
                      {pt('delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      ) : null}
      {selected ? (
        <div style={{ marginTop: 16 }}>
          <UptimeChart project={project} env={env} name={selected} />
        </div>
      ) : null}
      {creating || editing ? (
        <FormModal<ProbeFormValues>
          title={editing ? pt('editTitle', { name: editing.name }) : pt('formTitle')}
          okText={editing ? pt('editSave') : pt('create')}
          testId="probe-form"
          initialValues={
            editing
              ? fromProbe(editing)
              : { kind: 'http', expectStatus: '2xx', intervalSeconds: 30, alert: true, alertFor: '1m' }
          }
          onSubmit={async (v) => {
            if (editing) {
              // a full replacement: fields left empty take the API's defaults, as on create
              const {
                name: _name,
                alert: _alert,
                ...fields
              } = toInput({ ...v, name: editing.name, alert: false });
              const saved = await updateProbe(project, env, editing.name, {
                ...fields,
                expectedUpdatedAt: editing.updatedAt,
              }).catch((err: unknown) => {
                // changed meanwhile: the list is read again, so the next Edit starts from the change
                if (isApiError(err) && err.status === 409) void reload();
                throw err;
              });
              void message.success(pt('edited', { name: saved.name }));
              setSelected(saved.name);
              return;
            }
            const saved = await createProbe(project, env, toInput(v));
            void message.success(pt('saved', { name: saved.name }));
            setSelected(saved.name);
          }}
          onDone={() => {
            setCreating(false);
            setEditing(null);
            void reload();
          }}
          onCancel={() => {
            setCreating(false);
            setEditing(null);
          }}
        >
          {(form) => (
            <>
              <Form.Item name="name" label={pt('formName')} rules={required}>
                <Input data-testid="probe-form-name" disabled={editing !== null} />
              </Form.Item>
              <Form.Item name="kind" label={pt('formKind')}>
                <Select
                  data-testid="probe-form-kind"
                  options={[
                    { value: 'http', label: 'HTTP(S)' },
                    { value: 'tcp', label: 'TCP' },
                  ]}
                />
              </Form.Item>
              <Form.Item noStyle shouldUpdate={(a: ProbeFormValues, b: ProbeFormValues) => a.kind !== b.kind}>
                {() =>
                  form.getFieldValue('kind') === 'tcp' ? (
                    <Form.Item name="address" label={pt('formAddress')} rules={required}>
                      <Input data-testid="probe-form-address" placeholder="10.0.0.5:5432" />
                    </Form.Item>
                  ) : (
                    <>
                      <Form.Item name="url" label={pt('formUrl')} rules={required}>
                        <Input data-testid="probe-form-url" placeholder="https://shop.example.com/health" />
                      </Form.Item>
                      <Form.Item name="expectStatus" label={pt('formExpect')}>
                        <Input data-testid="probe-form-expect" placeholder="2xx" />
                      </Form.Item>
                      <Form.Item name="bodyMustNotMatch" label={pt('formMustNotMatch')}>
                        <Input data-testid="probe-form-must-not-match" placeholder="ERROR" />
                      </Form.Item>
                      <Form.Item name="bodyMustMatch" label={pt('formMustMatch')}>
                        <Input data-testid="probe-form-must-match" />
                      </Form.Item>
                    </>
                  )
                }
              </Form.Item>
              <Space>
                <Form.Item name="latencyThresholdMs" label={pt('formLatency')}>
                  <InputNumber min={100} max={60000} data-testid="probe-form-latency" />
                </Form.Item>
                <Form.Item name="intervalSeconds" label={pt('formInterval')}>
                  <InputNumber min={1} max={3600} data-testid="probe-form-interval" />
                </Form.Item>
              </Space>
              {editing ? (
                editing.alertRule ? (
                  <Typography.Paragraph type="secondary" data-testid="probe-form-alert-kept">
                    {pt('editAlertKept', { rule: editing.alertRule })}
                  </Typography.Paragraph>
                ) : null
              ) : (
                <Form.Item name="alert" label={pt('formAlert')} valuePropName="checked">
                  <Switch data-testid="probe-form-alert" />
                </Form.Item>
              )}
              <Form.Item
                noStyle
                shouldUpdate={(a: ProbeFormValues, b: ProbeFormValues) => a.alert !== b.alert}
              >
                {() =>
                  form.getFieldValue('alert') ? (
                    <Form.Item name="alertFor" label={pt('formAlertFor')}>
                      <Input data-testid="probe-form-alert-for" />
                    </Form.Item>
                  ) : null
                }
              </Form.Item>
            </>
          )}
        </FormModal>
      ) : null}
    </>
  );
}
