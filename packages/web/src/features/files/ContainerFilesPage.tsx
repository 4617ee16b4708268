import { useEffect, useRef, useState } from 'react';
import {
  Alert,
  Breadcrumb,
  Button,
  Card,
  Empty,
  Input,
  Space,
  Table,
  Tabs,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import type { ServiceRef } from '../../api/paths';
import { useEventStream } from '../../api/useEventStream';
import { formatBytes } from '../../components/chart-math';
import { ErrorState, InlineError } from '../../components/ErrorState';
import { formatDateTime } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import {
  collectedUrl,
  downloadUrl,
  followUrl,
  listCollected,
  listFiles,
  viewFile,
  type CollectedFile,
  type FileEntry,
} from './files-api';

/** Lines kept on the page while following; older ones are dropped. */
const maxLines = 5000;

type Shown = { path: string; mode: 'view' | 'tail' | 'follow' } | null;

/** The parent directories of a path, for the breadcrumb: "/", "/var", "/var/log". */
function crumbs(path: string): Array<{ name: string; path: string }> {
  const parts = path.split('/').filter(Boolean);
  return [
    { name: '/', path: '/' },
    ...parts.map((name, i) => ({ name, path: `/${parts.slice(0, i + 1).join('/')}` })),
  ];
}

/** A container's files (browse, view, tail, follow, download) and the log files collected from it. */
export function ContainerFilesPage() {
  const { t } = useI18n();
  const { project = '', env = '', service = '', container = '' } = useParams();
  const ref: ServiceRef = { project, env, service };
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'collected' ? 'collected' : 'browse';
  const back = `/p/${project}/${env}/s/${service}/containers`;
  return (
    <>
      <Breadcrumb
        style={{ marginBottom: 12 }}
        items={[
          { title: <Link to={back}>{service}</Link> },
          { title: <Typography.Text code>{container}</Typography.Text> },
          { title: tab === 'collected' ? t('files.tab.collected') : t('files.tab.browse') },
        ]}
      />
      <Card title={t('files.title', { name: container })}>
        <Tabs
          activeKey={tab}
          onChange={(k) => setParams(k === 'collected' ? { tab: 'collected' } : {}, { replace: true })}
          items={[
            {
              key: 'browse',
              label: t('files.tab.browse'),
              children: <Browser serviceRef={ref} container={container} />,
            },
            {
              key: 'collected',
              label: t('files.tab.collected'),
              children: <Collected serviceRef={ref} container={container} />,
            },
          ]}
        />
      </Card>
    </>
  );
}

function Browser({ serviceRef, container }: { serviceRef: ServiceRef; container: string }) {
  const { t, lang } = useI18n();
  const [params, setParams] = useSearchParams();
  const path = params.get('path') || '/';
  const [typed, setTyped] = useState(path);
  const [shown, setShown] = useState<Shown>(null);
  useEffect(() => {
    setTyped(path);
    setShown(null);
  }, [path]);
  const open = (p: string) => setParams({ path: p });
  const listing = useQuery({
    queryKey: ['files', serviceRef.project, serviceRef.env, serviceRef.service, container, path],
    queryFn: () => listFiles(serviceRef, container, path),
    retry: false,
  });
  if (listing.isError) {
    return (
      <Space direction="vertical" style={{ width: '100%' }}>
        <PathBar path={path} typed={typed} setTyped={setTyped} open={open} />
        <ErrorState error={listing.error} onRetry={() => void listing.refetch()} />
      </Space>
    );
  }
  const entry = listing.data?.entry;
  const isDir = entry?.type === 'directory';
  const rows = isDir ? (listing.data?.items ?? []) : entry ? [entry] : [];
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <PathBar path={path} typed={typed} setTyped={setTyped} open={open} />
      {listing.data?.truncated ? <Alert type="warning" showIcon title={t('files.truncated')} /> : null}
      <Space>
        <Button
          size="small"
          href={downloadUrl(serviceRef, container, path, true)}
          download
          data-testid="files-tar"
        >
          {t('files.downloadTar')}
        </Button>
      </Space>
      <Table<FileEntry>
        rowKey="path"
        size="small"
        loading={listing.isPending}
        dataSource={rows}
        pagination={false}
        data-testid="files-table"
        locale={{ emptyText: <Empty description={t('files.empty')} /> }}
        columns={[
          {
            key: 'name',
            title: t('files.name'),
            render: (_, f) =>
              f.type === 'directory' || (f.type === 'symlink' && isDir) ? (
                <Button type="link" size="small" style={{ padding: 0 }} onClick={() => open(f.path)}>
                  {`${f.name}${f.type === 'directory' ? '/' : ''}`}
                  {f.linkTarget ? ` → ${f.linkTarget}` : ''}
                </Button>
              ) : (
                <span>{f.name}</span>
              ),
          },
          {
            key: 'size',
            title: t('files.size'),
            align: 'right',
            render: (_, f) => (f.type === 'file' ? formatBytes(f.size) : ''),
          },
          {
            key: 'mode',
            title: t('files.mode'),
            render: (_, f) => <Typography.Text code>{f.mode}</Typography.Text>,
          },
          { key: 'mtime', title: t('files.modified'), render: (_, f) => formatDateTime(f.mtime, lang) },
          {
            key: 'actions',
            title: '',
            render: (_, f) =>
              f.type === 'file' ? (
                <Space size={4}>
                  <Button size="small" onClick={() => setShown({ path: f.path, mode: 'view' })}>
                    {t('files.view')}
                  </Button>
                  <Button size="small" onClick={() => setShown({ path: f.path, mode: 'tail' })}>
                    {t('files.tail')}
                  </Button>
                  <Button
                    size="small"
                    data-testid={`follow-${f.name}`}
                    onClick={() => setShown({ path: f.path, mode: 'follow' })}
                  >
                    {t('files.follow')}
                  </Button>
                  <Button size="small" href={downloadUrl(serviceRef, container, f.path, false)} download>
                    {t('files.download')}
                  </Button>
                </Space>
              ) : null,
          },
        ]}
      />
      {shown ? (
        <FileView serviceRef={serviceRef} container={container} shown={shown} onStop={() => setShown(null)} />
      ) : (
        <Typography.Text type="secondary">{t('files.pick')}</Typography.Text>
      )}
    </Space>
  );
}

function PathBar(props: {
  path: string;
  typed: string;
  setTyped: (v: string) => void;
  open: (p: string) => void;
}) {
  const { t } = useI18n();
  return (
    <Space wrap>
      <Breadcrumb
        data-testid="files-path"
        separator="›"
        items={crumbs(props.path).map((c) => ({
          title: (
            <a
              href={`?path=${encodeURIComponent(c.path)}`}
              onClick={(e) => {
                e.preventDefault();
                props.open(c.path);
              }}
            >
              {c.name}
            </a>
          ),
        }))}
      />
      <Input.Search
        style={{ width: 360 }}
        aria-label={t('files.path')}
        value={props.typed}
        enterButton={t('files.go')}
        onChange={(e) => props.setTyped(e.target.value)}
        onSearch={(v) => props.open(v.trim() || '/')}
      />
    </Space>
  );
}

function FileView(props: {
  serviceRef: ServiceRef;
  container: string;
  shown: NonNullable<Shown>;
  onStop: () => void;
}) {
  const { t } = useI18n();
  const { serviceRef, container, shown } = props;
  const text = useQuery({
    queryKey: [
      'file',
      serviceRef.project,
      serviceRef.env,
      serviceRef.service,
      container,
      shown.path,
      shown.mode,
    ],
    queryFn: () => viewFile(serviceRef, container, shown.path, shown.mode === 'tail' ? 200 : undefined),
    enabled: shown.mode !== 'follow',
    retry: false,
  });
  const [lines, setLines] = useState<string[]>([]);
  const [ended, setEnded] = useState<string | null>(null);
  const view = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setLines([]);
    setEnded(null);
  }, [shown.path, shown.mode]);
  const add = (line: string) => setLines((prev) => [...prev.slice(-(maxLines - 1)), line]);
  useEventStream(shown.mode === 'follow' ? followUrl(serviceRef, container, shown.path) : null, {
    on: {
      line: (data) => add((data as { text: string }).text),
      rotated: () => add(t('files.rotated')),
      missing: () => add(t('files.missing')),
    },
    onEnd: (data) => setEnded((data as { reason?: string } | null)?.reason ?? ''),
  });
  useEffect(() => {
    const el = view.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines, text.data]);
  const body =
    shown.mode === 'follow' ? lines.join('\n') : (text.data?.text ?? text.data?.lines?.join('\n') ?? '');
  return (
    <Card
      size="small"
      title={
        <Space>
          <Typography.Text code>{shown.path}</Typography.Text>
          {shown.mode === 'follow' && ended === null ? (
            <Tag color="processing">{t('files.following', { path: shown.path })}</Tag>
          ) : null}
        </Space>
      }
      extra={
        <Tooltip title={t('files.stop')}>
          <Button size="small" onClick={props.onStop} data-testid="files-stop">
            {t('files.stop')}
          </Button>
        </Tooltip>
      }
    >
      {text.isError ? <InlineError error={text.error} /> : null}
      {ended !== null ? <Alert type="info" showIcon title={t('files.ended', { reason: ended })} /> : null}
      <div className="log-view" ref={view} data-testid="file-view" role="log" aria-live="off">
        {body}
      </div>
    </Card>
  );
}

function Collected({ serviceRef, container }: { serviceRef: ServiceRef; container: string }) {
  const { t, lang } = useI18n();
  const files = useQuery({
    queryKey: ['collected', serviceRef.project, serviceRef.env, serviceRef.service, container],
    queryFn: () => listCollected(serviceRef, container),
    refetchInterval: 5000,
  });
  if (files.isError) return <ErrorState error={files.error} onRetry={() => void files.refetch()} />;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Text type="secondary">{t('files.collected.help')}</Typography.Text>
      <Table<CollectedFile>
        rowKey="file"
        size="small"
        loading={files.isPending}
        dataSource={files.data?.items ?? []}
        pagination={false}
        data-testid="collected-table"
        locale={{ emptyText: <Empty description={t('files.collected.none')} /> }}
        columns={[
          {
            key: 'file',
            title: t('files.collected.file'),
            render: (_, f) => <Typography.Text code>{f.file}</Typography.Text>,
          },
          { key: 'from', title: t('files.collected.from'), render: (_, f) => f.path },
          { key: 'size', title: t('files.size'), align: 'right', render: (_, f) => formatBytes(f.size) },
          { key: 'mtime', title: t('files.modified'), render: (_, f) => formatDateTime(f.mtime, lang) },
          {
            key: 'actions',
            title: '',
            render: (_, f) => (
              <Button size="small" href={collectedUrl(serviceRef, container, f.file)} download>
                {t('files.download')}
              </Button>
            ),
          },
        ]}
      />
    </Space>
  );
}
