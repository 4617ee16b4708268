import { EventEmitter } from 'node:events';
import type { Task, TaskLogLine, TaskState } from '@berth/shared';
import type { Db } from '../../db/database';
import type { TasksTable } from '../../db/schema';
import { newId, nowIso } from '../../util';

export function toTask(row: TasksTable): Task {
  return {
    id: row.id,
    kind: row.kind,
    target: row.target,
    state: row.state as TaskState,
    progress: { done: row.progress_done, total: row.progress_total, message: row.progress_message },
    createdAt: row.created_at,
    createdBy: row.created_by,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
  };
}

const terminal = new Set<TaskState>(['succeeded', 'failed', 'cancelled']);

/** Persists tasks and their logs, and tells followers in this process about changes. */
export class TaskRepository {
  /** Emits `task:<id>` with no payload whenever a task or its log changes. */
  readonly changes = new EventEmitter();

  constructor(private readonly db: Db) {
    this.changes.setMaxListeners(0);
  }

  async create(input: {
    kind: string;
    target: string;
    serviceId: string | null;
    createdBy: string;
    total: number;
    message: string;
  }): Promise<Task> {
    const row: TasksTable = {
      id: newId(),
      kind: input.kind,
      target: input.target,
      service_id: input.serviceId,
      state: 'queued',
      progress_done: 0,
      progress_total: input.total,
      progress_message: input.message,
      created_at: nowIso(),
      created_by: input.createdBy,
      started_at: null,
      finished_at: null,
      error: null,
    };
    await this.db.insertInto('tasks').values(row).execute();
    await this.log(row.id, `${input.kind} ${input.target} requested by ${input.createdBy}`);
    return toTask(row);
  }

  async get(id: string): Promise<Task | null> {
    const row = await this.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toTask(row) : null;
  }

  async progress(id: string, done: number, total: number, message: string): Promise<void> {
    const row = await this.db
      .selectFrom('tasks')
      .select(['state', 'progress_done', 'progress_total', 'progress_message'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || terminal.has(row.state as TaskState)) return;
    if (
      row.state === 'running' &&
      row.progress_done === done &&
      row.progress_total === total &&
      row.progress_message === message
    )
      return;
    await this.db
      .updateTable('tasks')
      .set({
        state: 'running',
        progress_done: done,
        progress_total: total,
        progress_message: message,
        started_at: row.state === 'queued' ? nowIso() : undefined,
      })
      .where('id', '=', id)
      .execute();
    this.changes.emit(`task:${id}`);
  }

  async finish(
    id: string,
    state: 'succeeded' | 'failed' | 'cancelled',
    message: string,
    error: string | null = null,
  ): Promise<void> {
    const row = await this.db
      .selectFrom('tasks')
      .select(['state', 'started_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || terminal.has(row.state as TaskState)) return;
    const at = nowIso();
    await this.db
      .updateTable('tasks')
      .set({ state, progress_message: message, error, finished_at: at, started_at: row.started_at ?? at })
      .where('id', '=', id)
      .execute();
    await this.log(id, error ? `${state}: ${error}` : `${state}: ${message}`);
  }

  /** Appends a line; two writers (API and controller) may race for a number, so retry on conflict. */
  async log(id: string, line: string): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const last = await this.db
        .selectFrom('task_logs')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('task_id', '=', id)
        .executeTakeFirst();
      const seq = Number(last?.seq ?? 0) + 1;
      try {
        await this.db.insertInto('task_logs').values({ task_id: id, seq, at: nowIso(), line }).execute();
        break;
      } catch (err) {
        if (attempt >= 4) throw err;
      }
    }
    this.changes.emit(`task:${id}`);
  }

  async logLines(id: string, afterSeq = 0): Promise<TaskLogLine[]> {
    const rows = await this.db
      .selectFrom('task_logs')
      .selectAll()
      .where('task_id', '=', id)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({ seq: r.seq, at: r.at, line: r.line }));
  }

  isTerminal(task: Task): boolean {
    return terminal.has(task.state);
  }
}
