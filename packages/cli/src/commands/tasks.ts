import type { Task } from '@berth/shared';
import type { CommandContext, CommandDef } from '../context';
import { CliError } from '../errors';
import { formatTime, renderFields } from '../output';
import { followTask, isTerminal } from '../task-waiter';

/** The fields `tasks get` shows. */
export function renderTask(task: Task): string {
  const { done, total, message } = task.progress;
  return renderFields([
    ['id', task.id],
    ['kind', task.kind],
    ['target', task.target],
    ['state', task.state],
    ['progress', `${total > 0 ? `${done}/${total} ` : ''}${message}`],
    ['error', task.error],
    ['created', `${formatTime(task.createdAt)} by ${task.createdBy}`],
    ['started', formatTime(task.startedAt)],
    ['finished', formatTime(task.finishedAt)],
  ]);
}

async function getTask(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const id = ctx.arg(0);
  let task = await client.get<Task>(`/api/v1/tasks/${encodeURIComponent(id)}`);
  if (ctx.args.bool('follow') && !isTerminal(task)) task = await followTask(client, id, ctx.out);
  if (ctx.out.json) ctx.out.printJson(task);
  else ctx.out.raw(renderTask(task));
  if (ctx.args.bool('follow') && task.state !== 'succeeded') {
    throw new CliError(`task ${task.id} ${task.state}${task.error ? `: ${task.error}` : ''}`);
  }
  return 0;
}

/** tasks get */
export const taskCommands: CommandDef[] = [
  {
    name: 'tasks get',
    usage: 'ID [-f]',
    summary: 'show a task; with -f follow its progress and log until it ends (exit 1 unless it succeeded)',
    positionals: { min: 1, max: 1 },
    options: [
      {
        name: 'follow',
        short: 'f',
        kind: 'boolean',
        description: 'wait for the task, printing progress and log lines',
      },
    ],
    run: getTask,
  },
];
