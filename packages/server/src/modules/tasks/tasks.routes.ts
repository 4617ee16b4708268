import { z } from 'zod';
import { NotFoundError, type Task } from '@berth/shared';
import type { Actor, AppContext } from '../../http/context';
import { handled, HiddenFromCaller, type RouteRegistry } from '../../http/route';
import { openSse, wantsStream, type SseStream } from '../../http/sse';
import type { TaskRepository } from './tasks.repository';

const idParams = z
  .object({
    id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9]+$/, 'must be a task id'),
  })
  .strict();

/** Tasks are visible to whoever may read the project they belong to. */
async function visibleTask(ctx: AppContext, tasks: TaskRepository, actor: Actor, id: string): Promise<Task> {
  const task = await tasks.get(id);
  const project = task?.target.split('/')[0];
  const allowed =
    task && project && (await ctx.auth.authorize(actor, 'tasks:read', { kind: 'project', project }));
  const message = `Task '${id}' does not exist or you have no access to it.`;
  if (!task) throw new NotFoundError('TASK_NOT_FOUND', message);
  // Same answer as a missing task, but audited as a denied read.
  if (!allowed) throw new HiddenFromCaller('TASK_NOT_FOUND', message);
  return task;
}

/**
 * Runs `push` now, on every change of the task in this process, and every second (changes made
 * by another server instance), one run at a time, until the client goes away.
 */
async function followTask(
  tasks: TaskRepository,
  id: string,
  sse: SseStream,
  push: () => Promise<void>,
): Promise<void> {
  let busy = false;
  const run = async () => {
    if (busy || sse.closed.aborted) return;
    busy = true;
    try {
      await push();
    } finally {
      busy = false;
    }
  };
  const onChange = () => void run();
  tasks.changes.on(`task:${id}`, onChange);
  const poll = setInterval(onChange, 1000);
  sse.closed.addEventListener('abort', () => {
    tasks.changes.off(`task:${id}`, onChange);
    clearInterval(poll);
  });
  await run();
}

export function registerTaskRoutes(registry: RouteRegistry, ctx: AppContext, tasks: TaskRepository): void {
  registry.add({
    id: 'tasks.get',
    method: 'GET',
    url: '/api/v1/tasks/:id',
    summary: 'Get a task; with ?follow=true (or Accept: text/event-stream) stream its changes until it ends',
    tags: ['tasks'],
    access: 'authenticated',
    params: idParams,
    query: z.object({ follow: z.stringbool().optional() }),
    async handler({ params, query, actor, req, reply }) {
      const task = await visibleTask(ctx, tasks, actor, params.id);
      if (!wantsStream(req, query.follow)) return task;
      const sse = openSse(req, reply);
      let last = '';
      await followTask(tasks, params.id, sse, async () => {
        const now = await tasks.get(params.id);
        if (!now) return sse.end();
        const json = JSON.stringify(now);
        if (json !== last) sse.send('task', now);
        last = json;
        if (tasks.isTerminal(now)) sse.end();
      });
      return handled;
    },
  });

  registry.add({
    id: 'tasks.log',
    method: 'GET',
    url: '/api/v1/tasks/:id/log',
    summary: 'The log of a task; with ?follow=true stream new lines until the task ends',
    tags: ['tasks'],
    access: 'authenticated',
    params: idParams,
    query: z.object({ follow: z.stringbool().optional(), after: z.coerce.number().int().min(0).default(0) }),
    async handler({ params, query, actor, req, reply }) {
      await visibleTask(ctx, tasks, actor, params.id);
      if (!wantsStream(req, query.follow))
        return { items: await tasks.logLines(params.id, query.after), nextCursor: null };
      const sse = openSse(req, reply);
      let seq = query.after;
      await followTask(tasks, params.id, sse, async () => {
        for (const line of await tasks.logLines(params.id, seq)) {
          sse.send('line', line, String(line.seq));
          seq = line.seq;
        }
        const task = await tasks.get(params.id);
        if (!task || tasks.isTerminal(task)) {
          sse.send('end', task);
          sse.end();
        }
      });
      return handled;
    },
  });
}
