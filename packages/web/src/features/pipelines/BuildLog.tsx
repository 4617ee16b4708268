import { useEffect, useRef, useState } from 'react';
import { Button, Input, Space, Tag } from 'antd';
import type { TaskLogLine } from '@berth/shared';
import { useEventStream } from '../../api/useEventStream';
import { useI18n } from '../../i18n/I18nProvider';
import { HighlightedLine } from '../service-detail/HighlightedLine';
import './strings';

/** Lines kept in the page; a build log longer than this shows its newest lines. */
const maxLines = 10_000;

/**
 * A build's live log: the task log over SSE (`line` events, deduplicated by sequence number),
 * stuck to the bottom unless the user scrolls up or pauses, with search/highlight.
 */
export function BuildLog({ taskId }: { taskId: string }) {
  const { t } = useI18n();
  const [lines, setLines] = useState<TaskLogLine[]>([]);
  const [ended, setEnded] = useState(false);
  const [search, setSearch] = useState('');
  const [follow, setFollow] = useState(true);
  const view = useRef<HTMLDivElement>(null);
  const lastSeq = useRef(-1);

  useEventStream(`/api/v1/tasks/${encodeURIComponent(taskId)}/log?follow=true`, {
    on: {
      line: (data) => {
        const line = data as TaskLogLine;
        if (line.seq <= lastSeq.current) return;
        lastSeq.current = line.seq;
        setLines((prev) => [...prev.slice(-(maxLines - 1)), line]);
      },
    },
    onEnd: () => setEnded(true),
  });
  useEffect(() => {
    const el = view.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [lines, follow]);

  const onScroll = () => {
    const el = view.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    if (!atBottom && follow) setFollow(false);
    if (atBottom && !follow) setFollow(true);
  };

  const hits = search
    ? lines.filter((l) => l.line.toLowerCase().includes(search.toLowerCase())).length
    : null;
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Space wrap>
        <Input.Search
          allowClear
          placeholder={t('logs.search')}
          aria-label={t('logs.search')}
          style={{ width: 260 }}
          data-testid="log-search"
          onChange={(e) => setSearch(e.target.value)}
        />
        {hits !== null ? <Tag data-testid="log-hits">{t('builds.log.hits', { count: hits })}</Tag> : null}
        <Button size="small" onClick={() => setFollow(!follow)} data-testid="log-follow-toggle">
          {follow ? t('builds.log.pause') : t('builds.log.resume')}
        </Button>
        {ended ? <Tag>{t('builds.log.ended')}</Tag> : <Tag color="processing">{t('logs.following')}</Tag>}
      </Space>
      <div
        className="log-view build-log"
        ref={view}
        onScroll={onScroll}
        data-testid="build-log"
        role="log"
        aria-live="off"
      >
        {lines.length === 0 ? t('builds.log.empty') : null}
        {lines.map((l) => (
          <HighlightedLine key={l.seq} text={l.line} search={search} stderr={false} />
        ))}
      </div>
    </Space>
  );
}
