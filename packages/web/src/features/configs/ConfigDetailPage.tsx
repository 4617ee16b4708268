import { useEffect, useState } from 'react';
import {
  Alert,
  App,
  Button,
  Card,
  Empty,
  Input,
  Popconfirm,
  Space,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { ConfigFileChange, ConfigUse, ConfigVersion } from '@berth/shared';
import { ErrorState, errorText } from '../../components/ErrorState';
import { useI18n, type Translate } from '../../i18n/I18nProvider';
import {
  configKeys,
  configUsage,
  deleteConfig,
  getConfig,
  getVersion,
  listVersions,
  rollbackConfig,
  updateConfig,
  type ChangeResult,
} from './configs-api';
import './strings';

/** One line per consumer: what the new version did to it. */
function refreshLines(t: Translate, r: ChangeResult): string[] {
  return r.refreshed.map((x) => {
    const service = `${x.env}/${x.service}`;
    if (x.error) return t('cfg.refreshed.error', { service, error: x.error });
    if (x.refresh === 'rolling-restart')
      return t('cfg.refreshed.rolling', { service, release: x.release ?? '' });
    if (x.refresh === 'signal') return t('cfg.refreshed.signal', { service, count: x.signalled ?? 0 });
    return t('cfg.refreshed.none', { service });
  });
}

/** A file's line diff, "-" lines red and "+" lines green. */
function DiffBlock({ change }: { change: ConfigFileChange }) {
  const { t } = useI18n();
  return (
    <div style={{ marginBottom: 12 }} data-testid={`diff-${change.path}`}>
      <Space>
        <Typography.Text code>{change.path}</Typography.Text>
        <Tag color={change.change === 'added' ? 'green' : change.change === 'removed' ? 'red' : 'blue'}>
          {t(`cfg.change.${change.change}`)}
        </Tag>
      </Space>
      <pre
        className="config-diff"
        style={{ margin: '4px 0', padding: 8, background: '#fafafa', overflow: 'auto' }}
      >
        {change.diff.split('\n').map((line, i) => (
          <div
            key={i}
            style={{
              color: line.startsWith('+ ') ? '#237804' : line.startsWith('- ') ? '#a8071a' : undefined,
            }}
          >
            {line}
          </div>
        ))}
      </pre>
    </div>
  );
}

/** The files of the current version, editable; saving makes a new version. */
function FilesTab({ project, name }: { project: string; name: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const config = useQuery({
    queryKey: configKeys.one(project, name),
    queryFn: () => getConfig(project, name),
  });
  const [files, setFiles] = useState<Record<string, string> | null>(null);
  const [active, setActive] = useState<string | undefined>();
  const [newFile, setNewFile] = useState('');
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (config.data && files === null) {
      setFiles({ ...config.data.content });
      setActive(Object.keys(config.data.content)[0]);
    }
  }, [config.data, files]);
  const save = useMutation({
    mutationFn: () =>
      updateConfig(project, name, {
        files: files ?? {},
        ...(reason ? { reason } : {}),
        expectedVersion: config.data?.version,
      }),
    onSuccess: (r) => {
      setError(null);
      setReason('');
      setResult(refreshLines(t, r));
      void message.success(
        r.changed
          ? t('cfg.saved', { version: r.config.version })
          : t('cfg.unchanged', { version: r.config.version }),
      );
      void queryClient.invalidateQueries({ queryKey: ['configs', project] });
    },
    onError: (err) => setError(errorText(t, err)),
  });
  if (config.isError) return <ErrorState error={config.error} onRetry={() => void config.refetch()} />;
  if (!files) return null;
  const paths = Object.keys(files);
  return (
    <div data-testid="config-files">
      <Space style={{ marginBottom: 8 }}>
        <Input
          id="config-new-file"
          placeholder={t('cfg.file.name')}
          value={newFile}
          onChange={(e) => setNewFile(e.target.value)}
          style={{ width: 320 }}
        />
        <Button
          data-testid="config-add-file"
          disabled={!newFile.trim() || newFile.trim() in files}
          onClick={() => {
            const p = newFile.trim();
            setFiles({ ...files, [p]: '' });
            setActive(p);
            setNewFile('');
          }}
        >
          {t('cfg.file.add')}
        </Button>
      </Space>
      {paths.length === 0 ? (
        <Empty description={t('cfg.file.none')} />
      ) : (
        <Tabs
          type="editable-card"
          hideAdd
          activeKey={active}
          onChange={setActive}
          onEdit={(key, action) => {
            if (action !== 'remove' || typeof key !== 'string') return;
            const next = { ...files };
            delete next[key];
            setFiles(next);
            setActive(Object.keys(next)[0]);
          }}
          items={paths.map((p) => ({
            key: p,
            label: <span data-testid={`config-file-tab-${p}`}>{p}</span>,
            children: (
              <Input.TextArea
                data-testid={`config-file-${p}`}
                value={files[p]}
                rows={14}
                spellCheck={false}
                style={{ fontFamily: 'monospace' }}
                onChange={(e) => setFiles({ ...files, [p]: e.target.value })}
              />
            ),
          }))}
        />
      )}
      <Space style={{ marginTop: 8 }} wrap>
        <Input
          id="config-reason"
          placeholder={t('cfg.field.reason')}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          style={{ width: 360 }}
        />
        <Button
          type="primary"
          loading={save.isPending}
          onClick={() => save.mutate()}
          data-testid="config-save"
        >
          {t('cfg.save')}
        </Button>
      </Space>
      {error ? (
        <Alert type="error" showIcon title={error} style={{ marginTop: 8 }} data-testid="config-error" />
      ) : null}
      {result?.length ? (
        <Alert
          type="success"
          style={{ marginTop: 8 }}
          data-testid="config-refreshed"
          title={result.map((l) => (
            <div key={l}>{l}</div>
          ))}
        />
      ) : null}
    </div>
  );
}

function VersionsTab({ project, name }: { project: string; name: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const versions = useQuery({
    queryKey: configKeys.versions(project, name),
    queryFn: () => listVersions(project, name),
  });
  const [shown, setShown] = useState<number | null>(null);
  const diff = useQuery({
    queryKey: configKeys.version(project, name, shown ?? 0),
    queryFn: () => getVersion(project, name, shown!),
    enabled: shown !== null,
  });
  const rollback = useMutation({
    mutationFn: (v: number) => rollbackConfig(project, name, v),
    onSuccess: (r, v) => {
      void message.success(t('cfg.version.rolledBackTo', { version: r.config.version, from: v }));
      for (const l of refreshLines(t, r)) void message.info(l);
      void queryClient.invalidateQueries({ queryKey: ['configs', project] });
    },
    onError: (err) => void message.error(errorText(t, err)),
  });
  if (versions.isError) return <ErrorState error={versions.error} onRetry={() => void versions.refetch()} />;
  const current = versions.data?.[0]?.number;
  return (
    <div data-testid="config-versions">
      <Table<ConfigVersion>
        rowKey="number"
        size="small"
        pagination={false}
        loading={versions.isPending}
        dataSource={versions.data ?? []}
        columns={[
          {
            title: t('cfg.col.version'),
            render: (_v, v) => (
              <Space>
                {v.number}
                {v.number === current ? <Tag color="green">{t('cfg.version.current')}</Tag> : null}
              </Space>
            ),
          },
          {
            title: t('cfg.col.updated'),
            render: (_v, v) =>
              t('cfg.by', { when: new Date(v.createdAt).toLocaleString(), who: v.createdBy }),
          },
          {
            title: t('cfg.version.changes'),
            render: (_v, v) => v.changes.map((c) => `${t(`cfg.change.${c.change}`)} ${c.path}`).join(', '),
          },
          {
            title: t('cfg.version.reason'),
            render: (_v, v) => (
              <>
                {v.reason}
                {v.rolledBackFrom ? (
                  <Tag style={{ marginLeft: 4 }}>
                    {t('cfg.version.rolledBack', { version: v.rolledBackFrom })}
                  </Tag>
                ) : null}
              </>
            ),
          },
          {
            title: '',
            render: (_v, v) => (
              <Space>
                <Button
                  size="small"
                  onClick={() => setShown(v.number)}
                  data-testid={`config-diff-${v.number}`}
                >
                  {t('cfg.version.show')}
                </Button>
                {v.number !== current ? (
                  <Popconfirm
                    title={t('cfg.version.rollback.confirm', { version: v.number })}
                    onConfirm={() => rollback.mutate(v.number)}
                    okButtonProps={{ ...{ 'data-testid': 'config-rollback-ok' } }}
                  >
                    <Button size="small" data-testid={`config-rollback-${v.number}`}>
                      {t('cfg.version.rollback')}
                    </Button>
                  </Popconfirm>
                ) : null}
              </Space>
            ),
          },
        ]}
      />
      {shown !== null && diff.data ? (
        <Card
          size="small"
          style={{ marginTop: 12 }}
          title={t('cfg.diff.title', { version: shown })}
          data-testid="config-diff"
        >
          {diff.data.changes.length === 0 ? t('cfg.diff.none') : null}
          {diff.data.changes.map((c) => (
            <DiffBlock key={c.path} change={c} />
          ))}
        </Card>
      ) : null}
    </div>
  );
}

function UsageTab({ project, env, name }: { project: string; env: string; name: string }) {
  const { t } = useI18n();
  const usage = useQuery({
    queryKey: configKeys.usage(project, name),
    queryFn: () => configUsage(project, name),
  });
  if (usage.isError) return <ErrorState error={usage.error} onRetry={() => void usage.refetch()} />;
  return (
    <Table<ConfigUse>
      data-testid="config-usage"
      rowKey={(u) => `${u.env}/${u.service}/${u.release}/${u.path}`}
      size="small"
      pagination={false}
      loading={usage.isPending}
      dataSource={usage.data?.uses ?? []}
      locale={{ emptyText: t('cfg.usage.empty') }}
      columns={[
        {
          title: t('cfg.usage.service'),
          render: (_v, u) => (
            <Link to={`/p/${project}/${u.env}/s/${u.service}/overview`}>
              {u.env === env ? u.service : `${u.env}/${u.service}`}
            </Link>
          ),
        },
        {
          title: t('cfg.usage.release'),
          render: (_v, u) => (
            <Space>
              {u.release}
              {u.current ? <Tag color="green">{t('cfg.usage.current')}</Tag> : null}
            </Space>
          ),
        },
        {
          title: t('cfg.usage.version'),
          render: (_v, u) => (
            <Space>
              {u.version}
              {u.pinned ? <Tag>{t('cfg.usage.pinned')}</Tag> : null}
            </Space>
          ),
        },
        { title: t('cfg.usage.path'), render: (_v, u) => <Typography.Text code>{u.path}</Typography.Text> },
        { title: t('cfg.usage.refresh'), dataIndex: 'refresh' },
      ]}
    />
  );
}

/** One config: its files (edit = a new version), its versions with diffs and rollback, its usage; delete. */
export function ConfigDetailPage() {
  const { project = '', env = '', config = '', tab = 'files' } = useParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const summary = useQuery({
    queryKey: configKeys.one(project, config),
    queryFn: () => getConfig(project, config),
  });
  const remove = useMutation({
    mutationFn: () => deleteConfig(project, config),
    onSuccess: () => {
      void message.success(t('cfg.deleted', { name: config }));
      void queryClient.invalidateQueries({ queryKey: configKeys.list(project) });
      void navigate(`/p/${project}/${env}/configs`);
    },
    onError: (err) => setDeleteError(errorText(t, err)),
  });
  if (summary.isError) return <ErrorState error={summary.error} onRetry={() => void summary.refetch()} />;
  const basePath = `/p/${project}/${env}/configs/${config}`;
  return (
    <div className="page" data-testid="config-page">
      <div className="page-head">
        <Typography.Title level={3}>
          <Link to={`/p/${project}/${env}/configs`}>{t('cfg.title')}</Link> / {config}
          {summary.data ? (
            <Tag style={{ marginLeft: 8 }} data-testid="config-version">
              v{summary.data.version}
            </Tag>
          ) : null}
        </Typography.Title>
        <Popconfirm
          title={t('cfg.delete.confirm', { name: config })}
          onConfirm={() => remove.mutate()}
          okButtonProps={{ ...{ 'data-testid': 'config-delete-ok' } }}
        >
          <Button danger data-testid="config-delete">
            {t('cfg.delete')}
          </Button>
        </Popconfirm>
      </div>
      {summary.data?.description ? (
        <Typography.Paragraph>{summary.data.description}</Typography.Paragraph>
      ) : null}
      {deleteError ? (
        <Alert
          type="error"
          showIcon
          closable
          onClose={() => setDeleteError(null)}
          title={deleteError}
          style={{ marginBottom: 12 }}
          data-testid="config-delete-error"
        />
      ) : null}
      <Tabs
        activeKey={tab}
        onChange={(k) => void navigate(`${basePath}/${k}`)}
        items={[
          { key: 'files', label: t('cfg.tab.files'), children: <FilesTab project={project} name={config} /> },
          {
            key: 'versions',
            label: <span data-testid="config-tab-versions">{t('cfg.tab.versions')}</span>,
            children: <VersionsTab project={project} name={config} />,
          },
          {
            key: 'usage',
            label: <span data-testid="config-tab-usage">{t('cfg.tab.usage')}</span>,
            children: <UsageTab project={project} env={env} name={config} />,
          },
        ]}
      />
    </div>
  );
}
