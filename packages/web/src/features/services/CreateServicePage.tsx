import { useState } from 'react';
import { App, Form, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { createService } from '../../api/resources';
import { useI18n } from '../../i18n/I18nProvider';
import { useTaskCenter } from '../tasks/TaskCenter';
import { placeApiErrors } from './form-errors';
import { ServiceForm } from './ServiceForm';
import { emptyServiceForm, toCreateRequest, type ServiceFormValues } from './service-form';

/**
 * Creates a service. The API is the validator: its field errors are put on the fields they name;
 * the rest are listed above the form. On success the service page opens with the rollout task.
 */
export function CreateServicePage() {
  const { project = '', env = '' } = useParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<ServiceFormValues>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const tasks = useTaskCenter();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[] | null>(null);

  const submit = async (values: ServiceFormValues) => {
    setBusy(true);
    setErrors(null);
    try {
      const created = await createService(project, env, toCreateRequest(values));
      await queryClient.invalidateQueries({ queryKey: ['services', project, env] });
      if (created.task) tasks.track(created.task);
      void message.success(t('create.created', { name: created.service.name }));
      void navigate(`/p/${project}/${env}/s/${created.service.name}/overview`);
    } catch (err) {
      setErrors(placeApiErrors(form, err, t, t('create.fixErrors')));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="page-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('create.title')} · {project} / {env}
        </Typography.Title>
        <Link to={`/p/${project}/${env}`}>{t('detail.back')}</Link>
      </div>
      <ServiceForm
        form={form}
        mode="create"
        initialValues={{ ...emptyServiceForm, ports: [{ containerPort: null }] }}
        onFinish={(v) => void submit(v)}
        submitting={busy}
        submitText={t('create.submit')}
        errors={errors}
        placement={{ project, env }}
      />
    </>
  );
}
