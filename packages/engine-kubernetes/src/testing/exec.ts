/**
 * pods/exec over WebSocket with the channel protocol (k8s.io/apimachinery/pkg/util/httpstream/wsstream):
 * each binary message starts with its channel — 0 stdin, 1 stdout, 2 stderr, 3 error (a `Status`
 * JSON when the command ends: Success, or Failure with reason NonZeroExitCode and a cause
 * ExitCode), 4 resize (`{"Width":w,"Height":h}`); v5.channel.k8s.io adds 255 (close: `[255, 0]`
 * closes stdin without closing the connection). The highest protocol the client offers among
 * those the server accepts is chosen; a server that accepts only v4 tests a client's fallback.
 * Commands run in a pluggable handler, not in a process; the default one knows `echo`, `cat`,
 * `id -u`, `sh -c 'exit N'`, an interactive `sh` of those, `sleep N`, `env` (printing, or running a
 * command with `NAME=VALUE` added), `stty size`, `true`, `false`, and answers "executable file not
 * found" for the rest.
 */
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import type { WebSocket } from 'ws';
import type { Obj } from './json';

/** The subprotocols the server can speak, highest first. */
export const execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

/** What an exec handler gets. */
export interface ExecContext {
  namespace: string;
  pod: Obj;
  container: string;
  command: string[];
  tty: boolean;
  /** The client's stdin (ends when the client closes it: v5 close signal, or the connection). */
  stdin: Readable;
  stdout(data: string | Buffer): void;
  stderr(data: string | Buffer): void;
  /** The container's environment as the kubelet would set it (env, envFrom, fieldRefs resolved). */
  env: Record<string, string>;
  /** The uid the command runs as: the container's or pod's runAsUser, else 65534. */
  uid: number;
  /** Aborted when the client goes, the pod stops or its container is killed. */
  signal: AbortSignal;
  /** The last terminal size the client sent on channel 4 (undefined until one came). */
  size(): { width: number; height: number } | undefined;
}

/** Thrown by a handler when the command cannot start (the apiserver answers an InternalError Status). */
export class ExecStartError extends Error {}

/** Runs one exec command; resolves to its exit code. */
export type ExecHandler = (ctx: ExecContext) => Promise<number>;

async function runOne(ctx: ExecContext, argv: string[]): Promise<number> {
  const [cmd = '', ...args] = argv;
  const base = cmd.split('/').pop() ?? cmd;
  switch (base) {
    case 'echo':
      ctx.stdout(`${args.join(' ')}\n`);
      return 0;
    case 'true':
      return 0;
    case 'false':
      return 1;
    case 'cat':
      for await (const chunk of ctx.stdin) ctx.stdout(chunk as Buffer);
      return 0;
    case 'id':
      if (args[0] === '-u') {
        ctx.stdout(`${ctx.uid}\n`);
        return 0;
      }
      ctx.stdout(`uid=${ctx.uid} gid=${ctx.uid} groups=${ctx.uid}\n`);
      return 0;
    case 'env': {
      // env [NAME=VALUE]... [COMMAND [ARG]...] as coreutils and busybox have it: the command runs
      // with the variables added (Berth's Kubernetes exec sets TERM so); without one, env prints them
      let i = 0;
      const env = { ...ctx.env };
      for (; i < args.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(args[i]!); i++) {
        const at = args[i]!.indexOf('=');
        env[args[i]!.slice(0, at)] = args[i]!.slice(at + 1);
      }
      if (i < args.length) {
        try {
          return await runOne({ ...ctx, env }, args.slice(i));
        } catch (e) {
          if (!(e instanceof ExecStartError)) throw e;
          ctx.stderr(`env: '${args[i]!}': No such file or directory\n`);
          return 127;
        }
      }
      ctx.stdout(
        Object.entries(env)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
      return 0;
    }
    case 'stty':
      if (args[0] === 'size') {
        const s = ctx.size() ?? { width: 80, height: 24 };
        ctx.stdout(`${s.height} ${s.width}\n`);
        return 0;
      }
      return 0;
    case 'sleep': {
      const secs = Number(args[0] ?? '0');
      try {
        await sleep(secs * 1000, undefined, { signal: ctx.signal });
        return 0;
      } catch {
        return 137;
      }
    }
    case 'sh':
    case 'bash':
    case 'ash':
      if (args[0] === '-c') return runScript(ctx, args[1] ?? '');
      return interactive(ctx);
    default:
      throw new ExecStartError(
        `failed to exec in container: OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd}": executable file not found in $PATH: unknown`,
      );
  }
}

/** A one-line script: `exit N`, or one of the commands above with simple word splitting. */
async function runScript(ctx: ExecContext, script: string): Promise<number> {
  const s = script.trim();
  const m = /^exit(?:\s+(\d+))?$/.exec(s);
  if (m) return Number(m[1] ?? '0');
  if (s === '') return 0;
  const words = [...s.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((w) => w[1] ?? w[2] ?? w[3] ?? '');
  try {
    return await runOne(ctx, words);
  } catch (e) {
    if (e instanceof ExecStartError) {
      ctx.stderr(`sh: ${words[0] ?? ''}: not found\n`);
      return 127;
    }
    throw e;
  }
}

/** An interactive shell: a prompt on a tty, one script per line, `exit N` ends it. */
async function interactive(ctx: ExecContext): Promise<number> {
  const prompt = () => ctx.tty && ctx.stdout('$ ');
  prompt();
  const lines = createInterface({ input: ctx.stdin, crlfDelay: Infinity });
  for await (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (ctx.tty) ctx.stdout(`${line}\r\n`);
    const m = /^\s*exit(?:\s+(\d+))?\s*$/.exec(line);
    if (m) return Number(m[1] ?? '0');
    const sub: ExecContext = { ...ctx, stdin: new PassThrough().end() };
    await runScript(sub, line);
    prompt();
  }
  return 0;
}

/** The default exec handler (see the module comment). */
export const defaultExecHandler: ExecHandler = (ctx) => runOne(ctx, ctx.command);

/** The `Status` the server sends on channel 3 when a command ends. */
export function exitStatus(command: string[], exitCode: number): Obj {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** Drives one exec session over an accepted WebSocket. */
export function serveExec(
  ws: WebSocket,
  opts: {
    handler: ExecHandler;
    base: Omit<ExecContext, 'stdin' | 'stdout' | 'stderr' | 'signal' | 'size'>;
    wantStdin: boolean;
    wantStdout: boolean;
    wantStderr: boolean;
    /** Aborted when the pod stops or the container is killed. */
    podSignal: AbortSignal;
  },
): void {
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  const stdin = new PassThrough();
  if (!opts.wantStdin) stdin.end();
  const abort = new AbortController();
  const signal = AbortSignal.any([abort.signal, opts.podSignal]);
  let size: { width: number; height: number } | undefined;
  const send = (channel: number, data: string | Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    ws.send(Buffer.concat([Buffer.from([channel]), body]));
  };
  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    const data = isBinary ? raw : Buffer.from(raw);
    if (data.length === 0) return;
    const channel = data[0]!;
    const body = data.subarray(1);
    if (channel === 0) {
      if (opts.wantStdin && !stdin.writableEnded) stdin.write(body);
    } else if (channel === 4) {
      try {
        const s = JSON.parse(body.toString('utf8')) as { Width?: number; Height?: number };
        size = { width: Number(s.Width ?? 0), height: Number(s.Height ?? 0) };
      } catch {
        /* a malformed resize is ignored, as the kubelet does */
      }
    } else if (channel === 255 && v5 && body[0] === 0) {
      stdin.end();
    }
  });
  ws.on('close', () => {
    stdin.end();
    abort.abort();
  });
  const ctx: ExecContext = {
    ...opts.base,
    stdin,
    stdout: (d) => opts.wantStdout && send(1, d),
    stderr: (d) => (opts.base.tty ? opts.wantStdout && send(1, d) : opts.wantStderr && send(2, d)),
    signal,
    size: () => size,
  };
  opts
    .handler(ctx)
    .then(
      (code) =>
        signal.aborted && opts.podSignal.aborted
          ? exitStatus(opts.base.command, 137)
          : exitStatus(opts.base.command, code),
      (e: Error) =>
        e instanceof ExecStartError
          ? {
              metadata: {},
              status: 'Failure',
              message: `Internal error occurred: error executing command in container: ${e.message}`,
              reason: 'InternalError',
              details: { causes: [{ message: e.message }] },
              code: 500,
            }
          : {
              metadata: {},
              status: 'Failure',
              message: `Internal error occurred: ${e.message}`,
              reason: 'InternalError',
              code: 500,
            },
    )
    .then((status) => {
      send(3, JSON.stringify(status));
      if (ws.readyState === ws.OPEN) ws.close(1000);
    })
    .catch(() => ws.terminate());
}
