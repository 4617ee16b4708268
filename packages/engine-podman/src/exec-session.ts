/**
 * Interactive exec over a hijacked connection (`Connection: Upgrade`, `Upgrade: tcp` → 101).
 * With a TTY the socket is the terminal itself (raw bytes both ways); without one, output comes
 * multiplexed and is split into stdout (the session's stream) and stderr.
 */
import { Duplex, PassThrough } from 'node:stream';
import type { ExecOptions, ExecSession } from '@berth/engine-api';
import type { LibpodClient } from './libpod-client';
import { createExec, killExecProcess, waitExecExit } from './exec-process';
import { Demuxer } from './multiplex';

/** Starts `opts.cmd` in the container with stdin attached and hands over the live session. */
export async function openExecSession(
  client: LibpodClient,
  container: string,
  opts: ExecOptions,
): Promise<ExecSession> {
  const execId = await createExec(client, container, {
    cmd: opts.cmd,
    tty: opts.tty,
    stdin: true,
    user: opts.user,
    env: opts.env,
    workingDir: opts.workingDir,
  });
  const size = opts.tty && opts.cols && opts.rows ? { w: opts.cols, h: opts.rows } : {};
  const { socket, head } = await client.upgrade(`/exec/${execId}/start`, {
    Detach: false,
    Tty: opts.tty,
    ...size,
  });
  if (head.length > 0) socket.unshift(head);

  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let exit: Promise<number | null> | undefined;

  const resize = async (cols: number, rows: number): Promise<void> => {
    await client.request('POST', `/exec/${execId}/resize`, { query: { h: rows, w: cols } });
  };

  const session: ExecSession = {
    stream: socket,
    resize,
    exitCode: () => (exit ??= closed.then(() => waitExecExit(client, execId))),
    close: () => {
      socket.destroy();
      // A shell whose terminal went away may keep running inside the container; end it.
      void closed.then(() => killExecProcess(client, execId));
    },
  };

  if (!opts.tty) {
    const { stream, stderr } = demuxSocket(socket);
    session.stream = stream;
    session.stderr = stderr;
  }
  return session;
}

/**
 * Wraps a multiplexed socket: writes go to the process's stdin (ending the stream half-closes
 * the socket, which podman delivers as EOF), reads yield stdout; stderr is a separate stream.
 */
function demuxSocket(socket: Duplex): { stream: Duplex; stderr: PassThrough } {
  const stderr = new PassThrough();
  const demuxer = new Demuxer();
  const stream: Duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    for (const frame of demuxer.push(chunk)) {
      if (frame.stream === 'stderr') stderr.write(frame.payload);
      // Backpressure: stop reading the socket until the consumer asks for more.
      else if (frame.stream === 'stdout' && !stream.push(frame.payload)) socket.pause();
    }
  });
  socket.on('end', () => {
    stream.push(null);
    stderr.end();
  });
  socket.on('error', (err) => stream.destroy(err));
  return { stream, stderr };
}
