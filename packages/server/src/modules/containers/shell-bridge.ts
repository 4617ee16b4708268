import type { FastifyBaseLogger } from 'fastify';
import { WebSocket, type RawData } from 'ws';
import { z } from 'zod';
import type { ExecSession } from '@berth/engine-api';
import { nowIso } from '../../util';
import { ShellRecorder } from './shell-recorder';
import type { ShellSessionsRepository } from './shell-sessions.repository';

const eofSchema = z.object({ type: z.literal('eof') });
const resizeSchema = z.object({
  type: z.literal('resize'),
  cols: z.number().int().min(1).max(1000),
  rows: z.number().int().min(1).max(1000),
});

/** Control messages are text frames starting with this; everything else is keyboard input. */
const controlPrefix = Buffer.from('{"type":');
const flushEveryMs = 5000;
const pingEveryMs = 30_000;
/** Stop reading the process while this much output waits for a slow client. */
const highWaterBytes = 4 * 1024 * 1024;
const lowWaterBytes = 1024 * 1024;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(null), ms);
    p.then(
      (v) => resolve(v),
      () => resolve(null),
    ).finally(() => clearTimeout(t));
  });
}

export interface ShellBridgeDeps {
  sessions: ShellSessionsRepository;
  log: FastifyBaseLogger;
}

/**
 * Connects a WebSocket to an exec session: frames in → stdin, output → binary frames, resize
 * control messages → the engine, and an `{"type":"exit","code":N}` frame when the process ends.
 * Records the session and stores the recording every few seconds and at the end.
 */
export class ShellBridge {
  /** Resolves when the session is over and its record is complete. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly recorder = new ShellRecorder();
  private ending = false;
  private paused = false;
  private alive = true;
  private writes: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly exec: ExecSession,
    private readonly sessionId: string,
    private readonly deps: ShellBridgeDeps,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  start(): void {
    const { ws, exec } = this;
    exec.stream.on('data', (chunk: Buffer | string) => this.toClient(Buffer.from(chunk)));
    exec.stderr?.on('data', (chunk: Buffer | string) => this.toClient(Buffer.from(chunk)));
    exec.stream.once('end', () => void this.finish('exited'));
    exec.stream.once('close', () => void this.finish('exited'));
    exec.stream.on('error', (err) => {
      this.deps.log.debug({ err, session: this.sessionId }, 'shell exec stream failed');
      void this.finish('exited');
    });
    ws.on('message', (data, isBinary) => this.fromClient(toBuffer(data), isBinary));
    ws.on('close', () => void this.finish('client'));
    ws.on('error', (err) => this.deps.log.debug({ err, session: this.sessionId }, 'shell websocket failed'));
    ws.on('pong', () => (this.alive = true));
    this.timers.push(
      setInterval(() => {
        // A client that stopped answering pings is gone even if no FIN ever arrived.
        if (!this.alive) return ws.terminate();
        this.alive = false;
        ws.ping();
      }, pingEveryMs),
      setInterval(() => this.flush(), flushEveryMs),
    );
  }

  /** Ends the session from the server side (shutdown). */
  terminate(): Promise<void> {
    void this.finish('shutdown');
    return this.done;
  }

  private fromClient(data: Buffer, isBinary: boolean): void {
    if (this.ending) return;
    if (!isBinary && data.subarray(0, controlPrefix.length).equals(controlPrefix)) {
      this.control(data);
      return;
    }
    this.recorder.input(data);
    this.exec.stream.write(data);
  }

  private control(data: Buffer): void {
    let message: unknown;
    try {
      message = JSON.parse(data.toString('utf8'));
    } catch {
      return;
    }
    if (eofSchema.safeParse(message).success) {
      // The client has no more input (a piped script): close stdin, keep reading output.
      this.exec.stream.end();
      return;
    }
    const resize = resizeSchema.safeParse(message);
    if (!resize.success) return;
    this.exec.resize(resize.data.cols, resize.data.rows).catch((err: unknown) => {
      this.deps.log.debug({ err, session: this.sessionId }, 'shell resize failed');
    });
  }

  private toClient(chunk: Buffer): void {
    this.recorder.output(chunk);
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(chunk, { binary: true }, () => {
      if (this.paused && this.ws.bufferedAmount < lowWaterBytes) {
        this.paused = false;
        this.exec.stream.resume();
      }
    });
    if (!this.paused && this.ws.bufferedAmount > highWaterBytes) {
      this.paused = true;
      this.exec.stream.pause();
    }
  }

  /** Queues the recording since the last flush; writes stay in order. */
  private flush(): void {
    const text = this.recorder.drain();
    if (!text) return;
    this.writes = this.writes
      .then(() => this.deps.sessions.append(this.sessionId, text))
      .catch((err: unknown) =>
        this.deps.log.warn({ err, session: this.sessionId }, 'storing a shell recording failed'),
      );
  }

  private async finish(by: 'exited' | 'client' | 'shutdown'): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    for (const t of this.timers) clearInterval(t);
    if (by !== 'exited') {
      // The user left (or the server stops): end the process rather than leave it orphaned.
      this.exec.stream.end();
      this.exec.close();
    }
    const code = await within(this.exec.exitCode(), by === 'exited' ? 5000 : 2000);
    if (by === 'exited') this.exec.close();
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: 'exit', code }));
      this.ws.close(
        by === 'shutdown' ? 1001 : 1000,
        by === 'shutdown' ? 'server shutting down' : 'process exited',
      );
    }
    this.recorder.finish();
    this.flush();
    this.writes = this.writes
      .then(() => this.deps.sessions.finish(this.sessionId, nowIso(), code))
      .catch((err: unknown) =>
        this.deps.log.warn({ err, session: this.sessionId }, 'closing a shell session record failed'),
      );
    await this.writes;
    this.resolveDone();
  }
}
