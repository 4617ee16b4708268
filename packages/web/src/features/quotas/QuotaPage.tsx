import { useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Form, InputNumber, Progress, Space, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import type { ProjectQuota, QuotaRequest } from '@berth/shared';
import { isApiError } from '../../api/errors';
import { ErrorState, errorText } from '../../components/ErrorState';
import { placeFieldErrors } from '../../components/form-errors';
import { formatDateTime } from '../../components/TimeText';
import { useI18n, type Translate } from '../../i18n/I18nProvider';
import { isPlatformAdmin } from '../admin/admin-access';
import { useMe } from '../auth/session';
import { getQuota, quotaKeys, setQuota } from './quotas-api';

type Dimension = 'cpu' | 'memoryMiB' | 'replicas' | 'volumesGiB';

interface QuotaFormValues {
  cpu?: number | null;
  memoryMiB?: number | null;
  replicas?: number | null;
  volumesGiB?: number | null;
  defaults?: { cpu?: number | null; memoryMiB?: number | null };
}

const round = (n: number) => String(Math.round(n * 100) / 100);

function amount(t: Translate, d: Dimension, n: number): string {
  if (d === 'cpu') return t('quota.unit.cores', { n: round(n) });
  if (d === 'memoryMiB') return t('quota.unit.mib', { n: round(n) });
  if (d === 'volumesGiB') return t('quota.unit.gib', { n: round(n) });
  return round(n);
}

/** One usage bar: used of limit (full and red when over), or just the usage when unlimited. */
function UsageBar({ q, d, label }: { q: ProjectQuota; d: Dimension; label: string }) {
  const { t } = useI18n();
  const used = q.usage[d];
  const limit = q.limits[d];
  const left = q.remaining[d];
  const percent = limit === null ? 0 : limit === 0 ? (used > 0 ? 100 : 0) : (used / limit) * 100;
  return (
    <div className="quota-bar" data-testid={`quota-${d}`} style={{ marginBottom: 16 }}>
      <Typography.Text strong>{label}</Typography.Text>
      <Progress
        percent={Math.min(100, Math.round(percent * 10) / 10)}
        status={limit !== null && used > limit ? 'exception' : 'normal'}
        showInfo={limit !== null}
        aria-label={label}
        data-percent={Math.round(percent * 10) / 10}
      />
      <Typography.Text type="secondary" data-testid={`quota-${d}-text`}>
        {limit === null
          ? t('quota.used.unlimited', { used: amount(t, d, used) })
          : t('quota.used', {
              used: amount(t, d, used),
              limit: amount(t, d, limit),
              left: amount(t, d, left ?? 0),
            })}
      </Typography.Text>
    </div>
  );
}

const toForm = (q: ProjectQuota): QuotaFormValues => ({
  cpu: q.limits.cpu,
  memoryMiB: q.limits.memoryMiB,
  replicas: q.limits.replicas,
  volumesGiB: q.limits.volumesGiB,
  defaults: { cpu: q.defaults.cpu, memoryMiB: q.defaults.memoryMiB },
});

const orNull = (v: number | null | undefined) => (v === undefined || v === null ? null : v);

const toRequest = (v: QuotaFormValues): QuotaRequest => ({
  cpu: orNull(v.cpu),
  memoryMiB: orNull(v.memoryMiB),
  replicas: orNull(v.replicas),
  volumesGiB: orNull(v.volumesGiB),
  defaults: { cpu: orNull(v.defaults?.cpu), memoryMiB: orNull(v.defaults?.memoryMiB) },
});

/** A project's quota: usage bars for everyone who may read the project; platform admins edit it. */
export function QuotaPage() {
  const { project = '' } = useParams();
  const [search] = useSearchParams();
  const env = search.get('env');
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useMe().data;
  const admin = me ? isPlatformAdmin(me) : false;
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm<QuotaFormValues>();
  const quota = useQuery({ queryKey: quotaKeys.project(project), queryFn: () => getQuota(project) });
  const save = useMutation({
    mutationFn: (v: QuotaFormValues) => setQuota(project, toRequest(v)),
    onSuccess: (q) => {
      queryClient.setQueryData(quotaKeys.project(project), q);
      void message.success(t('quota.saved'));
      setEditing(false);
      setError(null);
    },
    onError: (err) => {
      const rest = placeFieldErrors(form, err, (path) => path.split('.'));
      setError(
        isApiError(err) && err.fields.length ? (rest.length ? rest.join('; ') : null) : errorText(t, err),
      );
    },
  });
  if (quota.isError) return <ErrorState error={quota.error} onRetry={() => void quota.refetch()} />;
  const q = quota.data;
  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('quota.title', { project })}
        </Typography.Title>
        <Space>
          <Button onClick={() => void navigate(env ? `/p/${project}/${env}` : '/')} data-testid="quota-back">
            {t('quota.back')}
          </Button>
          {admin && q && !editing ? (
            <Button
              type="primary"
              data-testid="quota-edit"
              onClick={() => {
                form.setFieldsValue(toForm(q));
                setEditing(true);
              }}
            >
              {t('quota.edit')}
            </Button>
          ) : null}
        </Space>
      </div>
      <Alert type="info" showIcon title={t('quota.help')} style={{ marginBottom: 12 }} />
      <Card size="small" loading={!q} style={{ marginBottom: 16 }} data-testid="quota-usage">
        {q ? (
          <>
            <UsageBar q={q} d="cpu" label={t('quota.cpu')} />
            <UsageBar q={q} d="memoryMiB" label={t('quota.memory')} />
            <UsageBar q={q} d="replicas" label={t('quota.replicas')} />
            <UsageBar q={q} d="volumesGiB" label={t('quota.volumes')} />
          </>
        ) : null}
      </Card>
      {q ? (
        <Card size="small" title={t('quota.defaults')} style={{ marginBottom: 16 }}>
          <Typography.Paragraph type="secondary">
            {t('quota.defaults.help', { cpu: q.platformDefaults.cpu, memory: q.platformDefaults.memoryMiB })}
          </Typography.Paragraph>
          <Descriptions size="small" column={2}>
            <Descriptions.Item label={t('quota.default.cpu')}>
              {q.defaults.cpu ?? t('quota.defaults.none')}
            </Descriptions.Item>
            <Descriptions.Item label={t('quota.default.memory')}>
              {q.defaults.memoryMiB ?? t('quota.defaults.none')}
            </Descriptions.Item>
          </Descriptions>
          {q.updatedBy && q.updatedAt ? (
            <Typography.Text type="secondary">
              {t('quota.updated', { by: q.updatedBy, at: formatDateTime(q.updatedAt, lang) })}
            </Typography.Text>
          ) : null}
        </Card>
      ) : null}
      {editing ? (
        <Card size="small" title={t('quota.edit.title', { project })} data-testid="quota-form-card">
          {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} /> : null}
          <Typography.Paragraph type="secondary">{t('quota.edit.help')}</Typography.Paragraph>
          <Form<QuotaFormValues>
            form={form}
            layout="vertical"
            onFinish={(v) => save.mutate(v)}
            data-testid="quota-form"
          >
            <Space wrap align="start" size="large">
              <Form.Item name="cpu" label={t('quota.limit.cpu')}>
                <InputNumber id="quota-cpu" min={0} step={0.5} placeholder={t('quota.unlimited')} />
              </Form.Item>
              <Form.Item name="memoryMiB" label={t('quota.limit.memory')}>
                <InputNumber id="quota-memory" min={0} step={256} placeholder={t('quota.unlimited')} />
              </Form.Item>
              <Form.Item name="replicas" label={t('quota.limit.replicas')}>
                <InputNumber id="quota-replicas" min={0} placeholder={t('quota.unlimited')} />
              </Form.Item>
              <Form.Item name="volumesGiB" label={t('quota.limit.volumes')}>
                <InputNumber id="quota-volumes" min={0} placeholder={t('quota.unlimited')} />
              </Form.Item>
            </Space>
            <Space wrap align="start" size="large">
              <Form.Item name={['defaults', 'cpu']} label={t('quota.default.cpu')}>
                <InputNumber id="quota-default-cpu" step={0.1} placeholder={t('quota.defaults.none')} />
              </Form.Item>
              <Form.Item name={['defaults', 'memoryMiB']} label={t('quota.default.memory')}>
                <InputNumber id="quota-default-memory" placeholder={t('quota.defaults.none')} />
              </Form.Item>
            </Space>
            <Space>
              <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="quota-save">
                {t('quota.save')}
              </Button>
              <Button onClick={() => setEditing(false)}>{t('common.cancel')}</Button>
            </Space>
          </Form>
        </Card>
      ) : null}
    </>
  );
}
