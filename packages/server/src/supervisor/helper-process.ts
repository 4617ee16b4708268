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
}

/**
 * Runs one helper process (podman service, registry, …) for `berth up`: starts it unless one
 * already answers (a previous Berth may have left it running), restarts it with back-off if it
 * dies, and stops it on shutdown.
 */
export class HelperProcess {
  private child: ChildProcess | null = null;
  private stopping = false;
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
      if (this.stopping) return;
      this.restarts += 1;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(this.restarts, 6));
      this.log.warn(`${this.spec.name} exited (code ${code}, signal ${signal}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (!this.stopping) this.spawn();
      }, delay).unref();
    });
    child.on('error', (err) => this.log.error({ err }, `${this.spec.name} could not start`));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
