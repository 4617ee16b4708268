import { useState } from 'react';
import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Segmented,
  Select,
  Slider,
  Space,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Route } from '@berth/shared';
import { isApiError } from '../../api/errors';
import { listReleases } from '../../api/resources';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { describeRouteError, type RouteWriteProblem } from './route-errors';
import { placeFieldErrors } from '../../components/form-errors';
import { canaryRule, canaryTarget, canaryTargetLabel } from './route-view';
import { RouteWriteAlert } from './RouteWriteAlert';
import { useEnvServices } from './useEnvServices';
import {
  abortCanary,
  promoteCanary,
  routesKey,
  setCanary,
  type CanaryInput,
  type RouteRef,
  type RouteWrite,
} from './routes-api';

type Mode = 'percent' | 'header' | 'cookie';
type Target = 'service' | 'release';

interface CanaryFormValues {
  mode: Mode;
  target: Target;
  percent?: number;
  header?: { name?: string; value?: string };
  cookie?: { name?: string; value?: string };
  to: { service?: string; release?: number; replicas?: number };
}

const canaryFields = new Set([
  'percent',
  'header.name',
  'header.value',
  'cookie.name',
  'cookie.value',
  'to.service',
  'to.release',
  'to.replicas',
]);
const canaryFieldFor = (path: string) => (canaryFields.has(path) ? path.split('.') : null);

function toCanary(v: CanaryFormValues): CanaryInput {
  const to: CanaryInput['to'] =
    v.target === 'release'
      ? { release: v.to.release ?? 0, ...(v.to.replicas ? { replicas: v.to.replicas } : {}) }
      : { service: v.to.service ?? '' };
  if (v.mode === 'header')
    return { header: { name: v.header?.name?.trim() ?? '', value: v.header?.value?.trim() ?? '' }, to };
  if (v.mode === 'cookie')
    return { cookie: { name: v.cookie?.name?.trim() ?? '', value: v.cookie?.value?.trim() ?? '' }, to };
  return { percent: v.percent ?? 0, to };
}

function initialValues(route: Route): CanaryFormValues {
  const c = route.canary;
  if (!c) return { mode: 'percent', target: 'service', percent: 10, to: {} };
  return {
    mode: canaryRule(c).kind,
    target: 'release' in c.to ? 'release' : 'service',
    percent: c.percent ?? 10,
    header: c.header,
    cookie: c.cookie,
    to: { ...c.to },
  };
}

/**
 * Canary (gray release) of one route: a share of requests, or the requests with a header or
 * cookie value, go to another service or to another release of the route's service. Shows the
 * live rule; Promote makes the canary's service the route's service (a release: rolls the
 * service to it), Abort sends everything back.
 */
export function CanaryPanel({ route }: { route: Route }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<CanaryFormValues>();
  const [problem, setProblem] = useState<RouteWriteProblem | null>(null);
  const mode = (Form.useWatch('mode', form) as Mode | undefined) ?? 'percent';
  const ref: RouteRef = { project: route.project, env: route.env, route: route.name };
  const services = useEnvServices(route.project, route.env);
  const target = (Form.useWatch('target', form) as Target | undefined) ?? 'service';
  const routeService = route.spec.backends.service?.name;
  const releases = useQuery({
    queryKey: ['releases', route.project, route.env, routeService, 'canary'],
    queryFn: () => listReleases({ project: route.project, env: route.env, service: routeService! }),
    enabled: routeService !== undefined && target === 'release',
  });
  const runningRelease = services.data?.items.find((s) => s.name === routeService)?.release;

  const onDone = (key: 'routes.canary.started' | 'routes.canary.promoted' | 'routes.canary.aborted') => ({
    onSuccess: async (r: RouteWrite) => {
      setProblem(null);
      void message.success(t(key, { route: r.route.name }));
      await queryClient.invalidateQueries({ queryKey: routesKey(route.project, route.env) });
    },
    onError: (err: unknown) => {
      // Every field error is also listed: a rule error ("set exactly one of …") names no field.
      placeFieldErrors(form, err, canaryFieldFor);
      const unplaced = isApiError(err) ? err.fields.map((f) => `${f.path}: ${f.message}`) : [];
      setProblem(describeRouteError(t, err, unplaced));
    },
  });
  const start = useMutation({
    mutationFn: (v: CanaryFormValues) => setCanary(ref, { ...toCanary(v), version: route.version }),
    ...onDone('routes.canary.started'),
  });
  const promote = useMutation({
    mutationFn: () => promoteCanary(ref, route.version),
    ...onDone('routes.canary.promoted'),
  });
  const abort = useMutation({
    mutationFn: () => abortCanary(ref, route.version),
    ...onDone('routes.canary.aborted'),
  });
  const c = route.canary;
  const release = c && 'release' in c.to ? c.to.release : null;

  return (
    <Card
      title={t('routes.canary.title')}
      size="small"
      data-testid="canary-panel"
      data-canary={c ? 'on' : 'off'}
    >
      <RouteWriteAlert problem={problem} />
      {c ? (
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Descriptions size="small" column={{ xs: 1, md: 3 }} data-testid="canary-state">
            <Descriptions.Item label={t('routes.canary.rule')}>
              {t(`routes.canary.rule.${canaryRule(c).kind}`, { rule: canaryRule(c).text })}
            </Descriptions.Item>
            <Descriptions.Item label={t(release === null ? 'routes.canary.to' : 'routes.canary.release')}>
              {canaryTargetLabel(t, c)}
            </Descriptions.Item>
            <Descriptions.Item label={t('routes.canary.since')}>
              <span>
                <TimeText at={route.updatedAt} /> {t('common.by', { user: route.updatedBy })}
              </span>
            </Descriptions.Item>
          </Descriptions>
          {c.promoting && release !== null ? (
            <Alert
              type="info"
              showIcon
              data-testid="canary-promoting"
              title={t('routes.canary.promoting', { service: routeService ?? '', number: release })}
            />
          ) : null}
          <Space wrap>
            <Popconfirm
              title={
                release === null
                  ? t('routes.canary.promote.confirm', { service: canaryTarget(c), route: route.name })
                  : t('routes.canary.promote.release.confirm', {
                      service: routeService ?? '',
                      number: release,
                    })
              }
              okText={t('common.confirm')}
              cancelText={t('common.cancel')}
              onConfirm={() => promote.mutate()}
            >
              <Button type="primary" loading={promote.isPending} data-testid="canary-promote">
                {t('routes.canary.promote')}
              </Button>
            </Popconfirm>
            <Popconfirm
              title={t('routes.canary.abort.confirm', { route: route.name })}
              okText={t('common.confirm')}
              cancelText={t('common.cancel')}
              onConfirm={() => abort.mutate()}
            >
              <Button danger loading={abort.isPending} data-testid="canary-abort">
                {t('routes.canary.abort')}
              </Button>
            </Popconfirm>
          </Space>
          <Typography.Text type="secondary">{t('routes.canary.change')}</Typography.Text>
        </Space>
      ) : (
        <Typography.Paragraph type="secondary">{t('routes.canary.none')}</Typography.Paragraph>
      )}
      <Form<CanaryFormValues>
        form={form}
        layout="vertical"
        initialValues={initialValues(route)}
        onFinish={(v) => start.mutate(v)}
        style={{ marginTop: 12 }}
      >
        <Form.Item name="mode" label={t('routes.canary.mode')}>
          <Segmented<Mode>
            options={[
              { value: 'percent', label: t('routes.canary.mode.percent') },
              { value: 'header', label: t('routes.canary.mode.header') },
              { value: 'cookie', label: t('routes.canary.mode.cookie') },
            ]}
          />
        </Form.Item>
        {mode === 'percent' ? (
          <Space align="start" wrap style={{ width: '100%' }}>
            <Form.Item name="percent" label={t('routes.canary.percent')} style={{ width: 320 }}>
              <Slider min={0} max={100} marks={{ 0: '0%', 10: '10%', 50: '50%', 100: '100%' }} />
            </Form.Item>
            <Form.Item name="percent" label=" ">
              <InputNumber
                min={0}
                max={100}
                step={1}
                suffix="%"
                id="canary-percent"
                aria-label={t('routes.canary.percent')}
              />
            </Form.Item>
          </Space>
        ) : (
          <Space align="start" wrap>
            <Form.Item
              name={[mode, 'name']}
              label={t(`routes.canary.${mode}.name`)}
              rules={[{ required: true, message: t('create.required') }]}
            >
              <Input
                id="canary-match-name"
                placeholder={mode === 'header' ? 'X-Canary' : 'beta'}
                style={{ width: 200 }}
              />
            </Form.Item>
            <Form.Item
              name={[mode, 'value']}
              label={t('routes.canary.value')}
              rules={[{ required: true, message: t('create.required') }]}
            >
              <Input id="canary-match-value" placeholder="yes" style={{ width: 200 }} />
            </Form.Item>
          </Space>
        )}
        {routeService ? (
          <Form.Item name="target" label={t('routes.canary.target')}>
            <Segmented<Target>
              options={[
                { value: 'service', label: t('routes.canary.target.service') },
                { value: 'release', label: t('routes.canary.target.release', { service: routeService }) },
              ]}
            />
          </Form.Item>
        ) : null}
        {target === 'release' && routeService ? (
          <Space align="start" wrap style={{ width: '100%' }}>
            <Form.Item
              name={['to', 'release']}
              label={t('routes.canary.release')}
              extra={t('routes.canary.release.help', { service: routeService })}
              rules={[{ required: true, message: t('create.required') }]}
            >
              <Select
                id="canary-release"
                style={{ width: 280 }}
                loading={releases.isPending}
                options={(releases.data?.items ?? []).map((r) => ({
                  value: r.number,
                  disabled: r.number === runningRelease,
                  label: `${t('routes.canary.release.option', { number: r.number })}${
                    r.number === runningRelease ? ` (${t('routes.canary.release.current')})` : ''
                  }${r.reason ? ` · ${r.reason}` : ''}`,
                }))}
              />
            </Form.Item>
            <Form.Item name={['to', 'replicas']} label={t('routes.canary.replicas')}>
              <InputNumber id="canary-replicas" min={1} max={10} step={1} placeholder="1" />
            </Form.Item>
          </Space>
        ) : (
          <Form.Item
            name={['to', 'service']}
            label={t('routes.canary.to')}
            extra={t('routes.canary.to.help')}
            rules={[{ required: true, message: t('create.required') }]}
          >
            <Select
              id="canary-service"
              showSearch
              style={{ width: 280 }}
              loading={services.isPending}
              options={(services.data?.items ?? [])
                .filter((s) => s.name !== routeService)
                .map((s) => ({ value: s.name, label: s.name }))}
            />
          </Form.Item>
        )}
        <Button
          htmlType="submit"
          type={c ? 'default' : 'primary'}
          loading={start.isPending}
          data-testid="canary-start"
        >
          {c ? t('routes.canary.update') : t('routes.canary.start')}
        </Button>
      </Form>
    </Card>
  );
}
