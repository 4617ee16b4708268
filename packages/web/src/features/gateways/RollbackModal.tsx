import { useState } from 'react';
import { App, Input, Modal, Typography } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { GatewayVersion } from '@berth/shared';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { gatewayKey, rollbackTo } from './gateways-api';

/**
 * Confirms a rollback and asks why. The server re-applies that version's routes with today's
 * endpoints; the result is a new version, so the list grows by one.
 */
export function RollbackModal({
  gateway,
  target,
  onClose,
}: {
  gateway: string;
  target: GatewayVersion | null;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const rollback = useMutation({
    mutationFn: (n: number) => rollbackTo(gateway, n, reason.trim() || undefined),
    onSuccess: async (r) => {
      void message.success(
        r.gatewayVersion
          ? t('gateways.rollback.done', { version: r.gatewayVersion.number })
          : t('gateways.rollback.same'),
      );
      setReason('');
      onClose();
      await queryClient.invalidateQueries({ queryKey: gatewayKey(gateway) });
      await queryClient.invalidateQueries({ queryKey: ['gateways'] });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  return (
    <Modal
      open={target !== null}
      title={target ? t('gateways.rollback.title', { version: target.number }) : ''}
      okText={t('gateways.rollback')}
      okButtonProps={{ danger: true, loading: rollback.isPending, id: 'rollback-confirm' }}
      cancelText={t('common.cancel')}
      onCancel={onClose}
      onOk={() => target && rollback.mutate(target.number)}
      destroyOnHidden
    >
      <Typography.Paragraph>
        {t('gateways.rollback.explain', { version: target?.number ?? '' })}
      </Typography.Paragraph>
      <Typography.Text strong>{t('gateways.rollback.reason')}</Typography.Text>
      <Input.TextArea
        id="rollback-reason"
        rows={2}
        maxLength={500}
        value={reason}
        placeholder={t('gateways.rollback.reason.placeholder')}
        onChange={(e) => setReason(e.target.value)}
        style={{ marginTop: 4 }}
      />
    </Modal>
  );
}
