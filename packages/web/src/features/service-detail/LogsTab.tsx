import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, Empty, Input, Select, Space, Tag } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router-dom';
import { containerPath, refKey, type ServiceRef } from '../../api/paths';
import { listContainers } from '../../api/resources';
import { useEventStream } from '../../api/useEventStream';
import { ErrorState } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { HighlightedLine } from './HighlightedLine';

interface LogLine {
  stream: 'stdout' | 'stderr';
  at: string;
  text: string;
}

/** Lines kept in the page; older ones are dropped (the download has the whole log). */
const maxLines = 5000;

/** Live follow of one container's log (SSE `line` events), with highlight and download. */
export function LogsTab({ serviceRef }: { serviceRef: ServiceRef }) {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState('');
  const [lines, setLines] = useState<LogLine[]>([]);
  const [ended, setEnded] = useState(false);
  const view = useRef<HTMLDivElement>(null);
  const containers = useQuery({
    queryKey: ['service', ...refKey(serviceRef), 'containers'],
    queryFn: () => listContainers(serviceRef),
    refetchInterval: 5000,
  });
  const names = useMemo(() => (containers.data?.items ?? []).map((c) => c.name), [containers.data]);
  const selected = params.get('container') ?? names[0] ?? null;
  const base = selected ? `${containerPath(serviceRef, selected)}/logs` : null;

  useEffect(() => {
    setLines([]);
    setEnded(false);
  }, [base]);
  useEventStream(base ? `${base}?follow=true&tail=500` : null, {
    on: {
      line: (data) => setLines((prev) => [...prev.slice(-(maxLines - 1)), data as LogLine]),
    },
    onEnd: () => setEnded(true),
  });
  useEffect(() => {
    // Stick to the bottom while following, like `tail -f`.
    const el = view.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);

  if (containers.isError)
    return <ErrorState error={containers.error} onRetry={() => void containers.refetch()} />;
  if (containers.data && names.length === 0 && !params.get('container'))
    return <Empty description={t('logs.noContainers')} />;

  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space wrap>
        <Select
          style={{ minWidth: 360 }}
          value={selected}
          placeholder={t('logs.pickContainer')}
          aria-label={t('logs.container')}
          options={names.map((n) => ({ value: n, label: n }))}
          onChange={(name: string) => setParams({ container: name }, { replace: true })}
        />
        <Input.Search
          allowClear
          placeholder={t('logs.search')}
          aria-label={t('logs.search')}
          style={{ width: 260 }}
          onChange={(e) => setSearch(e.target.value)}
        />
        {base ? (
          <Button href={`${base}?download=true`} download data-testid="logs-download">
            {t('logs.download')}
          </Button>
        ) : null}
        {!ended && base ? <Tag color="processing">{t('logs.following')}</Tag> : null}
      </Space>
      {ended ? <Alert type="info" showIcon title={t('logs.ended')} /> : null}
      <div className="log-view" ref={view} data-testid="log-view" role="log" aria-live="off">
        {lines.length === 0 ? t('logs.empty') : null}
        {lines.map((l, i) => (
          <HighlightedLine key={i} text={l.text} search={search} stderr={l.stream === 'stderr'} />
        ))}
      </div>
    </Space>
  );
}
