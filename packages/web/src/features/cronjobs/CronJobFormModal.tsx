import { useRef } from 'react';
import { Form, Input, InputNumber, Select, Space, Switch } from 'antd';
import type { CronJobSpecInput, CronJobView, EnvVar } from '@berth/shared';
import { ApiError, isApiError } from '../../api/errors';
import { useI18n } from '../../i18n/I18nProvider';
import { FormModal } from '../admin/FormModal';
import { EnvVarsField } from '../services/EnvVarsField';
import { createCronJob, updateCronJob } from './cronjobs-api';
import './strings';

/** The form's fields; their names are the spec's, so the API's `spec.*` field errors land on them. */
interface CronFormValues {
  name: string;
  schedule: string;
  timeZone: string;
  image: string;
  command: string[];
  env: { name: string; value?: string | null; secret: boolean; isSet?: boolean }[];
  concurrencyPolicy: 'allow' | 'forbid' | 'replace';
  retries: number;
  backoffSeconds: number;
  startingDeadlineSeconds: number | null;
  activeDeadlineSeconds: number | null;
  successfulRunsHistoryLimit: number;
  failedRunsHistoryLimit: number;
  cpu: number | null;
  memoryMiB: number | null;
  suspend: boolean;
}

function initialValues(job: CronJobView | null): CronFormValues {
  const s = job?.spec;
  return {
    name: job?.name ?? '',
    schedule: s?.schedule ?? '',
    timeZone: s?.timeZone ?? 'UTC',
    image: s?.image ?? '',
    command: [...(s?.command ?? []), ...(s?.args ?? [])],
    env: (s?.env ?? []).map((e) => ({
      name: e.name,
      value: e.secret ? undefined : e.value,
      secret: e.secret,
      isSet: e.isSet,
    })),
    concurrencyPolicy: s?.concurrencyPolicy ?? 'allow',
    retries: s?.retries ?? 0,
    backoffSeconds: s?.backoffSeconds ?? 10,
    startingDeadlineSeconds: s?.startingDeadlineSeconds ?? null,
    activeDeadlineSeconds: s?.activeDeadlineSeconds ?? null,
    successfulRunsHistoryLimit: s?.successfulRunsHistoryLimit ?? 3,
    failedRunsHistoryLimit: s?.failedRunsHistoryLimit ?? 3,
    cpu: s?.resources.cpu ?? null,
    memoryMiB: s?.resources.memoryMiB ?? null,
    suspend: s?.suspend ?? false,
  };
}

/** The spec to send: the form's fields over the job's current spec (what the form does not show stays). */
function specOf(v: CronFormValues, job: CronJobView | null): CronJobSpecInput {
  const base = job?.spec;
  const env: EnvVar[] = (v.env ?? []).map((e) => ({
    name: e.name,
    // a secret left empty keeps its stored value
    value: e.secret ? (e.value ? e.value : null) : (e.value ?? ''),
    secret: e.secret === true,
  }));
  const resources = { ...base?.resources, cpu: v.cpu ?? undefined, memoryMiB: v.memoryMiB ?? undefined };
  return {
    ...base,
    schedule: v.schedule.trim(),
    timeZone: v.timeZone.trim() || 'UTC',
    image: v.image.trim(),
    command: v.command.length ? v.command : undefined,
    args: undefined,
    env,
    resources,
    concurrencyPolicy: v.concurrencyPolicy,
    retries: v.retries,
    backoffSeconds: v.backoffSeconds,
    startingDeadlineSeconds: v.startingDeadlineSeconds ?? undefined,
    activeDeadlineSeconds: v.activeDeadlineSeconds ?? undefined,
    successfulRunsHistoryLimit: v.successfulRunsHistoryLimit,
    failedRunsHistoryLimit: v.failedRunsHistoryLimit,
    suspend: v.suspend,
  };
}

/** The API names spec fields `spec.schedule`; the form's names are the spec's own. */
function unprefixed(err: unknown): unknown {
  if (!isApiError(err) || err.fields.length === 0) return err;
  const fields = err.fields.map((f) => ({
    ...f,
    path: f.path.replace(/^spec\./, '').replace(/^resources\./, ''),
  }));
  return new ApiError(err.status, err.code, err.message, { ...err.details, fields });
}

/** Create a cron job, or edit one (sends the version read: a concurrent change is a 409). */
export function CronJobFormModal({
  project,
  env,
  job,
  onDone,
  onCancel,
}: {
  project: string;
  env: string;
  job: CronJobView | null;
  onDone: (saved: CronJobView) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const saved = useRef<CronJobView | null>(null);
  const submit = async (v: CronFormValues) => {
    try {
      const spec = specOf(v, job);
      saved.current = job
        ? await updateCronJob(project, env, job.name, { spec, version: job.version })
        : await createCronJob(project, env, { name: v.name.trim(), spec });
    } catch (err) {
      throw unprefixed(err);
    }
  };
  const required = [{ required: true, message: t('cron.form.required') }];
  return (
    <FormModal<CronFormValues>
      title={job ? t('cron.form.editTitle', { name: job.name }) : t('cron.form.createTitle')}
      okText={job ? t('cron.form.save') : t('cron.create')}
      testId="cronjob-form"
      initialValues={initialValues(job)}
      onSubmit={submit}
      onDone={() => {
        if (saved.current) onDone(saved.current);
      }}
      onCancel={onCancel}
    >
      {() => (
        <>
          {job ? null : (
            <Form.Item name="name" label={t('cron.form.name')} rules={required}>
              <Input id="cronjob-name" />
            </Form.Item>
          )}
          <Space align="start" wrap>
            <Form.Item
              name="schedule"
              label={t('cron.form.schedule')}
              rules={required}
              extra={t('cron.form.schedule.help')}
            >
              <Input id="cronjob-schedule" placeholder="*/15 * * * *" style={{ width: 260 }} />
            </Form.Item>
            <Form.Item name="timeZone" label={t('cron.form.timeZone')}>
              <Input id="cronjob-timezone" placeholder="Europe/Berlin" style={{ width: 180 }} />
            </Form.Item>
          </Space>
          <Form.Item name="image" label={t('cron.form.image')} rules={required}>
            <Input id="cronjob-image" placeholder="registry:5000/team/app:1.2" />
          </Form.Item>
          <Form.Item name="command" label={t('cron.form.command')} extra={t('cron.form.command.help')}>
            <Select id="cronjob-command" mode="tags" open={false} tokenSeparators={[]} />
          </Form.Item>
          <EnvVarsField />
          <Space align="start" wrap style={{ marginTop: 12 }}>
            <Form.Item name="concurrencyPolicy" label={t('cron.form.concurrency')}>
              <Select
                id="cronjob-concurrency"
                style={{ width: 220 }}
                options={(['allow', 'forbid', 'replace'] as const).map((p) => ({
                  value: p,
                  label: t(`cron.form.concurrency.${p}`),
                }))}
              />
            </Form.Item>
            <Form.Item name="retries" label={t('cron.form.retries')}>
              <InputNumber id="cronjob-retries" min={0} max={10} />
            </Form.Item>
            <Form.Item name="backoffSeconds" label={t('cron.form.backoff')}>
              <InputNumber id="cronjob-backoff" min={1} max={3600} />
            </Form.Item>
          </Space>
          <Space align="start" wrap>
            <Form.Item name="startingDeadlineSeconds" label={t('cron.form.startingDeadline')}>
              <InputNumber id="cronjob-starting-deadline" min={1} />
            </Form.Item>
            <Form.Item name="activeDeadlineSeconds" label={t('cron.form.activeDeadline')}>
              <InputNumber id="cronjob-active-deadline" min={1} />
            </Form.Item>
            <Form.Item name="successfulRunsHistoryLimit" label={t('cron.form.keepSucceeded')}>
              <InputNumber min={0} max={100} />
            </Form.Item>
            <Form.Item name="failedRunsHistoryLimit" label={t('cron.form.keepFailed')}>
              <InputNumber min={0} max={100} />
            </Form.Item>
          </Space>
          <Space align="start" wrap>
            <Form.Item name="cpu" label={t('cron.form.cpu')}>
              <InputNumber min={0.01} max={64} step={0.1} />
            </Form.Item>
            <Form.Item name="memoryMiB" label={t('cron.form.memory')}>
              <InputNumber min={6} />
            </Form.Item>
            <Form.Item name="suspend" label={t('cron.form.suspend')} valuePropName="checked">
              <Switch id="cronjob-suspend" />
            </Form.Item>
          </Space>
        </>
      )}
    </FormModal>
  );
}
