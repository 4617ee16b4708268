import { useMemo, useState } from 'react';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Row,
  Select,
  Space,
  Tag,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AutoscaleDecision, AutoscaleSpecInput, AutoscaleState } from '@berth/shared';
import { isApiError } from '../../api/errors';
import type { ServiceRef } from '../../api/paths';
import { formatPercent } from '../../components/chart-math';
import { errorText } from '../../components/ErrorState';
import { placeFieldErrors } from '../../components/form-errors';
import { TimeSeriesChart, type Series } from '../../components/TimeSeriesChart';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { isPlatformAdmin } from '../admin/admin-access';
import { useMe } from '../auth/session';
import { useAutoscaleT, type AutoscaleTranslate } from './autoscale-i18n';
import { fieldFor, heldKey, initialValues, toSpec, type FormValues } from './autoscale-form';
import { autoscaleKeys, getAutoscale, listAutoscaleDecisions, putAutoscale } from './autoscale-api';

const round = (v: number) => String(Math.round(v * 100) / 100);

function metricText(t: AutoscaleTranslate, a: NonNullable<AutoscaleState['autoscale']>): string {
  return typeof a.metric === 'object' ? `PromQL: ${a.metric.promql}` : t(`as.metric.${a.metric}`);
}

/** Replicas (now and desired) and the metric against its target over the logged decisions. */
function DecisionCharts({ decisions, state }: { decisions: AutoscaleDecision[]; state: AutoscaleState }) {
  const { lang } = useI18n();
  const t = useAutoscaleT();
  const percent = state.autoscale?.metric === 'cpu' || state.autoscale?.metric === 'memory';
  const series = useMemo(() => {
    const at = (d: AutoscaleDecision) => Date.parse(d.at);
    const replicas: Series[] = [
      { name: t('as.chart.current'), points: decisions.map((d) => [at(d), d.currentReplicas]) },
      { name: t('as.chart.desired'), points: decisions.map((d) => [at(d), d.desiredReplicas]) },
    ];
    // cpu and memory are means per container; totals (rps, PromQL) are compared per replica
    const value = (d: AutoscaleDecision) =>
      d.metricValue === null
        ? null
        : percent
          ? d.metricValue
          : d.metricValue / Math.max(1, d.currentReplicas);
    const metric: Series[] = [
      {
        name: t('as.chart.value'),
        points: decisions.flatMap((d) => {
          const v = value(d);
          return v === null ? [] : [[at(d), v] as [number, number]];
        }),
      },
      { name: t('as.chart.target'), points: decisions.map((d) => [at(d), d.target]) },
    ];
    return { replicas, metric };
  }, [decisions, percent, t]);
  const empty = t('as.chart.empty');
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={12}>
        <Card size="small" title={t('as.chart.replicas')}>
          <TimeSeriesChart
            series={series.replicas}
            format={round}
            lang={lang}
            emptyText={empty}
            height={160}
            testId="autoscale-chart-replicas"
          />
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card size="small" title={t('as.chart.metric')}>
          <TimeSeriesChart
            series={series.metric}
            format={percent ? formatPercent : round}
            lang={lang}
            emptyText={empty}
            height={160}
            testId="autoscale-chart-metric"
          />
        </Card>
      </Col>
    </Row>
  );
}

/**
 * A service's autoscaling (docs/autoscaling.md): on or off, its settings with an edit form, the
 * replicas now and desired, the last decision and why it holds, and the decisions as charts.
 * Loaded lazily by the Scale tab.
 */
export function AutoscaleCard({ serviceRef, replicas }: { serviceRef: ServiceRef; replicas: number }) {
  const { t: common } = useI18n();
  const t = useAutoscaleT();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const me = useMe().data;
  const admin = me ? isPlatformAdmin(me) : false;
  const [form] = Form.useForm<FormValues>();
  const [editing, setEditing] = useState(false);
  const [unplaced, setUnplaced] = useState<string | null>(null);
  const state = useQuery({
    queryKey: autoscaleKeys.state(serviceRef),
    queryFn: () => getAutoscale(serviceRef),
    refetchInterval: 3000,
  });
  const decisions = useQuery({
    queryKey: autoscaleKeys.decisions(serviceRef),
    queryFn: () => listAutoscaleDecisions(serviceRef),
    refetchInterval: 5000,
  });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['autoscale', serviceRef.project, serviceRef.env] });
    void queryClient.invalidateQueries({ queryKey: ['service'] });
  };
  const save = useMutation({
    mutationFn: (body: AutoscaleSpecInput | null) => putAutoscale(serviceRef, body),
    onSuccess: (next, body) => {
      queryClient.setQueryData(autoscaleKeys.state(serviceRef), next);
      refresh();
      setEditing(false);
      void message.success(t(body ? 'as.saved' : 'as.turnedOff'));
    },
    onError: (err) => {
      const rest = placeFieldErrors(form, err, fieldFor);
      const allPlaced = isApiError(err) && err.fields.length > 0 && rest.length === 0;
      setUnplaced(allPlaced ? null : rest.length ? rest.join('\n') : errorText(common, err));
    },
  });
  const metric = Form.useWatch('metric', form);

  const s = state.data;
  const a = s?.autoscale ?? null;
  const startEditing = () => {
    form.setFieldsValue(initialValues(s, replicas));
    setUnplaced(null);
    setEditing(true);
  };
  const metricOptions = (['cpu', 'memory', 'rps', 'promql'] as const)
    .filter((m) => m !== 'promql' || admin || (a && typeof a.metric === 'object'))
    .map((m) => ({ value: m, label: t(`as.metric.${m}`), disabled: m === 'promql' && !admin }));

  const last = s?.lastDecision ?? null;
  return (
    <Card
      title={
        <Space>
          {t('as.title')}
          {s ? (
            <Tag color={a ? 'green' : 'default'} data-testid="autoscale-status">
              {t(a ? 'as.on' : 'as.off')}
            </Tag>
          ) : null}
        </Space>
      }
      data-testid="autoscale-card"
      extra={
        s && !editing ? (
          <Space>
            <Button onClick={startEditing} data-testid="autoscale-edit">
              {t(a ? 'as.edit' : 'as.turnOn')}
            </Button>
            {a ? (
              <Popconfirm
                title={t('as.turnOff.confirm')}
                onConfirm={() => save.mutate(null)}
                okButtonProps={{ ...{ 'data-testid': 'autoscale-off-ok' } }}
              >
                <Button danger data-testid="autoscale-off">
                  {t('as.turnOff')}
                </Button>
              </Popconfirm>
            ) : null}
          </Space>
        ) : null
      }
    >
      {state.isError ? <Alert type="error" showIcon message={errorText(common, state.error)} /> : null}
      {s && !a && !editing ? (
        <Typography.Paragraph type="secondary">{t('as.offHint')}</Typography.Paragraph>
      ) : null}
      {s && a && !editing ? (
        <Descriptions size="small" column={{ xs: 1, md: 3 }} data-testid="autoscale-settings">
          <Descriptions.Item label={t('as.min')}>{a.min}</Descriptions.Item>
          <Descriptions.Item label={t('as.max')}>{a.max}</Descriptions.Item>
          <Descriptions.Item label={t('as.metric')}>{metricText(t, a)}</Descriptions.Item>
          <Descriptions.Item label={t('as.target')}>{a.target}</Descriptions.Item>
          <Descriptions.Item label={t('as.interval')}>{a.intervalSeconds}</Descriptions.Item>
          <Descriptions.Item label={t('as.window')}>
            {s.behavior?.scaleDown.stabilizationWindowSeconds}
          </Descriptions.Item>
        </Descriptions>
      ) : null}
      {editing ? (
        <Form
          form={form}
          name="autoscale"
          layout="vertical"
          data-testid="autoscale-form"
          onFinish={(v) => {
            setUnplaced(null);
            save.mutate(toSpec(v));
          }}
          onValuesChange={() => setUnplaced(null)}
        >
          <Row gutter={16}>
            <Col xs={12} md={6}>
              <Form.Item name="min" label={t('as.min')}>
                <InputNumber style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name="max" label={t('as.max')}>
                <InputNumber style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item name="metric" label={t('as.metric')}>
                <Select options={metricOptions} />
              </Form.Item>
            </Col>
            {metric === 'promql' ? (
              <Col xs={24}>
                <Form.Item name="promql" label={t('as.promql')}>
                  <Input.TextArea autoSize={{ minRows: 1, maxRows: 4 }} spellCheck={false} />
                </Form.Item>
              </Col>
            ) : null}
            <Col xs={12} md={8}>
              <Form.Item name="target" label={t('as.target')}>
                <InputNumber style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={12} md={8}>
              <Form.Item name="interval" label={t('as.interval')}>
                <InputNumber style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={12} md={8}>
              <Form.Item name="window" label={t('as.window')}>
                <InputNumber style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          </Row>
          {unplaced ? (
            <Alert
              type="error"
              showIcon
              message={unplaced}
              style={{ marginBottom: 12, whiteSpace: 'pre-line' }}
              data-testid="autoscale-error"
            />
          ) : null}
          <Space>
            <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="autoscale-save">
              {t('as.save')}
            </Button>
            <Button onClick={() => setEditing(false)}>{common('common.cancel')}</Button>
          </Space>
        </Form>
      ) : null}
      {s && a ? (
        <Space direction="vertical" style={{ width: '100%', marginTop: 12 }}>
          <Typography.Text strong data-testid="autoscale-replicas">
            {t('as.replicas', { current: s.currentReplicas, desired: s.desiredReplicas ?? '-' })}
          </Typography.Text>
          {s.held ? (
            <Alert
              type="warning"
              showIcon
              data-testid="autoscale-held"
              message={t('as.held', { why: t(heldKey(s.held)) })}
              description={`${t('as.held.safe')} ${s.held}`}
            />
          ) : null}
          {last ? (
            <Space wrap data-testid="autoscale-last">
              <Typography.Text type="secondary">{t('as.last')}</Typography.Text>
              <Tag
                color={last.outcome === 'scaled' ? 'blue' : last.outcome === 'held' ? 'orange' : 'default'}
              >
                {t(`as.outcome.${last.outcome}`)}
              </Tag>
              <TimeText at={last.at} />
              <Typography.Text>
                {last.currentReplicas} → {last.desiredReplicas}
              </Typography.Text>
              <Typography.Text type="secondary">{last.reason}</Typography.Text>
            </Space>
          ) : null}
        </Space>
      ) : null}
      {s && (a || (decisions.data?.items.length ?? 0) > 0) ? (
        <div style={{ marginTop: 12 }}>
          <DecisionCharts decisions={decisions.data?.items ?? []} state={s} />
        </div>
      ) : null}
    </Card>
  );
}
