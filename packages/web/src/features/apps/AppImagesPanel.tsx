import { useCallback, useState } from 'react';
import { Alert, App as AntApp, Button, Card, Table, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AppImageState, AppImageStatus, AppImagesView, Task } from '@berth/shared';
import { api } from '../../api/client';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { isPlatformAdmin } from '../admin/admin-access';
import { useMe } from '../auth/session';
import { TaskCard } from '../tasks/TaskCard';
import './strings';

const imagesKey = ['app-images'] as const;
const stateColors: Record<AppImageState, string> = {
  registry: 'success',
  local: 'warning',
  missing: 'error',
  building: 'processing',
};

/**
 * The App store page's images section (docs/apps.md "Images"), for platform admins only: where
 * each catalog image is (registry, local store, missing, building), a "Build images" button and
 * the build task's progress and log.
 */
export function AppImagesPanel() {
  const me = useMe().data;
  return me && isPlatformAdmin(me) ? <ImagesCard /> : null;
}

function ImagesCard() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const queryClient = useQueryClient();
  const [followed, setFollowed] = useState<string | null>(null);
  const images = useQuery({
    queryKey: imagesKey,
    queryFn: () => api<AppImagesView>('/api/v1/apps/images'),
    // while a build runs its rows change state: read again until it ends
    refetchInterval: (q) => (q.state.data?.buildTask ? 3000 : false),
  });
  const build = useMutation({
    mutationFn: () => api<Task>('/api/v1/apps/images/build', { method: 'POST', body: {} }),
    onSuccess: (task) => {
      setFollowed(task.id);
      void message.success(t('apps.images.started', { task: task.id }));
      void queryClient.invalidateQueries({ queryKey: imagesKey });
    },
  });
  const task = followed ?? images.data?.buildTask ?? null;
  // stable: TaskCard calls onFinished from an effect that depends on it
  const onFinished = useCallback(
    () => void queryClient.invalidateQueries({ queryKey: imagesKey }),
    [queryClient],
  );
  const onDismiss = useCallback(() => setFollowed(null), []);
  return (
    <Card
      size="small"
      title={t('apps.images.title')}
      style={{ marginBottom: 16 }}
      data-testid="app-images"
      extra={
        <Button
          size="small"
          loading={build.isPending}
          disabled={Boolean(images.data?.buildTask)}
          onClick={() => build.mutate()}
          data-testid="app-images-build"
        >
          {t('apps.images.build')}
        </Button>
      }
    >
      <Typography.Paragraph type="secondary">{t('apps.images.help')}</Typography.Paragraph>
      {build.isError ? <Alert type="error" showIcon title={errorText(t, build.error)} /> : null}
      {images.isError ? <Alert type="error" showIcon title={errorText(t, images.error)} /> : null}
      <Table<AppImageStatus>
        size="small"
        rowKey="name"
        pagination={false}
        loading={images.isPending}
        dataSource={images.data?.items ?? []}
        columns={[
          {
            title: t('apps.images.image'),
            dataIndex: 'name',
            render: (v: string) => <span translate="no">{v}</span>,
          },
          {
            title: t('apps.images.apps'),
            // the catalog's app names (redis, mariadb): names, not words to translate
            render: (_v, r) => <span translate="no">{r.apps.join(', ')}</span>,
          },
          {
            title: t('apps.images.state'),
            render: (_v, r) => (
              <Tag color={stateColors[r.state]} data-testid={`app-image-state-${r.name}`}>
                {t(`apps.images.state.${r.state}`)}
              </Tag>
            ),
          },
          {
            title: t('apps.images.where'),
            render: (_v, r) => (
              <Typography.Text code translate="no">
                {r.state === 'registry' ? r.registryImage : r.localImage}
              </Typography.Text>
            ),
          },
          {
            title: t('apps.images.digest'),
            render: (_v, r) => (r.digest ? <span title={r.digest}>{r.digest.slice(7, 19)}</span> : '—'),
          },
        ]}
      />
      {task ? (
        <div style={{ marginTop: 12 }}>
          <TaskCard key={task} id={task} onDismiss={onDismiss} onFinished={onFinished} />
        </div>
      ) : null}
    </Card>
  );
}
