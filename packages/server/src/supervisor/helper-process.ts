import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import type { FastifyBaseLogger } from 'fastify';
import { sleep } from '../util';

export interface HelperSpec {
  name: string;
  /** argv: never a shell string. */
  command: string;
  args: string[];
  logFile: string;
  /** Working directory; helpers run in the data dir, not wherever Berth was started. */
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Resolves true when the helper answers. */
  ready(): Promise<boolean>;
  /** Runs right before each start (the previous process, if any, has exited). */
  beforeSpawn?: () => void;
}

/**
 * Runs one helper process (podman service, registry, …) for `berth up`: starts it unless one
 * already answers (a previous Berth may have left it running), restarts it with back-off if it
 * dies, and stops it on shutdown.
 */
export class HelperProcess {
  private child: ChildProcess | null = null;
  private stopping = false;
  /** Down on purpose for maintenance (whileStopped): not restarted meanwhile. */
  private paused = false;
  private restarts = 0;

  constructor(
    private readonly spec: HelperSpec,
    private readonly log: FastifyBaseLogger,
  ) {}

  async start(timeoutMs = 20_000): Promise<void> {
    if (await this.spec.ready().catch(() => false)) {
      this.log.info(`${this.spec.name}: already running, reusing it`);
      return;
    }
    this.spawn();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.spec.ready().catch(() => false)) return;
      await sleep(100);
    }
    throw new Error(
      `${this.spec.name} did not become ready within ${timeoutMs / 1000}s; see ${this.spec.logFile}`,
    );
  }

  private spawn(): void {
    this.spec.beforeSpawn?.();
    const fd = openSync(this.spec.logFile, 'a');
    const child = spawn(this.spec.command, this.spec.args, {
      stdio: ['ignore', fd, fd],
      env: this.spec.env ?? process.env,
      // conmon, started by the podman service, writes files (e.g. "oom") into its working directory.
      cwd: this.spec.cwd,
      detached: false,
    });
    closeSync(fd);
    this.child = child;
    child.on('exit', (code, signal) => {
      this.child = null;
      if (this.stopping || this.paused) return;
      this.restarts += 1;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(this.restarts, 6));
      this.log.warn(`${this.spec.name} exited (code ${code}, signal ${signal}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (!this.stopping && !this.paused) this.spawn();
      }, delay).unref();
    });
    child.on('error', (err) => this.log.error({ err }, `${this.spec.name} could not start`));
  }

  /**
   * Berth is shutting down: an exit from now on is final, not restarted. (Ctrl-C signals the whole
   * process group, so the helpers exit by themselves while the server is still closing.)
   */
  retire(): void {
    this.stopping = true;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.terminate();
  }

  /** True when this process started the helper (and so may stop and restart it). */
  get owned(): boolean {
    return this.child !== null && this.child.exitCode === null;
  }

  /**
   * Stops the helper, runs `fn` while it is down (offline maintenance such as the registry's
   * garbage-collect), then starts it again and waits until it answers, whatever `fn` did.
   */
  async whileStopped<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
    if (!this.owned || this.stopping || this.paused)
      throw new Error(`${this.spec.name} is not running under Berth's supervision`);
    this.paused = true;
    try {
      await this.terminate();
      return await fn();
    } finally {
      this.paused = false;
      this.restarts = 0;
      // Berth may have begun shutting down meanwhile; then the helper stays down.
      if (!this.stopping) await this.start(timeoutMs);
    }
  }

  private async terminate(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/**
 * Helpers this process supervises, by data dir and name, so a module can reach the one it
 * maintains (the registry module pauses the registry for garbage collection).
 */
const supervised = new Map<string, HelperProcess>();

export function registerSupervised(dataDir: string, name: string, helper: HelperProcess): void {
  supervised.set(`${dataDir}\0${name}`, helper);
}

export function supervisedHelper(dataDir: string, name: string): HelperProcess | null {
  return supervised.get(`${dataDir}\0${name}`) ?? null;
}
