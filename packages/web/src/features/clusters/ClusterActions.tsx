import { useState } from 'react';
import { App, Button, Modal, Popconfirm, Space, Tooltip, Typography } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import { isApiError } from '../../api/errors';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { ClusterFormModal } from './ClusterFormModal';
import { clusterKeys, deleteCluster, type Cluster } from './clusters-api';
import { useClusterAction } from './useClusterAction';
import './strings';

/**
 * The admin's buttons on a cluster page: check now, edit, cordon/uncordon, drain/stop draining
 * (after saying what draining does), delete. A refused delete (CLUSTER_IN_USE, "local") goes to
 * `onRefused`, which shows the server's reason on the page rather than in a passing toast.
 */
export function ClusterActions({
  cluster,
  onRefused,
}: {
  cluster: Cluster;
  onRefused: (reason: string | null) => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const action = useClusterAction(cluster.name);
  const [editing, setEditing] = useState(false);
  const [confirmDrain, setConfirmDrain] = useState(false);
  const busy = (a: string) => action.isPending && action.variables === a;
  const containers =
    cluster.capacity?.used.containers ?? (cluster.placed ?? []).reduce((n, p) => n + p.containers, 0);

  const remove = useMutation({
    mutationFn: () => deleteCluster(cluster.name),
    onMutate: () => onRefused(null),
    onSuccess: async () => {
      void message.success(t('clusters.delete.done', { cluster: cluster.name }));
      // Leave the page first: refreshing its queries now would only ask for a cluster that is gone.
      void navigate('/clusters');
      queryClient.removeQueries({ queryKey: clusterKeys.one(cluster.name) });
      queryClient.removeQueries({ queryKey: clusterKeys.events(cluster.name) });
      await queryClient.invalidateQueries({ queryKey: clusterKeys.lists });
    },
    onError: (err) => {
      if (isApiError(err) && err.status === 409) onRefused(err.message || errorText(t, err));
      else void message.error(errorText(t, err));
    },
  });

  return (
    <Space wrap>
      <Button loading={busy('check')} onClick={() => action.mutate('check')} data-testid="cluster-check">
        {t('clusters.check')}
      </Button>
      <Button onClick={() => setEditing(true)} data-testid="cluster-edit">
        {t('clusters.edit')}
      </Button>
      {cluster.cordoned ? (
        <Button
          loading={busy('uncordon')}
          onClick={() => action.mutate('uncordon')}
          data-testid="cluster-uncordon"
        >
          {t('clusters.uncordon')}
        </Button>
      ) : (
        <Popconfirm
          title={t('clusters.cordon.confirm', { cluster: cluster.name })}
          okText={t('clusters.cordon')}
          cancelText={t('common.cancel')}
          onConfirm={() => action.mutate('cordon')}
        >
          <Button loading={busy('cordon')} data-testid="cluster-cordon">
            {t('clusters.cordon')}
          </Button>
        </Popconfirm>
      )}
      {cluster.draining ? (
        <Button
          loading={busy('undrain')}
          onClick={() => action.mutate('undrain')}
          data-testid="cluster-undrain"
        >
          {t('clusters.undrain')}
        </Button>
      ) : (
        <Button loading={busy('drain')} onClick={() => setConfirmDrain(true)} data-testid="cluster-drain">
          {t('clusters.drain')}
        </Button>
      )}
      {cluster.builtIn ? (
        <Tooltip title={t('clusters.delete.local')}>
          <Button danger disabled data-testid="cluster-delete">
            {t('clusters.delete')}
          </Button>
        </Tooltip>
      ) : (
        <Popconfirm
          title={t('clusters.delete.confirm', { cluster: cluster.name })}
          okText={t('clusters.delete')}
          okButtonProps={{ danger: true }}
          cancelText={t('common.cancel')}
          onConfirm={() => remove.mutate()}
        >
          <Button danger loading={remove.isPending} data-testid="cluster-delete">
            {t('clusters.delete')}
          </Button>
        </Popconfirm>
      )}
      <Modal
        open={confirmDrain}
        title={t('clusters.drain.title', { cluster: cluster.name })}
        okText={t('clusters.drain')}
        okButtonProps={{ danger: true, ...{ 'data-testid': 'cluster-drain-ok' } }}
        cancelText={t('common.cancel')}
        onOk={() => {
          setConfirmDrain(false);
          action.mutate('drain');
        }}
        onCancel={() => setConfirmDrain(false)}
      >
        <Typography.Paragraph data-testid="cluster-drain-text">
          {t('clusters.drain.confirm', { cluster: cluster.name, containers })}
        </Typography.Paragraph>
      </Modal>
      {editing ? <ClusterFormModal cluster={cluster} onClose={() => setEditing(false)} /> : null}
    </Space>
  );
}
