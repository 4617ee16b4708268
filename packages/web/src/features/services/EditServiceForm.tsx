import { useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Form } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import type { Service, ServiceSpecInput } from '@berth/shared';
import { isApiError } from '../../api/errors';
import type { ServiceRef } from '../../api/paths';
import { getService } from '../../api/resources';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { useTaskCenter } from '../tasks/TaskCenter';
import { placeApiErrors } from './form-errors';
import { ServiceForm } from './ServiceForm';
import { fromSpec, toSpec, type ServiceFormValues } from './service-form';
import { updateService } from './service-api';
import { diffSpecs, type SpecDiff } from './spec-diff';
import { SpecDiffModal } from './SpecDiffModal';

interface Base {
  spec: ServiceSpecInput;
  version: number;
}

/**
 * Edits a service: the create form, filled from the spec as it was when the form opened. Deploy
 * first shows what changes; confirming PUTs the spec with that version, so a change made
 * meanwhile by someone else is a conflict to reload, never silently overwritten.
 */
export function EditServiceForm({ service, serviceRef }: { service: Service; serviceRef: ServiceRef }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const tasks = useTaskCenter();
  const [form] = Form.useForm<ServiceFormValues>();
  const [base, setBase] = useState<Base>(() => ({ spec: service.spec, version: service.version }));
  const [pending, setPending] = useState<{ spec: ServiceSpecInput; diff: SpecDiff } | null>(null);
  const [deploying, setDeploying] = useState(false);
  const [errors, setErrors] = useState<string[] | null>(null);
  const [conflict, setConflict] = useState(false);
  // A new base (after a deploy or a reload) refills the form from it; the first one is the initial fill.
  const filled = useRef(base);
  useEffect(() => {
    if (filled.current === base) return;
    filled.current = base;
    form.resetFields();
  }, [base, form]);

  const restart = (latest: Service) => {
    setBase({ spec: latest.spec, version: latest.version });
    setConflict(false);
    setErrors(null);
  };
  const reload = async () => {
    try {
      restart(await getService(serviceRef));
    } catch (err) {
      setErrors([errorText(t, err)]);
    }
  };
  const preview = (values: ServiceFormValues) => {
    const spec = toSpec(values, base.spec);
    setPending({ spec, diff: diffSpecs(base.spec, spec) });
  };
  const deploy = async (reason: string) => {
    if (!pending) return;
    setDeploying(true);
    try {
      const result = await updateService(serviceRef, {
        spec: pending.spec,
        version: base.version,
        ...(reason ? { reason } : {}),
      });
      if (result.task) tasks.track(result.task);
      void message.success(t('svc.edit.deployed', { name: service.name }));
      void queryClient.invalidateQueries({ queryKey: ['service'] });
      restart(result.service);
    } catch (err) {
      if (isApiError(err) && err.status === 409) setConflict(true);
      else setErrors(placeApiErrors(form, err, t, t('svc.edit.fixErrors')));
    } finally {
      setDeploying(false);
      setPending(null);
    }
  };

  return (
    <>
      {conflict ? (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="edit-conflict"
          title={t('svc.edit.conflict')}
          action={
            <Button onClick={() => void reload()} data-testid="edit-reload">
              {t('svc.edit.reload')}
            </Button>
          }
        />
      ) : null}
      <ServiceForm
        form={form}
        mode="edit"
        initialValues={fromSpec(service.name, base.spec)}
        onFinish={preview}
        submitting={deploying}
        submitText={t('svc.edit.review')}
        errors={errors}
        placement={{
          project: serviceRef.project,
          env: serviceRef.env,
          service: { name: service.name, placement: base.spec.placement },
        }}
      />
      {pending ? (
        <SpecDiffModal
          diff={pending.diff}
          deploying={deploying}
          onConfirm={(reason) => void deploy(reason)}
          onCancel={() => setPending(null)}
        />
      ) : null}
    </>
  );
}
