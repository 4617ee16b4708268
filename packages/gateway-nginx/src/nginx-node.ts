import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { upstreamsFileName } from './main-renderer';
import { streamFileName } from './stream-renderer';
import { controlDir, controlSocketPath, withControlSocket } from './dynamic-upstreams';

/** The result of `nginx -t`: ok, or Nginx's own message. */
export type ValidationResult = { ok: true } | { ok: false; message: string };

/** A rendered configuration: the main file and the endpoints file it includes. */
export interface RenderedConfig {
  main: string;
  upstreams: string;
  /** stream.conf (TCP/UDP entry points), when the main file includes it. */
  stream?: string | null | undefined;
}

const subdirs = ['conf', 'logs', 'tmp'];

/** Creates the prefix layout Nginx expects (conf, logs, temp paths). */
export async function ensurePrefix(prefix: string): Promise<void> {
  for (const d of subdirs) await mkdir(path.join(prefix, d), { recursive: true });
}

function run(bin: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 120_000, maxBuffer: 4 << 20 }, (err, _stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stderr: err && !stderr ? err.message : stderr });
    });
  });
}

/** Drops the alert Nginx prints before it has read the configured error_log (runtime-notes §7). */
function nginxMessage(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.includes('could not open error log file'))
    .map((l) => l.replace(/^nginx: /, ''))
    .join('\n');
}

/**
 * Validates a configuration with `nginx -t` in a scratch prefix, so that a test never touches the
 * running node's files. argv only.
 */
export async function validateConfig(
  nginxBin: string,
  scratch: string,
  cfg: RenderedConfig,
): Promise<ValidationResult> {
  await ensurePrefix(scratch);
  const conf = path.join(scratch, 'conf', 'nginx.conf');
  // `nginx -t` binds the control socket of a dynamic file: give it one in the scratch prefix
  await mkdir(path.join(scratch, controlDir), { recursive: true, mode: 0o700 });
  await writeFile(
    path.join(scratch, 'conf', upstreamsFileName),
    withControlSocket(cfg.upstreams, controlSocketPath(scratch)),
  );
  if (cfg.stream) await writeFile(path.join(scratch, 'conf', streamFileName), cfg.stream);
  await writeFile(conf, cfg.main);
  const r = await run(nginxBin, ['-t', '-q', '-p', `${scratch}/`, '-c', conf]);
  if (r.code === 0) return { ok: true };
  return { ok: false, message: nginxMessage(r.stderr) || `nginx -t exited with code ${r.code}` };
}

/**
 * One Nginx node on this machine with its own prefix and pid file. Installing writes each file
 * next to its target and renames it (atomic per file); the master reads both only when it gets
 * HUP, so it never sees a half-written pair.
 */
export class LocalNginxNode {
  readonly confFile: string;
  readonly pidFile: string;
  constructor(
    readonly prefix: string,
    readonly nginxBin = '/usr/sbin/nginx',
  ) {
    this.confFile = path.join(prefix, 'conf', 'nginx.conf');
    this.pidFile = path.join(prefix, 'logs', 'nginx.pid');
  }

  /** argv that runs this node in the foreground (the config says `daemon off;`). */
  argv(): string[] {
    return ['-p', `${this.prefix}/`, '-c', this.confFile];
  }

  /** Writes the files; `main: null` keeps the main file (an endpoint-only change). */
  async install(cfg: { main: string | null; upstreams: string; stream?: string | null }): Promise<void> {
    await ensurePrefix(this.prefix);
    const write = async (file: string, text: string) => {
      const tmp = `${file}.next`;
      await writeFile(tmp, text);
      await rename(tmp, file);
    };
    await write(path.join(this.prefix, 'conf', upstreamsFileName), cfg.upstreams);
    if (cfg.stream) await write(path.join(this.prefix, 'conf', streamFileName), cfg.stream);
    if (cfg.main !== null) await write(this.confFile, cfg.main);
  }

  /** The installed endpoints file, or null. */
  readUpstreams(): Promise<string | null> {
    return readFile(path.join(this.prefix, 'conf', upstreamsFileName), 'utf8').catch(() => null);
  }

  /** The installed main and endpoints files (null when missing). */
  async readInstalled(): Promise<{ main: string | null; upstreams: string | null }> {
    return {
      main: await readFile(this.confFile, 'utf8').catch(() => null),
      upstreams: await this.readUpstreams(),
    };
  }

  /** The installed stream.conf, or null. */
  readStream(): Promise<string | null> {
    return readFile(path.join(this.prefix, 'conf', streamFileName), 'utf8').catch(() => null);
  }

  /** Whether the main file exists. */
  hasConfig(): Promise<boolean> {
    return access(this.confFile).then(
      () => true,
      () => false,
    );
  }

  /**
   * The master's pid, or null when the node is not running. The pid file is read synchronously
   * (a few bytes): every endpoint push asks first, and an asynchronous read (open, stat, read,
   * close) waited four turns of a busy event loop ahead of the push.
   */
  async pid(): Promise<number | null> {
    let text = '';
    try {
      text = readFileSync(this.pidFile, 'utf8');
    } catch {
      // no pid file: not running
    }
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }

  /** The master's worker pids (Linux: /proc/PID/task/PID/children). */
  private async workers(pid: number): Promise<Set<string>> {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
    return new Set(text.split(/\s+/).filter(Boolean));
  }

  /**
   * Sends HUP (not `nginx -s reload`, which parses the whole configuration once more before
   * signalling) and waits until the master has started new workers and the old ones have gone
   * (they close their listeners first), so new connections then see the new configuration.
   * Returns "not-running" when no master runs (the files are used when it starts) and
   * "timeout" when no new worker appeared in time.
   */
  async reload(timeoutMs = 30_000): Promise<'reloaded' | 'not-running' | 'timeout'> {
    const pid = await this.pid();
    if (pid === null) return 'not-running';
    const before = await this.workers(pid);
    process.kill(pid, 'SIGHUP');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      const now = await this.workers(pid);
      if ([...now].some((w) => !before.has(w))) {
        // The master signals the old workers about 100 ms after it started the new ones; wait
        // until they are gone (or at most 300 ms, for old workers held by long connections).
        const until = Date.now() + 300;
        while (Date.now() < until && [...(await this.workers(pid))].some((w) => before.has(w))) {
          await new Promise((r) => setTimeout(r, 10));
        }
        return 'reloaded';
      }
    }
    return 'timeout';
  }
}
