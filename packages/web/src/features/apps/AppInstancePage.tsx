import { useEffect, useState } from 'react';
import {
  Alert,
  App as AntApp,
  Button,
  Card,
  Descriptions,
  Input,
  Modal,
  Radio,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import type { AppInstanceDetail, AppInstanceMember } from '@berth/shared';
import { ErrorState, errorText } from '../../components/ErrorState';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { appKeys, deleteInstance, getInstance } from './apps-api';
import { connectionLines, membersReady, paramText, stateColors } from './app-view';
import { AppUpgrade } from './AppUpgrade';
import { AppPreparing } from './AppPreparing';
import { AppBackups } from './AppBackups';
import { AppConfigLinks, AppRotatePassword } from './AppRotatePassword';
import './strings';

/** Copies `text`, saying whether the browser allowed it. */
function useCopy() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  return (text: string) =>
    void (navigator.clipboard?.writeText(text) ?? Promise.reject(new Error('no clipboard')))
      .then(() => message.success(t('apps.copied')))
      .catch(() => message.error(t('apps.copyFailed')));
}

/** The password of a new instance, this one time, with Copy (Berth keeps it sealed afterwards). */
function PasswordOnceModal(props: { name: string; password: string; onClose: () => void }) {
  const { t } = useI18n();
  const copy = useCopy();
  return (
    <Modal
      open
      title={t('apps.password.title', { name: props.name })}
      onCancel={props.onClose}
      data-testid="app-password-once"
      footer={
        <Button type="primary" onClick={props.onClose} data-testid="app-password-done">
          {t('apps.password.done')}
        </Button>
      }
    >
      <Alert type="warning" showIcon title={t('apps.password.once')} style={{ marginBottom: 12 }} />
      <Space.Compact style={{ width: '100%' }}>
        <Input
          readOnly
          value={props.password}
          data-testid="app-password-value"
          aria-label={t('apps.password.label')}
          translate="no"
        />
        <Button onClick={() => copy(props.password)} data-testid="app-password-copy">
          {t('apps.copy')}
        </Button>
      </Space.Compact>
    </Modal>
  );
}

/** Host, port, user, URI (and the password when the page has it), each with Copy. */
function ConnectionCard({ instance, password }: { instance: AppInstanceDetail; password: string | null }) {
  const { t } = useI18n();
  const { project, env, name } = instance;
  const copy = useCopy();
  const [reveal, setReveal] = useState(false);
  const revealed = useQuery({
    queryKey: [...appKeys.instance(project, env, name), 'reveal'],
    queryFn: () => getInstance(project, env, name, true),
    enabled: reveal,
    staleTime: Infinity,
  });
  const conn = instance.connection;
  const secret = password ?? revealed.data?.connection.password ?? null;
  return (
    <Card size="small" title={t('apps.conn.title')} style={{ marginTop: 16 }} data-testid="app-connection">
      <table className="app-connection-table">
        <tbody>
          {connectionLines(conn, secret).map((line) => (
            <tr key={line.id} data-testid={`app-conn-${line.id}`}>
              <th style={{ textAlign: 'left', paddingRight: 16, fontWeight: 500, whiteSpace: 'nowrap' }}>
                {t(line.label)}
              </th>
              <td style={{ padding: '4px 8px 4px 0', wordBreak: 'break-all' }}>
                {line.value === null ? (
                  <Typography.Text type="secondary">{line.note ? t(line.note) : '—'}</Typography.Text>
                ) : (
                  <Typography.Text code translate="no" data-testid={`app-conn-${line.id}-value`}>
                    {line.value}
                  </Typography.Text>
                )}
              </td>
              <td>
                {line.value !== null ? (
                  <Button
                    size="small"
                    onClick={() => copy(line.value!)}
                    data-testid={`app-conn-${line.id}-copy`}
                    aria-label={`${t('apps.copy')} ${t(line.label)}`}
                  >
                    {t('apps.copy')}
                  </Button>
                ) : null}
              </td>
            </tr>
          ))}
          {secret === null ? (
            <tr data-testid="app-conn-password">
              <th style={{ textAlign: 'left', paddingRight: 16, fontWeight: 500 }}>
                {t('apps.conn.password')}
              </th>
              <td colSpan={2}>
                {conn.passwordReadable ? (
                  <Button
                    size="small"
                    loading={revealed.isFetching}
                    onClick={() => setReveal(true)}
                    data-testid="app-conn-password-reveal"
                  >
                    {t('apps.conn.password.reveal')}
                  </Button>
                ) : (
                  <Typography.Text type="secondary">{t('apps.conn.password.hidden')}</Typography.Text>
                )}
                {revealed.isError ? (
                  <Typography.Text type="danger"> {errorText(t, revealed.error)}</Typography.Text>
                ) : null}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </Card>
  );
}

/** Delete, asking first what happens to the volumes (no default: the user picks). */
function DeleteModal(props: { instance: AppInstanceDetail; onClose: () => void }) {
  const { project, env, name, volumes, members } = props.instance;
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [keep, setKeep] = useState<boolean | null>(volumes.length === 0 ? true : null);
  const remove = useMutation({
    mutationFn: (keepVolumes: boolean) => deleteInstance(project, env, name, keepVolumes),
    onSuccess: (r) => {
      // Gone: no query may ask for it again (a 404 in the console).
      queryClient.removeQueries({ queryKey: appKeys.instance(project, env, name) });
      void queryClient.invalidateQueries({ queryKey: appKeys.list(project, env) });
      void message.success(
        r.volumesKept.length
          ? t('apps.deleted.kept', { name, volumes: r.volumesKept.join(', ') })
          : t('apps.deleted', { name }),
      );
      void navigate(`/p/${project}/${env}/apps`);
    },
  });
  return (
    <Modal
      open
      title={t('apps.delete.title', { name })}
      okText={t('apps.delete.ok')}
      cancelText={t('common.cancel')}
      okButtonProps={{
        danger: true,
        disabled: keep === null,
        loading: remove.isPending,
        ...{ 'data-testid': 'app-delete-ok' },
      }}
      onOk={() => keep !== null && remove.mutate(keep)}
      onCancel={props.onClose}
      data-testid="app-delete-modal"
    >
      <Typography.Paragraph>
        {t('apps.delete.services', { services: members.map((m) => m.service).join(', ') })}
      </Typography.Paragraph>
      {volumes.length > 0 ? (
        <>
          <Typography.Paragraph>
            {t('apps.delete.volumesQuestion', { volumes: volumes.join(', ') })}
          </Typography.Paragraph>
          <Radio.Group
            value={keep}
            onChange={(e) => setKeep(e.target.value as boolean)}
            style={{ display: 'flex', flexDirection: 'column', gap: 8 }}
          >
            <Radio value={true} data-testid="app-delete-keep">
              {t('apps.delete.keep')}
            </Radio>
            <Radio value={false} data-testid="app-delete-drop">
              {t('apps.delete.drop')}
            </Radio>
          </Radio.Group>
          {keep === null ? (
            <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
              {t('apps.delete.choose')}
            </Typography.Paragraph>
          ) : null}
        </>
      ) : null}
      {remove.isError ? (
        <Alert type="error" showIcon title={errorText(t, remove.error)} style={{ marginTop: 12 }} />
      ) : null}
    </Modal>
  );
}

/** An app instance: state, members (linking to their services), connection info; delete. */
export function AppInstancePage() {
  const { project = '', env = '', name = '' } = useParams();
  const { t } = useI18n();
  const [deleting, setDeleting] = useState(false);
  const location = useLocation();
  const navigate = useNavigate();
  // The password the install answered, handed over in the history state: the page keeps it while
  // it is open (the connection card's password lines) and takes it out of the history at once, so
  // neither a reload nor Back shows it again.
  const [initial] = useState<string | null>(() => {
    const s = location.state as { password?: unknown } | null;
    return typeof s?.password === 'string' ? s.password : null;
  });
  const [onceOpen, setOnceOpen] = useState(initial !== null);
  useEffect(() => {
    if ((location.state as { password?: unknown } | null)?.password !== undefined)
      void navigate(location.pathname, { replace: true, state: null });
  }, [location.pathname, location.state, navigate]);
  const instance = useQuery({
    queryKey: appKeys.instance(project, env, name),
    queryFn: () => getInstance(project, env, name),
    // Until every member is ready, follow it.
    refetchInterval: (q) => (q.state.data && q.state.data.state === 'running' ? false : 3000),
  });
  if (instance.isError) return <ErrorState error={instance.error} onRetry={() => void instance.refetch()} />;
  const i = instance.data;
  return (
    <div className="page" data-testid="app-instance-page">
      <Link to={`/p/${project}/${env}/apps`}>{t('apps.instance.back')}</Link>
      <Space style={{ display: 'flex', justifyContent: 'space-between', marginTop: 8 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t('apps.instance.title', { name })}
        </Typography.Title>
        {i ? (
          <Space>
            <Tag color={stateColors[i.state]} data-testid="app-instance-state" data-state={i.state}>
              {t(`apps.state.${i.state}`)}
            </Tag>
            <AppRotatePassword instance={i} />
            <Button danger onClick={() => setDeleting(true)} data-testid="app-delete">
              {t('apps.delete')}
            </Button>
          </Space>
        ) : null}
      </Space>
      {i ? (
        <>
          <Descriptions size="small" column={{ xs: 1, md: 2 }} style={{ marginTop: 16 }}>
            <Descriptions.Item label={t('apps.instance.app')}>
              <Link to={`/apps?project=${encodeURIComponent(project)}&env=${encodeURIComponent(env)}`}>
                {i.app}
              </Link>{' '}
              {i.version}
            </Descriptions.Item>
            <Descriptions.Item label={t('apps.col.created')}>
              <TimeText at={i.createdAt} /> · {t('apps.instance.createdBy', { user: i.createdBy })}
            </Descriptions.Item>
            <Descriptions.Item label={t('apps.instance.params')}>
              <span data-testid="app-instance-params" translate="no">
                {Object.entries(i.params)
                  .map(([k, v]) => `${k}=${paramText(v)}`)
                  .join(', ')}
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t('apps.instance.volumes')}>
              {i.volumes.length ? i.volumes.join(', ') : t('apps.instance.noVolumes')}
            </Descriptions.Item>
            <Descriptions.Item label={t('apps.instance.configs')}>
              <AppConfigLinks instance={i} />
            </Descriptions.Item>
          </Descriptions>
          <Card
            size="small"
            title={`${t('apps.members.title')} · ${membersReady(i.members)}`}
            style={{ marginTop: 16 }}
          >
            <Table<AppInstanceMember>
              rowKey="service"
              size="small"
              pagination={false}
              dataSource={i.members}
              data-testid="app-members"
              columns={[
                {
                  title: t('apps.members.service'),
                  render: (_v, m) => (
                    <Link to={`/p/${project}/${env}/s/${m.service}`} data-testid={`app-member-${m.service}`}>
                      {m.service}
                    </Link>
                  ),
                },
                {
                  title: t('apps.members.ready'),
                  render: (_v, m) => (
                    <span data-testid={`app-member-ready-${m.service}`}>
                      {m.ready}/{m.desired}
                    </span>
                  ),
                },
                {
                  title: t('apps.members.status'),
                  render: (_v, m) =>
                    ['healthy', 'progressing', 'degraded', 'stopped', 'failed'].includes(m.status) ? (
                      t(`status.${m.status as 'healthy'}`)
                    ) : (
                      <span translate="no">{m.status}</span>
                    ),
                },
              ]}
            />
          </Card>
          <AppPreparing instance={i} />
          <ConnectionCard instance={i} password={initial} />
          <AppUpgrade project={project} env={env} instance={i} />
          <AppBackups instance={i} />
          {deleting ? <DeleteModal instance={i} onClose={() => setDeleting(false)} /> : null}
        </>
      ) : null}
      {onceOpen && initial !== null ? (
        <PasswordOnceModal name={name} password={initial} onClose={() => setOnceOpen(false)} />
      ) : null}
    </div>
  );
}
