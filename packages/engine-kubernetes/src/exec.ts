/**
 * `pods/exec` over a WebSocket with the channel protocol: every frame starts with a channel byte —
 * 0 stdin, 1 stdout, 2 stderr, 3 the final Status (JSON), 4 terminal resize (JSON
 * `{Width, Height}`), and in v5 only 255 "close channel N". client-node offers
 * `v5.channel.k8s.io` first, then `v4.channel.k8s.io` (and older ones); the server picks the
 * highest it knows, so a server without v5 (Kubernetes < 1.30) falls back to v4 by itself.
 * Berth refuses anything older than v4 (no Status channel, so no exit code).
 *
 * Differences from Podman's exec, written in docs/kubernetes.md:
 * - Stdin EOF: v5 sends "close channel 0" (255, 0) and the process reads EOF (`cat` ends). v4 has
 *   no way to close stdin alone: ending the stream does nothing, the process keeps waiting for
 *   input until the session is closed.
 * - No user switch: Kubernetes runs exec as the container's user. A user that is not the pod's
 *   (root, or another uid than its `runAsUser`) is refused with an EngineError.
 * - No kill: Kubernetes has no "kill this exec". Closing the socket closes stdin and the terminal —
 *   a shell on a TTY gets SIGHUP and ends; a process without a TTY that does not read stdin runs
 *   on to its own end inside the container. `execRun`'s timeout does exactly that.
 * - `env` and `workingDir` are not exec options on Kubernetes: the command is wrapped in `env`
 *   (and `sh -c 'cd …'`), which the image must have.
 * - TTY: stdout and stderr come merged on channel 1, like a terminal.
 */
import { Duplex, PassThrough } from 'node:stream';
import type { ExecOptions, ExecResult, ExecSession } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import type { KubeClient } from './client';
import { kubeError, type KubeStatus } from './errors';
import type { Pod } from './kube-types';
import { appContainer, podContainer } from './observation';

type Socket = Awaited<ReturnType<KubeClient['websocket']>>;

const channel = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;
const v5 = 'v5.channel.k8s.io';
const v4 = 'v4.channel.k8s.io';

/** Output kept per stream by execRun (a chatty health check must not grow memory without bound). */
const maxOutputBytes = 64 * 1024;

/** The uid a pod's container runs as when its spec says so (else the image's user: unknown). */
function podUid(pod: Pod): number | undefined {
  return podContainer(pod)?.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
}

/**
 * Refuses a user Kubernetes exec cannot give: root when the pod is not root, another uid than the
 * pod's `runAsUser`. A non-root user asked of a pod that runs as its image's user passes (the
 * image's user is not known here); the command runs as the pod's user all the same.
 */
export function checkExecUser(pod: Pod, user: string | undefined, target?: ExecTarget): void {
  if (!user) return;
  if (target) return checkEphemeralUser(pod, user, target);
  const name = user.split(':')[0]!;
  const asked = /^\d+$/.test(name) ? Number(name) : name === 'root' ? 0 : undefined;
  const uid = podUid(pod);
  const runsAsRoot = uid === 0 || (uid === undefined && pod.spec?.securityContext?.runAsNonRoot === false);
  if (asked === 0 && !runsAsRoot) {
    throw new EngineError(
      `Kubernetes exec cannot switch user: pod ${pod.metadata.name} runs as ${uid ?? "its image's non-root user"}, and a shell as root was asked. Open the shell without root (it runs as the pod's user), or give the service the permission to run as root.`,
      { pod: pod.metadata.name, user },
    );
  }
  if (asked !== undefined && asked !== 0 && uid !== undefined && asked !== uid) {
    throw new EngineError(
      `Kubernetes exec cannot switch user: pod ${pod.metadata.name} runs as uid ${uid}, and uid ${asked} was asked. Exec runs as the pod's user; ask for ${uid} or none.`,
      { pod: pod.metadata.name, user },
    );
  }
}

/**
 * The container of a pod an exec runs in when it is not the pod's app container: an ephemeral
 * (debug) container, which runs as the user it was added with (debug.ts).
 */
export interface ExecTarget {
  container: string;
  uid: number | undefined;
}

/** An ephemeral container runs as the user it was added with: root only when it was added as root. */
function checkEphemeralUser(pod: Pod, user: string, target: ExecTarget): void {
  const name = user.split(':')[0]!;
  const asked = /^\d+$/.test(name) ? Number(name) : name === 'root' ? 0 : undefined;
  if (asked === 0 && target.uid !== 0)
    throw new EngineError(
      `Kubernetes exec cannot switch user: container ${target.container} of pod ${pod.metadata.name} runs as ${target.uid ?? "its image's user"}, and root was asked. Start a debug container as root instead.`,
      { pod: pod.metadata.name, user },
    );
}

/** The command with `env` and `workingDir` folded in (exec has neither). */
export function wrapCommand(opts: Pick<ExecOptions, 'cmd' | 'env' | 'workingDir'>): string[] {
  let cmd = opts.cmd;
  const env = Object.entries(opts.env ?? {});
  if (env.length) cmd = ['env', ...env.map(([k, v]) => `${k}=${v}`), ...cmd];
  if (opts.workingDir) cmd = ['sh', '-c', 'cd -- "$0" && exec "$@"', opts.workingDir, ...cmd];
  return cmd;
}

/** The exit code a channel-3 Status carries: Success 0, NonZeroExitCode its ExitCode cause. */
export function exitCodeOf(status: KubeStatus): { code: number | null; message: string | null } {
  if (status.status === 'Success') return { code: 0, message: null };
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (status.reason === 'NonZeroExitCode' && cause?.message !== undefined) {
    const n = Number(cause.message);
    return { code: Number.isInteger(n) ? n : null, message: null };
  }
  // The command could not start (not found, not executable): what a shell answers for it.
  const msg = status.message ?? 'exec failed';
  return { code: /not found|no such file/i.test(msg) ? 127 : 126, message: msg };
}

function frame(ch: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([ch]), body]);
}

/** The path of an exec request. */
function execPath(
  namespace: string,
  pod: string,
  cmd: string[],
  tty: boolean,
  stdin: boolean,
  container = appContainer,
): string {
  const q = new URLSearchParams();
  for (const c of cmd) q.append('command', c);
  q.set('container', container);
  q.set('stdin', String(stdin));
  q.set('stdout', 'true');
  q.set('stderr', String(!tty));
  q.set('tty', String(tty));
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec?${q.toString()}`;
}

/** Opens the socket; an HTTP refusal of the upgrade becomes the mapped Kubernetes error. */
async function connect(
  client: KubeClient,
  namespace: string,
  pod: string,
  path: string,
  onBinary: (ch: number, data: Buffer) => boolean,
): Promise<Socket> {
  let ws: Socket;
  try {
    ws = await client.websocket(path, onBinary);
  } catch (err) {
    const text = err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err);
    const status = /Unexpected server response: (\d+)/.exec(text)?.[1];
    const ctx = { verb: 'create', resource: 'pods/exec', namespace, name: pod };
    if (status) throw kubeError(Number(status), undefined, ctx, client.cluster);
    throw new EngineError(
      `Kubernetes cluster ${client.cluster} did not open an exec session in pod ${pod} (namespace ${namespace}): ${text}`,
    );
  }
  if (ws.protocol !== v5 && ws.protocol !== v4) {
    ws.close();
    throw new EngineError(
      `Kubernetes cluster ${client.cluster} answered exec with the protocol "${ws.protocol}"; Berth needs ${v5} or ${v4} (Kubernetes ≥ 1.4).`,
    );
  }
  return ws;
}

/** An interactive session (the web shell, `berth exec`). */
export async function openExec(
  client: KubeClient,
  pod: Pod,
  opts: ExecOptions,
  target?: ExecTarget,
): Promise<ExecSession> {
  checkExecUser(pod, opts.user, target);
  const namespace = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name;
  const stderr = new PassThrough();
  let ws: Socket | null = null;
  let resolveExit!: (code: number | null) => void;
  const exit = new Promise<number | null>((resolve) => (resolveExit = resolve));
  let exited = false;
  const stream = new Duplex({
    read() {
      ws?.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (!ws || ws.readyState !== ws.OPEN) return callback();
      ws.send(frame(channel.stdin, chunk), (err?: Error) => callback(err ?? null));
    },
    final(callback) {
      // v5: the process reads EOF. v4 cannot close stdin alone (top comment): nothing happens.
      if (ws?.protocol === v5 && ws.readyState === ws.OPEN)
        ws.send(Buffer.from([channel.close, channel.stdin]), () => callback());
      else callback();
    },
    destroy(err, callback) {
      ws?.close();
      callback(err);
    },
  });
  const onBinary = (ch: number, data: Buffer): boolean => {
    // Backpressure as on Podman: stop reading the socket until the consumer asks for more.
    if (ch === channel.stdout || (ch === channel.stderr && opts.tty)) {
      if (!stream.push(data)) ws?.pause();
    } else if (ch === channel.stderr) stderr.write(data);
    else if (ch === channel.status) {
      let status: KubeStatus = {};
      try {
        status = JSON.parse(data.toString('utf8')) as KubeStatus;
      } catch {
        status = { status: 'Failure', message: data.toString('utf8') };
      }
      const { code, message } = exitCodeOf(status);
      if (message && !opts.tty) stderr.write(`${message}\n`);
      else if (message) stream.push(`${message}\r\n`);
      exited = true;
      resolveExit(code);
    }
    return true;
  };
  ws = await connect(
    client,
    namespace,
    name,
    execPath(namespace, name, wrapCommand(opts), opts.tty, true, target?.container),
    onBinary,
  );
  const socket = ws;
  socket.on('close', () => {
    if (!exited) resolveExit(null);
    stream.push(null);
    stderr.end();
  });
  const resize = async (cols: number, rows: number): Promise<void> => {
    if (socket.readyState === socket.OPEN)
      socket.send(frame(channel.resize, JSON.stringify({ Width: cols, Height: rows })));
  };
  if (opts.tty && opts.cols && opts.rows) await resize(opts.cols, opts.rows);
  const session: ExecSession = {
    stream,
    resize,
    exitCode: () => exit,
    close: () => socket.close(),
  };
  if (!opts.tty) session.stderr = stderr;
  return session;
}

/** Runs a command to completion (exec probes); at the timeout: exit -1, "timed out", socket closed. */
export async function runExec(
  client: KubeClient,
  pod: Pod,
  cmd: string[],
  opts: { timeoutMs: number; user?: string },
  target?: ExecTarget,
): Promise<ExecResult> {
  checkExecUser(pod, opts.user, target);
  const namespace = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name;
  const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const size = { stdout: 0, stderr: 0 };
  const keep = (s: 'stdout' | 'stderr', b: Buffer) => {
    if (size[s] >= maxOutputBytes) return;
    out[s].push(b);
    size[s] += b.length;
  };
  let result: { code: number | null; message: string | null } | null = null;
  let ended: (() => void) | null = null;
  const onBinary = (ch: number, data: Buffer): boolean => {
    if (ch === channel.stdout) keep('stdout', data);
    else if (ch === channel.stderr) keep('stderr', data);
    else if (ch === channel.status) {
      try {
        result = exitCodeOf(JSON.parse(data.toString('utf8')) as KubeStatus);
      } catch {
        result = { code: -1, message: data.toString('utf8') };
      }
      // The Status is the last frame (output comes before it on the same socket): done, even
      // if the server is slow to close.
      ended?.();
      return false;
    }
    return true;
  };
  const deadline = Date.now() + opts.timeoutMs;
  const ws = await connect(
    client,
    namespace,
    name,
    execPath(namespace, name, cmd, false, false, target?.container),
    onBinary,
  );
  const timedOut = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()));
    ended = () => {
      clearTimeout(timer);
      resolve(false);
    };
    if (result) ended();
    ws.on('close', ended);
  });
  const text = (s: 'stdout' | 'stderr') => Buffer.concat(out[s]).toString('utf8');
  if (timedOut) {
    // Kubernetes cannot kill an exec (top comment): the socket closes, the process may run on.
    ws.close();
    return { exitCode: -1, stdout: text('stdout'), stderr: 'timed out' };
  }
  const r = result as { code: number | null; message: string | null } | null;
  if (r?.message) keep('stderr', Buffer.from(r.message));
  return { exitCode: r?.code ?? -1, stdout: text('stdout'), stderr: text('stderr') };
}
