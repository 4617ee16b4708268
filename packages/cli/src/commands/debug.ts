import { containerPath, type ApiClient } from '../api-client';
import type { CommandContext, CommandDef } from '../context';
import { CliError } from '../errors';
import { runShell } from '../shell-session';
import { firstReadyContainer } from './exec';

interface DebugSession {
  id: string;
  container: string;
  image: string;
  user: string;
  expiresAt: string;
  shellPath: string;
}

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `--ttl`: seconds, or a duration such as 90s, 10m, 1h30m. */
export function parseTtl(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  if (!/^(\d+[smh])+$/.test(t))
    throw new CliError(`--ttl "${text}": use seconds or a duration such as 10m or 1h30m`);
  let total = 0;
  for (const m of t.matchAll(/(\d+)([smh])/g)) total += Number(m[1]) * unitSeconds[m[2]!]!;
  return total;
}

async function debug(ctx: CommandContext): Promise<number> {
  const rest = ctx.args.rest ?? [];
  const command = rest.length > 0 ? rest : ['/bin/sh'];
  const tty = ctx.args.bool('tty') || (rest.length === 0 && ctx.io.stdin.isTTY === true);
  if (tty && !ctx.io.stdin.isTTY)
    throw ctx.usageError('-t needs a terminal on stdin; leave it out to pipe stdin');
  const client: ApiClient = await ctx.client();
  const [project, env, service] = [ctx.project(), ctx.env(), ctx.arg(0)];
  const container = ctx.optionalArg(1) ?? (await firstReadyContainer(client, project, env, service));
  const ttl = ctx.args.string('ttl');
  const body = {
    ...(ctx.args.string('image') ? { image: ctx.args.string('image') } : {}),
    ...(ttl ? { ttlSeconds: parseTtl(ttl) } : {}),
    ...(ctx.args.string('user') ? { user: ctx.args.string('user') } : {}),
  };
  const session = await client.post<DebugSession>(
    containerPath(project, env, service, container, '/debug'),
    body,
  );
  ctx.io.stderr.write(
    `debug container ${session.container} (${session.image}, user ${session.user}) beside ${container}; ` +
      `removed when this shell ends, at the latest ${session.expiresAt}\n`,
  );
  const size =
    tty && ctx.io.stdout.columns && ctx.io.stdout.rows
      ? { cols: ctx.io.stdout.columns, rows: ctx.io.stdout.rows }
      : {};
  const url = client.webSocketUrl(session.shellPath, { cmd: command, tty: tty ? 'true' : 'false', ...size });
  try {
    return await runShell(ctx.io, url, client.authHeaders(), {
      tty,
      forwardStdin: ctx.args.bool('interactive') || rest.length === 0,
    });
  } catch (err) {
    // the shell never opened: end the session now instead of at its time-to-live
    await client
      .delete(containerPath(project, env, service, container, `/debug/${encodeURIComponent(session.id)}`))
      .catch(() => undefined);
    throw err;
  }
}

/** containers debug */
export const debugCommands: CommandDef[] = [
  {
    name: 'containers debug',
    usage: 'NAME [CONTAINER] [--image IMAGE] [--ttl 1h] [--user root] [-it] [-- COMMAND ARGS...]',
    summary:
      "open a shell in a debug container sharing a container's processes and network (toolbox: curl, dig, ip, ss, tcpdump, strace, ps); removed when the shell ends",
    positionals: { min: 1, max: 2 },
    scoped: true,
    takesRest: true,
    options: [
      {
        name: 'image',
        kind: 'string',
        value: 'IMAGE',
        description: "the debug container's image (default: Berth's toolbox); needs sleep and a shell",
      },
      {
        name: 'ttl',
        kind: 'string',
        value: 'DURATION',
        description: 'removed after this long at the latest (seconds or 10m, 1h; default 1h, at most 8h)',
      },
      {
        name: 'user',
        short: 'u',
        kind: 'string',
        value: 'root',
        description: "root (needs services:exec-root); default: the container's own non-root user",
      },
      {
        name: 'interactive',
        short: 'i',
        kind: 'boolean',
        description: 'send stdin to the command (the default shell always gets it)',
      },
      {
        name: 'tty',
        short: 't',
        kind: 'boolean',
        description: 'use the local terminal in raw mode (default for the shell on a terminal)',
      },
    ],
    run: debug,
  },
];
