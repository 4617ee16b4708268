/**
 * One real Berth server process for the soak (`node --import tsx packages/server/src/main.ts`),
 * started on a fixed data dir and ports so that a restart after `kill -9` finds its own state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface BerthProcessOptions {
  root: string;
  dataDir: string;
  apiPort: number;
  gatewayListen: string;
  registryListen: string;
  instanceId: string;
  podmanSocket: string;
  adminPassword: string;
  logFile: string;
  /** More settings (BERTH_…) for this server; they win over the soak's. */
  env?: Record<string, string>;
}

/** Thrown by a check to stop `until` at once (the thing waited for can no longer happen). */
export class GiveUp extends Error {}

/** Resolves when `check` is true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function until(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
  );
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

export class BerthProcess {
  private child: ChildProcess | null = null;

  constructor(private readonly o: BerthProcessOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.o.apiPort}`;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Starts the server and waits (bounded) until /api/health answers. */
  async start(timeoutMs = 90_000): Promise<void> {
    if (this.child) throw new Error('the soak server is already running');
    const fd = openSync(this.o.logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], {
      cwd: this.o.root,
      stdio: ['ignore', fd, fd],
      env: {
        ...process.env,
        BERTH_DATA_DIR: this.o.dataDir,
        BERTH_LISTEN: `127.0.0.1:${this.o.apiPort}`,
        BERTH_PODMAN_SOCKET: this.o.podmanSocket,
        BERTH_INSTANCE_ID: this.o.instanceId,
        BERTH_ADMIN_PASSWORD: this.o.adminPassword,
        BERTH_GATEWAY_LISTEN: this.o.gatewayListen,
        BERTH_GATEWAY_TLS_LISTEN: 'off',
        BERTH_REGISTRY_LISTEN: this.o.registryListen,
        BERTH_RECONCILE_INTERVAL_MS: '250',
        BERTH_STATS_INTERVAL_MS: '5000',
        BERTH_LOG_LEVEL: 'warn',
        // no Prometheus/Alertmanager/blackbox on their default ports, no gateway metrics listener:
        // several of these servers (and other tests) share the machine
        BERTH_MONITORING: 'off',
        BERTH_GATEWAY_METRICS_LISTEN: 'off',
        ...this.o.env,
      },
    });
    closeSync(fd);
    this.child = child;
    let exited: string | null = null;
    child.once('exit', (code, signal) => {
      exited = `exited (code ${code}, signal ${signal})`;
      if (this.child === child) this.child = null;
    });
    await until(
      async () => {
        if (exited) throw new GiveUp(`the server ${exited}; see ${this.o.logFile}`);
        return (await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(2000) })).ok;
      },
      'the restarted server to answer /api/health',
      timeoutMs,
      100,
    ).catch(async (err: unknown) => {
      await this.kill9();
      throw err;
    });
  }

  /** SIGKILL: no shutdown code runs. Resolves once the process is gone. */
  kill9(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  }

  /** SIGTERM (Berth stops its helpers, Nginx included), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (c && c.exitCode === null && c.signalCode === null) {
      const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    }
    // The local Nginx outlives a killed Berth (it is reused on restart); stop it by its pid file.
    const pidFile = path.join(this.o.dataDir, 'gateway', 'local', 'logs', 'nginx.pid');
    let pid = NaN;
    try {
      pid = Number(readFileSync(pidFile, 'utf8').trim());
    } catch {
      // no pid file: no Nginx left
    }
    // Only the Nginx of this data dir (its command line names its prefix), never a reused pid.
    if (Number.isInteger(pid) && pid > 1 && cmdline(pid).includes(this.o.dataDir)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}
