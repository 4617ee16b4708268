import { App, Button, Popconfirm } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Route } from '@berth/shared';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { deleteRoute, routesKey } from './routes-api';

/** Deletes a route after a confirmation that names its host; sends the route's version. */
export function DeleteRouteButton({ route, onDeleted }: { route: Route; onDeleted?: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () =>
      deleteRoute({ project: route.project, env: route.env, route: route.name }, route.version),
    onSuccess: async () => {
      void message.success(t('routes.deleted', { route: route.name }));
      await queryClient.invalidateQueries({ queryKey: routesKey(route.project, route.env) });
      onDeleted?.();
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  return (
    <Popconfirm
      title={t('routes.delete.confirm', { route: route.name, host: route.spec.host })}
      okText={t('routes.delete')}
      okButtonProps={{ danger: true }}
      cancelText={t('common.cancel')}
      onConfirm={() => remove.mutate()}
    >
      <Button size="small" danger loading={remove.isPending} data-testid={`delete-route-${route.name}`}>
        {t('routes.delete')}
      </Button>
    </Popconfirm>
  );
}
