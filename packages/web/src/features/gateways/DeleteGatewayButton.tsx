import { App, Button, Popconfirm } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { deleteGateway } from './gateways-api';

/** Deletes a gateway after a confirmation; the API refuses while its env still has routes. */
export function DeleteGatewayButton({ gateway }: { gateway: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => deleteGateway(gateway),
    onSuccess: async () => {
      void message.success(t('gateways.delete.done', { gateway }));
      await queryClient.invalidateQueries({ queryKey: ['gateways'] });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  return (
    <Popconfirm
      title={t('gateways.delete.confirm', { gateway })}
      okText={t('routes.delete')}
      okButtonProps={{ danger: true }}
      cancelText={t('common.cancel')}
      onConfirm={() => remove.mutate()}
    >
      <Button size="small" danger loading={remove.isPending} data-testid={`delete-gateway-${gateway}`}>
        {t('routes.delete')}
      </Button>
    </Popconfirm>
  );
}
