import { setTimeout as delay } from 'node:timers/promises';
import type { Task, TaskLogLine } from '@berth/shared';
import type { ApiClient } from './api-client';
import { ApiError, CliError } from './errors';
import { sanitize, type Output } from './output';

const terminal = new Set<Task['state']>(['succeeded', 'failed', 'cancelled']);
/** How long to let the log stream deliver its last lines once the task has ended. */
const logGraceMs = 3000;
const maxReconnects = 5;

/** True for succeeded, failed and cancelled. */
export function isTerminal(task: Pick<Task, 'state'>): boolean {
  return terminal.has(task.state);
}

/** `[2/3] message` (no counter when the message already says `2/3`): the progress line printed while waiting. */
export function progressLine(task: Task): string {
  const { done, total, message } = task.progress;
  const counter = total > 0 && !message.includes(`${done}/${total}`) ? `[${done}/${total}] ` : '';
  return `${counter}${sanitize(message || task.state)}`;
}

/**
 * Follows a task until it ends: its state over `GET /tasks/:id?follow=true` and its log over
 * `GET /tasks/:id/log?follow=true`, printing progress changes and log lines as they come (as notes,
 * so that stdout stays JSON in JSON mode). Reconnects when a stream drops. Returns the final task.
 */
export async function followTask(
  client: ApiClient,
  id: string,
  out: Output,
  signal?: AbortSignal,
): Promise<Task> {
  const stopLog = new AbortController();
  const log = followLog(client, id, out, stopLog.signal);
  try {
    const task = await followState(client, id, out, signal);
    await Promise.race([log, delay(logGraceMs, undefined, { ref: false })]);
    return task;
  } finally {
    stopLog.abort();
    await log;
  }
}

async function followState(client: ApiClient, id: string, out: Output, signal?: AbortSignal): Promise<Task> {
  const path = `/api/v1/tasks/${encodeURIComponent(id)}`;
  let shown = '';
  const show = (task: Task) => {
    const line = progressLine(task);
    if (line !== shown && !isTerminal(task)) out.note(line);
    shown = line;
  };
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const event of client.stream(path, { follow: true }, { signal })) {
        if (event.event === 'error') throw streamError(event.data);
        if (event.event !== 'task') continue;
        const task = JSON.parse(event.data) as Task;
        show(task);
        if (isTerminal(task)) return task;
      }
    } catch (err) {
      // A definite answer (404, 403) will not change; a dropped connection might.
      if ((err instanceof ApiError && err.status < 500) || attempt >= maxReconnects) throw err;
    }
    if (signal?.aborted)
      throw new CliError(`stopped waiting; task ${id} goes on (follow it with "berth tasks get ${id} -f")`);
    const task = await client.get<Task>(path);
    show(task);
    if (isTerminal(task)) return task;
    await delay(1000);
  }
}

/** Prints the task's log lines; best effort, since the task's state is what decides the outcome. */
async function followLog(client: ApiClient, id: string, out: Output, signal: AbortSignal): Promise<void> {
  const path = `/api/v1/tasks/${encodeURIComponent(id)}/log`;
  let after = 0;
  for (let attempt = 0; attempt <= maxReconnects && !signal.aborted; attempt++) {
    try {
      for await (const event of client.stream(path, { follow: true, after }, { signal })) {
        if (event.event === 'end') return;
        if (event.event !== 'line') continue;
        const line = JSON.parse(event.data) as TaskLogLine;
        if (line.seq <= after) continue;
        after = line.seq;
        out.note(`  ${sanitize(line.line)}`);
      }
    } catch {
      // Reconnect below, resuming after the last line shown.
    }
    await delay(500, undefined, { ref: false });
  }
}

function streamError(data: string): CliError {
  try {
    const body = JSON.parse(data) as { error?: { message?: string } };
    return new CliError(body.error?.message ?? data);
  } catch {
    return new CliError(data);
  }
}

/** A response of an operation that started a task. */
export interface TaskResponse {
  task: Task | null;
  [key: string]: unknown;
}

/**
 * Handles a response that carries a task: with `wait`, follows it and fails (exit 1) unless it
 * succeeded; without, prints the task id. `done` describes success in text mode. JSON mode prints
 * the response, with the task in its final state when waited for.
 */
export async function completeTask(
  client: ApiClient,
  response: TaskResponse,
  out: Output,
  options: { wait: boolean; done: string; unchanged?: string },
): Promise<number> {
  const { task } = response;
  if (!task) {
    if (out.json) out.printJson(response);
    else out.line(options.unchanged ?? options.done);
    return 0;
  }
  if (!options.wait) {
    if (out.json) out.printJson(response);
    else out.line(`task ${task.id} started (${task.kind}); follow it with "berth tasks get ${task.id} -f"`);
    return 0;
  }
  const final = isTerminal(task) ? task : await followTask(client, task.id, out);
  if (out.json) out.printJson({ ...response, task: final });
  if (final.state !== 'succeeded') {
    throw new CliError(`task ${final.id} ${final.state}${final.error ? `: ${final.error}` : ''}`);
  }
  if (!out.json) out.line(options.done);
  return 0;
}
