import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  installVrrpNotifyScript,
  readVrrpState,
  validateKeepalived,
  type VrrpStateReport,
} from './keepalived';

/*
 * The agent's side of a gateway's virtual IP (docs/gateway.md, "Virtual IP"): Berth renders each
 * node's keepalived.conf with the canonical paths below; the agent puts its own in (the Nginx pid
 * file of its prefix, its notify script and state file), checks the exact text with
 * `keepalived -t`, installs it atomically with the notify script, tells a running keepalived to
 * reload (SIGHUP to the pid of its pid file, no shell), and reports the VRRP state the notify
 * script writes whenever it changes.
 */

/** The paths Berth renders; every agent replaces them with its own. */
export const keepalivedRenderedPaths = {
  nginxPidFile: '/var/lib/berth/gateway/logs/nginx.pid',
  notifyScript: '/usr/local/lib/berth/berth-vrrp-notify',
  stateFile: '/var/lib/berth/vrrp-state.json',
} as const;

export interface AgentKeepalivedOptions {
  /** Where keepalived reads its configuration (e.g. /etc/keepalived/keepalived.conf). */
  confFile: string;
  /** Where the notify script is installed (root-owned directories only; default /usr/local/lib/berth/berth-vrrp-notify). */
  notifyScript?: string | undefined;
  /** The file the notify script writes and the agent reads (default next to confFile: berth-vrrp-state.json). */
  stateFile?: string | undefined;
  /** keepalived's pid file: a live pid there gets SIGHUP after a new configuration (e.g. /run/keepalived.pid). */
  pidFile?: string | undefined;
  /** The Nginx master's pid file the check reads (the agent's PREFIX/logs/nginx.pid). */
  nginxPidFile: string;
  /** Default /usr/sbin/keepalived. */
  bin?: string | undefined;
}

/** The body of an agent's VRRP report (the notify script's state file). */
export interface VrrpReportBody {
  instance: string;
  state: string;
  priority: number;
  at: string;
}

/** Where an agent posts its VRRP state (node token). */
export const vrrpReportPath = '/api/v1/gateway-agent/vrrp';

const pathRe = /^(\/[A-Za-z0-9._-]+)+$/;

/** Why `v` cannot be one of the agent's keepalived paths, or null when it can. */
export function keepalivedPathProblem(v: string): string | null {
  if (!pathRe.test(v) || v.split('/').some((part) => part === '.' || part === '..'))
    return 'must be an absolute path of letters, digits and . _ - / (no . or .. parts)';
  return null;
}

/**
 * The keepalived fields of a `--nodes-file` entry: the per-node form of the `--keepalived-*`
 * flags of a single-node agent.
 */
export const nodeKeepalivedFields = {
  keepalivedConf: 'confFile',
  keepalivedPidFile: 'pidFile',
  keepalivedNotifyScript: 'notifyScript',
  keepalivedStateFile: 'stateFile',
} as const;

/** A node's keepalived as a nodes file gives it (every path set: the state file has a per-node default). */
export type NodeKeepalivedOptions = Omit<AgentKeepalivedOptions, 'nginxPidFile' | 'bin'> & {
  stateFile: string;
};

/**
 * Reads the keepalived fields of one nodes file entry (already known to be strings, if present).
 * None: the node has no keepalived. The others need `keepalivedConf`. Without
 * `keepalivedStateFile` the state file is `berth-vrrp-state.NAME.json` beside the configuration,
 * so nodes whose configurations share a directory do not share a state file. Errors name the
 * entry and the field.
 */
export function nodeKeepalived(
  e: Record<string, unknown>,
  name: string,
  where: string,
): NodeKeepalivedOptions | undefined {
  const given = (Object.keys(nodeKeepalivedFields) as (keyof typeof nodeKeepalivedFields)[]).filter(
    (k) => e[k] !== undefined,
  );
  if (given.length === 0) return undefined;
  for (const k of given) {
    const problem = keepalivedPathProblem(e[k] as string);
    if (problem) throw new Error(`${where} (${name}): ${k} ${problem}`);
  }
  const confFile = e.keepalivedConf as string | undefined;
  if (confFile === undefined)
    throw new Error(
      `${where} (${name}): ${given.join(', ')} without keepalivedConf: give keepalivedConf (where this node's keepalived reads its configuration) or leave them out`,
    );
  const o: NodeKeepalivedOptions = {
    confFile,
    stateFile:
      (e.keepalivedStateFile as string | undefined) ??
      path.join(path.dirname(confFile), `berth-vrrp-state.${name}.json`),
  };
  if (e.keepalivedPidFile !== undefined) o.pidFile = e.keepalivedPidFile as string;
  if (e.keepalivedNotifyScript !== undefined) o.notifyScript = e.keepalivedNotifyScript as string;
  return o;
}

/** What the agent does with a configuration's keepalived.conf, step by step. */
export class AgentKeepalived {
  private pending: string | null = null;
  private lastReported: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  readonly notifyScript: string;
  readonly stateFile: string;

  constructor(
    private readonly o: AgentKeepalivedOptions,
    private readonly log: (line: string) => void,
  ) {
    this.notifyScript = o.notifyScript ?? keepalivedRenderedPaths.notifyScript;
    this.stateFile = o.stateFile ?? path.join(path.dirname(o.confFile), 'berth-vrrp-state.json');
    for (const [k, v] of [
      ['--keepalived-conf', o.confFile],
      ['--keepalived-notify-script', this.notifyScript],
      ['--keepalived-state-file', this.stateFile],
      ['--keepalived-pid-file', o.pidFile],
      ['nginx pid file', o.nginxPidFile],
    ] as const) {
      const problem = v === undefined ? null : keepalivedPathProblem(v);
      if (problem) throw new Error(`${k} ${problem}`);
    }
  }

  /** The rendered text with this node's paths (only the check and notify lines Berth writes). */
  adapt(rendered: string): string {
    const r = keepalivedRenderedPaths;
    return rendered
      .split('\n')
      .map((line) => {
        if (line === `  script "/usr/bin/pgrep -F ${r.nginxPidFile} -x nginx"`)
          return `  script "/usr/bin/pgrep -F ${this.o.nginxPidFile} -x nginx"`;
        if (line === `  notify "${r.notifyScript} ${r.stateFile}"`)
          return `  notify "${this.notifyScript} ${this.stateFile}"`;
        return line;
      })
      .join('\n');
  }

  /**
   * Checks a configuration's keepalived.conf (undefined: the gateway has no VIP: an installed
   * Berth file is replaced by one without instances, which gives the VIP up). Returns keepalived's
   * message when it refuses the text; nothing is installed until install().
   */
  async prepare(rendered: string | undefined): Promise<{ ok: true } | { ok: false; message: string }> {
    this.pending = null;
    const installed = await readFile(this.o.confFile, 'utf8').catch(() => null);
    const text =
      rendered === undefined
        ? installed === null || !installed.startsWith('# Generated by Berth')
          ? null
          : '# Generated by Berth: this gateway has no virtual IP.\n'
        : this.adapt(rendered);
    if (text === null || text === installed) return { ok: true };
    const v = await validateKeepalived(text, { bin: this.o.bin });
    if (!v.ok) return { ok: false, message: `keepalived -t refused keepalived.conf: ${v.message}` };
    this.pending = text;
    return { ok: true };
  }

  /** Installs what prepare() accepted: the notify script, the file (atomically), then SIGHUP. */
  async install(): Promise<void> {
    const text = this.pending;
    this.pending = null;
    if (text === null) return;
    await mkdir(path.dirname(this.notifyScript), { recursive: true, mode: 0o755 });
    await installVrrpNotifyScript(this.notifyScript);
    await mkdir(path.dirname(this.o.confFile), { recursive: true, mode: 0o755 });
    const tmp = `${this.o.confFile}.next`;
    await writeFile(tmp, text, { mode: 0o644 });
    await chmod(tmp, 0o644);
    await rename(tmp, this.o.confFile);
    const pid = await this.keepalivedPid();
    if (pid !== null) {
      process.kill(pid, 'SIGHUP');
      this.log(`keepalived.conf installed; keepalived (pid ${pid}) reloads it`);
    } else this.log(`keepalived.conf installed at ${this.o.confFile} (no running keepalived to reload)`);
  }

  /** The live pid of keepalived's pid file, or null. */
  private async keepalivedPid(): Promise<number | null> {
    if (!this.o.pidFile) return null;
    const text = await readFile(this.o.pidFile, 'utf8').catch(() => null);
    const pid = text ? Number(text.trim()) : NaN;
    if (!Number.isSafeInteger(pid) || pid <= 1) return null;
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }

  /** The node's VRRP state as the notify script last wrote it. */
  state(): Promise<VrrpStateReport | null> {
    return readVrrpState(this.stateFile);
  }

  /**
   * Watches the state file (every `intervalMs`) and posts each new state to Berth
   * (`POST /api/v1/gateway-agent/vrrp` through `post`); a failed post is retried on the next tick.
   */
  watch(post: (body: VrrpReportBody) => Promise<Response>, intervalMs = 1000): void {
    this.unwatch();
    const tick = async () => {
      const s = await this.state();
      const key = s ? JSON.stringify(s) : null;
      if (s && key !== this.lastReported) {
        try {
          const r = await post({ instance: s.instance, state: s.state, priority: s.priority, at: s.at });
          if (!r.ok) throw new Error(`Berth answered ${r.status}: ${(await r.text()).slice(0, 300)}`);
          this.lastReported = key;
          this.log(`VRRP state ${s.state} (priority ${s.priority}) reported`);
        } catch (err) {
          this.log(`VRRP state not reported: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      if (this.timer) this.timer = setTimeout(() => void tick(), intervalMs);
    };
    this.timer = setTimeout(() => void tick(), 0);
  }

  unwatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
