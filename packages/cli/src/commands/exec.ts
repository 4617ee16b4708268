import type { Container } from '@berth/shared';
import { containerPath, servicePath, type ApiClient } from '../api-client';
import type { CommandContext, CommandDef } from '../context';
import { CliError } from '../errors';
import { runShell } from '../shell-session';

/** The first ready container of a service (the default target of `exec`). */
export async function firstReadyContainer(
  client: ApiClient,
  project: string,
  env: string,
  service: string,
): Promise<string> {
  const page = await client.get<{ items: Container[] }>(servicePath(project, env, service, '/containers'));
  const ready = page.items.find((c) => c.ready);
  if (!ready)
    throw new CliError(
      `service ${service} has no ready container; name one (see "berth containers ${service}")`,
    );
  return ready.name;
}

async function exec(ctx: CommandContext): Promise<number> {
  const rest = ctx.args.rest ?? [];
  const command = rest.length > 0 ? rest : ['/bin/sh'];
  const tty = ctx.args.bool('tty');
  if (tty && !ctx.io.stdin.isTTY)
    throw ctx.usageError('-t needs a terminal on stdin; leave it out to pipe stdin');
  const client = await ctx.client();
  const [project, env, service] = [ctx.project(), ctx.env(), ctx.arg(0)];
  const container = ctx.optionalArg(1) ?? (await firstReadyContainer(client, project, env, service));
  const size =
    tty && ctx.io.stdout.columns && ctx.io.stdout.rows
      ? { cols: ctx.io.stdout.columns, rows: ctx.io.stdout.rows }
      : {};
  const url = client.webSocketUrl(containerPath(project, env, service, container, '/shell'), {
    user: ctx.args.string('user'),
    cmd: command,
    tty: tty ? 'true' : 'false',
    ...size,
  });
  // Like docker and kubectl, a command gets stdin only with -i; the default shell also reads a
  // piped script. (Podman 4.3 can drop the whole output of a command that exits without reading
  // the stdin it was sent: docs/runtime-notes.md, "Known errors".)
  const forwardStdin = ctx.args.bool('interactive') || (rest.length === 0 && !ctx.io.stdin.isTTY);
  return runShell(ctx.io, url, client.authHeaders(), { tty, forwardStdin });
}

/** exec */
export const execCommands: CommandDef[] = [
  {
    name: 'exec',
    usage: 'NAME [CONTAINER] [-it] [--user root] [-- COMMAND ARGS...]',
    summary:
      'run a command (default: a shell) in a container (default: the first ready one); exits with its status',
    positionals: { min: 1, max: 2 },
    scoped: true,
    takesRest: true,
    options: [
      {
        name: 'interactive',
        short: 'i',
        kind: 'boolean',
        description: 'send stdin to the command (the default shell reads a piped stdin without it)',
      },
      {
        name: 'tty',
        short: 't',
        kind: 'boolean',
        description: 'use the local terminal in raw mode, with resizes',
      },
      {
        name: 'user',
        short: 'u',
        kind: 'string',
        value: 'root',
        description: 'run as root (needs services:exec-root)',
      },
    ],
    run: exec,
  },
];
