import { useState } from 'react';
import { App, Button, Card, Input, Modal, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import type { ServiceRef } from '../../api/paths';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { deleteService } from '../services/service-api';
import { useTaskCenter } from '../tasks/TaskCenter';

/** Deleting a service, confirmed by typing its name; the deletion is a task, shown in the drawer. */
export function DeleteServiceCard({ serviceRef }: { serviceRef: ServiceRef }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const tasks = useTaskCenter();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const name = serviceRef.service;

  const remove = async () => {
    setBusy(true);
    try {
      const result = await deleteService(serviceRef);
      // The page polls the service, which is going away: leave the page first (its polls end
      // with it), then drop what was fetched, so nothing asks for the deleted service again.
      void navigate(`/p/${serviceRef.project}/${serviceRef.env}`);
      const key = ['service', serviceRef.project, serviceRef.env, serviceRef.service];
      await queryClient.cancelQueries({ queryKey: key });
      queryClient.removeQueries({ queryKey: key });
      if (result.task) tasks.track(result.task);
      void message.success(t('svc.delete.started', { name }));
      void queryClient.invalidateQueries({ queryKey: ['services', serviceRef.project, serviceRef.env] });
    } catch (err) {
      void message.error(errorText(t, err));
      setBusy(false);
    }
  };

  return (
    <Card size="small" title={t('svc.delete.title')} className="danger-card">
      <Typography.Paragraph>{t('svc.delete.explain')}</Typography.Paragraph>
      <Button danger onClick={() => setOpen(true)} data-testid="delete-service">
        {t('svc.delete.button')}
      </Button>
      <Modal
        open={open}
        title={t('svc.delete.confirmTitle', { name })}
        okText={t('svc.delete.button')}
        cancelText={t('common.cancel')}
        okButtonProps={{ danger: true, disabled: typed !== name, loading: busy }}
        onOk={() => void remove()}
        onCancel={() => {
          setOpen(false);
          setTyped('');
        }}
      >
        <Typography.Paragraph>{t('svc.delete.typeName', { name })}</Typography.Paragraph>
        <Input
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          placeholder={name}
          aria-label={t('svc.delete.typeName', { name })}
          data-testid="delete-confirm-name"
        />
      </Modal>
    </Card>
  );
}
