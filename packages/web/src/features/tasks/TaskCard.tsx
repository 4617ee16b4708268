import { useEffect, useState } from 'react';
import { Button, Card, Collapse, Progress, Space, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Task, TaskLogLine } from '@berth/shared';
import { getTask } from '../../api/resources';
import { useEventStream } from '../../api/useEventStream';
import { InlineError } from '../../components/ErrorState';
import { TaskStateTag } from '../../components/StatusTag';
import { TimeText } from '../../components/TimeText';
import { useI18n } from '../../i18n/I18nProvider';
import { taskKinds } from './messages';

const terminal = new Set(['succeeded', 'failed', 'cancelled']);
const knownKinds = new Set<string>(taskKinds);

/** The task's kind in the user's language; a kind this portal does not know is shown as is. */
function taskKindLabel(t: ReturnType<typeof useI18n>['t'], kind: string): string {
  return knownKinds.has(kind) ? t(`tasks.kind.${kind as (typeof taskKinds)[number]}`) : kind;
}

/**
 * One task, live: its state and progress over SSE (`task` events) and its log lines (`line`
 * events). A finished task's stream is not reopened; its whole log is read once.
 */
export function TaskCard(props: {
  id: string;
  onDismiss: (id: string) => void;
  onFinished: (id: string) => void;
}) {
  const { id, onDismiss, onFinished } = props;
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const task = useQuery({ queryKey: ['task', id], queryFn: () => getTask(id) });
  const [lines, setLines] = useState<TaskLogLine[]>([]);
  const done = task.data ? terminal.has(task.data.state) : false;
  const base = `/api/v1/tasks/${encodeURIComponent(id)}`;

  useEventStream(task.data && !done ? `${base}?follow=true` : null, {
    on: { task: (data) => queryClient.setQueryData<Task>(['task', id], data as Task) },
  });
  useEventStream(task.data ? `${base}/log?follow=true` : null, {
    on: {
      line: (data) =>
        setLines((prev) => {
          const line = data as TaskLogLine;
          return prev.some((l) => l.seq === line.seq) ? prev : [...prev, line];
        }),
    },
  });

  useEffect(() => {
    if (!done) return;
    onFinished(id);
    // What the task changed (status, containers, releases) is now worth reading again.
    void queryClient.invalidateQueries({ queryKey: ['service'] });
    void queryClient.invalidateQueries({ queryKey: ['services'] });
  }, [done, id, onFinished, queryClient]);

  if (task.isError) return <InlineError error={task.error} />;
  const data = task.data;
  const percent =
    data && data.progress.total > 0 ? Math.round((100 * data.progress.done) / data.progress.total) : 0;
  return (
    <Card
      size="small"
      style={{ marginBottom: 12 }}
      loading={task.isPending}
      data-testid="task-card"
      data-task-state={data?.state}
      title={
        <Space>
          {data ? <TaskStateTag state={data.state} /> : null}
          <span>
            {data ? (
              <>
                {taskKindLabel(t, data.kind)} · <span translate="no">{data.target}</span>
              </>
            ) : (
              id
            )}
          </span>
        </Space>
      }
      extra={
        <Button size="small" type="link" onClick={() => onDismiss(id)}>
          {t('tasks.dismiss')}
        </Button>
      }
    >
      {data ? (
        <>
          <Progress
            percent={data.state === 'succeeded' ? 100 : percent}
            status={data.state === 'failed' ? 'exception' : done ? 'success' : 'active'}
          />
          <Typography.Paragraph style={{ margin: '4px 0' }}>
            {data.progress.total > 0
              ? t('tasks.progress', { done: data.progress.done, total: data.progress.total })
              : t(`tasks.state.${data.state}`)}{' '}
            · <TimeText at={data.startedAt ?? data.createdAt} />
          </Typography.Paragraph>
          {/* The server's own words, in English like the task log below. */}
          <Typography.Paragraph type="secondary" className="task-message" translate="no" lang="en">
            {data.progress.message}
          </Typography.Paragraph>
          {data.error ? <Typography.Text type="danger">{data.error}</Typography.Text> : null}
          <Collapse
            size="small"
            defaultActiveKey={['log']}
            items={[
              {
                key: 'log',
                label: t('tasks.log'),
                children: (
                  <div className="task-log" data-testid="task-log">
                    {lines.length === 0 ? t('tasks.noLog') : lines.map((l) => l.line).join('\n')}
                  </div>
                ),
              },
            ]}
          />
        </>
      ) : null}
    </Card>
  );
}
