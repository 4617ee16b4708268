import { useState } from 'react';
import { App, Button, Card, Form, Input, Space, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Route } from '@berth/shared';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ErrorState } from '../../components/ErrorState';
import { PageSkeleton } from '../../components/PageSkeleton';
import { useI18n } from '../../i18n/I18nProvider';
import { BackendsSection } from './BackendsSection';
import { describeRouteError, type RouteWriteProblem } from './route-errors';
import { placeFieldErrors } from '../../components/form-errors';
import { routeFieldFor, toFormValues, toRouteSpec, type RouteFormValues } from './route-form';
import {
  AccessSection,
  HealthSection,
  HeadersSection,
  TlsRedirectSection,
  TrafficSection,
} from './RouteOptionsSections';
import { RouteWriteAlert } from './RouteWriteAlert';
import { createRoute, getRoute, routesKey, updateRoute } from './routes-api';
import './routes.css';

const namePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Create (`…/routes/new`) or edit (`…/routes/:route/edit`) a route. */
export function RouteFormPage() {
  const { project = '', env = '', route = '' } = useParams();
  const { t } = useI18n();
  const existing = useQuery({
    queryKey: [...routesKey(project, env), route],
    queryFn: () => getRoute({ project, env, route }),
    enabled: Boolean(route),
  });
  const back = route ? `/p/${project}/${env}/routes/${route}` : `/p/${project}/${env}/routes`;
  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {route ? t('routes.form.editTitle', { route }) : t('routes.form.createTitle')} · {project} / {env}
        </Typography.Title>
        <Link to={back}>{t('routes.back')}</Link>
      </div>
      {route && existing.isPending ? <PageSkeleton /> : null}
      {existing.isError ? (
        <ErrorState error={existing.error} onRetry={() => void existing.refetch()} />
      ) : null}
      {!route || existing.data ? (
        <RouteForm project={project} env={env} existing={existing.data ?? null} />
      ) : null}
    </>
  );
}

function RouteForm({ project, env, existing }: { project: string; env: string; existing: Route | null }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<RouteFormValues>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<RouteWriteProblem | null>(null);

  const submit = async (values: RouteFormValues) => {
    setBusy(true);
    setProblem(null);
    try {
      const spec = toRouteSpec(values);
      const reason = values.reason?.trim() || undefined;
      const result = existing
        ? await updateRoute(
            { project, env, route: existing.name },
            { version: existing.version, spec, reason },
          )
        : await createRoute(project, env, { name: values.name.trim(), spec, reason });
      await queryClient.invalidateQueries({ queryKey: routesKey(project, env) });
      void message.success(
        result.gatewayVersion
          ? t('routes.saved.version', { route: result.route.name, version: result.gatewayVersion.number })
          : t('routes.saved', { route: result.route.name }),
      );
      void navigate(`/p/${project}/${env}/routes/${result.route.name}`);
    } catch (err) {
      const unplaced = placeFieldErrors(form, err, routeFieldFor);
      setProblem(describeRouteError(t, err, unplaced));
      window.scrollTo({ top: 0 });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <RouteWriteAlert problem={problem} />
      <Form<RouteFormValues>
        form={form}
        layout="vertical"
        initialValues={toFormValues(existing)}
        onFinish={(v) => void submit(v)}
        scrollToFirstError
      >
        <Card title={t('routes.form.basics')} size="small" style={{ marginBottom: 16 }}>
          <Space wrap align="start" size="large">
            <Form.Item
              name="name"
              label={t('routes.form.name')}
              extra={existing ? undefined : t('create.name.help')}
              rules={[
                { required: true, message: t('create.required') },
                { pattern: namePattern, max: 63, message: t('create.name.invalid') },
              ]}
            >
              <Input id="route-name" style={{ width: 240 }} disabled={Boolean(existing)} />
            </Form.Item>
            <Form.Item
              name="host"
              label={t('routes.form.host')}
              extra={t('routes.form.host.help')}
              rules={[{ required: true, message: t('create.required') }]}
            >
              <Input id="route-host" style={{ width: 320 }} placeholder="shop.example.com" />
            </Form.Item>
            <Form.Item name="pathPrefix" label={t('routes.form.path')} extra={t('routes.form.path.help')}>
              <Input id="route-path" style={{ width: 200 }} placeholder="/" />
            </Form.Item>
          </Space>
        </Card>
        <BackendsSection project={project} env={env} />
        <TlsRedirectSection />
        <TrafficSection />
        <HeadersSection />
        <AccessSection />
        <HealthSection />
        <Card size="small" style={{ marginBottom: 16 }}>
          <Form.Item name="reason" label={t('routes.form.reason')} extra={t('routes.form.reason.help')}>
            <Input id="route-reason" maxLength={500} style={{ maxWidth: 640 }} />
          </Form.Item>
          <Space>
            <Button type="primary" htmlType="submit" loading={busy} data-testid="route-submit">
              {existing ? t('routes.form.save') : t('routes.form.create')}
            </Button>
            <Button
              onClick={() =>
                void navigate(
                  existing ? `/p/${project}/${env}/routes/${existing.name}` : `/p/${project}/${env}/routes`,
                )
              }
            >
              {t('common.cancel')}
            </Button>
          </Space>
        </Card>
      </Form>
    </>
  );
}
