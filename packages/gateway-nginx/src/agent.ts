import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { GatewayAgentConfig } from '@berth/shared';
import { LocalNginxNode, ensurePrefix, validateConfig } from './nginx-node';
import { adaptStreamListen } from './stream-renderer';
import { hostnameNodeLine, metricsListenProblem, nodeMetricsLine } from './metrics-renderer';
import {
  AgentKeepalived,
  nodeKeepalived,
  nodeKeepalivedFields,
  vrrpReportPath,
  type AgentKeepalivedOptions,
  type NodeKeepalivedOptions,
} from './agent-keepalived';
import { applyDelta, controlSocketPath, withControlSocket, type EndpointSet } from './dynamic-upstreams';
import {
  deliverEndpoints,
  prepareNodeDirs,
  readEndpointsSet,
  removeStaleSocket,
  writeEndpointsFile,
} from './endpoints-control';

export const agentVersion = '0.1.0';

export interface AgentOptions {
  /** Berth's base URL, e.g. http://berth.internal:8080. */
  server: string;
  /** The node token (`berth gateways node-add` prints it once). */
  token: string;
  /** The Nginx prefix this agent manages (conf/, logs/, tmp/). */
  prefix: string;
  /** HOST:PORT this node listens on instead of the gateway's rendered listener. */
  nginxListen?: string | undefined;
  nginxTlsListen?: string | undefined;
  /**
   * HOST:PORT of this node's metrics listener instead of the gateway's (BERTH_GATEWAY_METRICS_LISTEN,
   * a loopback address): one Prometheus reaches. Reported to Berth, which writes it as the node's
   * target (docs/monitoring.md). Never 0.0.0.0.
   */
  metricsListen?: string | undefined;
  /** Where this node keeps the certificates the routes name (default PREFIX/certs). */
  certDir?: string | undefined;
  nginxBin?: string | undefined;
  /** Start and supervise Nginx (foreground child) instead of signalling an existing master. */
  manageNginx?: boolean | undefined;
  /** Long-poll wait in seconds (1-60, default 30). */
  waitSeconds?: number | undefined;
  /**
   * Waits this long before installing each configuration (0 by default): a deliberately slow
   * node, for testing that Berth stops a container only after every node confirmed its removal.
   */
  applyDelayMs?: number | undefined;
  /**
   * Rewrites the rendered `worker_processes` line (the gateway's setting) for this node: small
   * nodes, e.g. many on one host, run one worker each.
   */
  workerProcesses?: number | undefined;
  /** The node's keepalived (the gateway's virtual IP, agent-keepalived.ts); off when absent. */
  keepalived?: Omit<AgentKeepalivedOptions, 'nginxPidFile'> | undefined;
  log?: (line: string) => void;
}

interface AppliedState {
  version: number | null;
  revision: number | null;
  /** The config version whose files are installed (Berth then sends endpoint changes without files). */
  config?: number | null;
}

const stateFile = 'berth-agent.json';
const listenRe = /^[a-z0-9.-]{1,253}:\d{1,5}$/;
const dirRe = /^\/[A-Za-z0-9._/-]{0,900}$/;

/**
 * Adapts the rendered files to this node: its own listeners and certificate directory. Only
 * whole `listen` and `ssl_certificate*` lines the renderer writes are touched.
 */
export function adaptConfig(cfg: GatewayAgentConfig, o: AgentOptions): string {
  const certDir = o.certDir ?? path.join(o.prefix, 'certs');
  return (cfg.files?.['nginx.conf'] ?? '')
    .split('\n')
    .map((line) => {
      if (o.workerProcesses !== undefined && /^worker_processes \S+;$/.test(line))
        return `worker_processes ${o.workerProcesses};`;
      // the series name the node as Berth and its Prometheus target do (docs/monitoring.md)
      if (line === hostnameNodeLine && cfg.node) return nodeMetricsLine(cfg.node);
      const l = /^(\s*listen )(\S+)((?: default_server)?(?: ssl)?;)$/.exec(line);
      if (l) {
        if (l[2] === cfg.listen && o.nginxListen) return `${l[1]}${o.nginxListen}${l[3]}`;
        if (l[2] === cfg.tlsListen && o.nginxTlsListen) return `${l[1]}${o.nginxTlsListen}${l[3]}`;
        if (cfg.metricsListen && l[2] === cfg.metricsListen && o.metricsListen)
          return `${l[1]}${o.metricsListen}${l[3]}`;
        return line;
      }
      const c = /^(\s*ssl_certificate(?:_key)? ")([^"]*)(";)$/.exec(line);
      if (c?.[2]?.startsWith(`${cfg.certDir}/`))
        return `${c[1]}${certDir}/${c[2].slice(cfg.certDir.length + 1)}${c[3]}`;
      return line;
    })
    .join('\n');
}

const labelRe = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Writes a file next to its target with the mode, then renames it; unchanged files are kept. */
async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  if ((await readFile(file, 'utf8').catch(() => null)) === text) return;
  const tmp = `${file}.next`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

/**
 * Writes the per-project certificates a configuration names under this node's certificate
 * directory (`<certDir>/<project>/<name>.<id>.crt|.key`, keys 0600). Every path part is checked
 * again here, so a payload can never write outside the directory.
 */
export async function writeCertificates(cfg: GatewayAgentConfig, o: AgentOptions): Promise<void> {
  const certDir = o.certDir ?? path.join(o.prefix, 'certs');
  for (const c of cfg.certificates ?? []) {
    if (!labelRe.test(c.project) || !labelRe.test(c.name) || !/^[0-9a-f]{16}$/.test(c.id))
      throw new Error(
        `refusing certificate ${JSON.stringify(`${c.project}/${c.name}`).slice(0, 140)}: bad name`,
      );
    const dir = path.join(certDir, c.project);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeAtomic(path.join(dir, `${c.name}.${c.id}.crt`), c.certificate, 0o644);
    await writeAtomic(path.join(dir, `${c.name}.${c.id}.key`), c.key, 0o600);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The agent: long-polls Berth for the node's wanted configuration, validates it with `nginx -t`
 * in a scratch prefix, installs it (write next to the target, rename), reloads Nginx (HUP to the
 * master whose pid file is in the prefix, or starts it with manageNginx) and reports the result.
 * A configuration that fails never replaces the installed one.
 */
export class GatewayAgent {
  private running = false;
  private nginx: ChildProcess | null = null;
  private abort = new AbortController();
  private readonly node: LocalNginxNode;
  private readonly log: (line: string) => void;
  private applied: AppliedState = { version: null, revision: null };
  /** The endpoint set the node runs (what a delta from Berth applies to), once known. */
  private set: EndpointSet | null = null;
  /** The last version that failed here: not retried until Berth wants something else. */
  private failed: AppliedState | null = null;
  private lastError: string | null = null;
  private readonly vip: AgentKeepalived | null;
  /** The gateway's metrics listener as Berth last rendered it (null: the gateway has none). */
  private gatewayMetrics: string | null = null;

  constructor(private readonly o: AgentOptions) {
    for (const [k, v] of [
      ['--nginx-listen', o.nginxListen],
      ['--nginx-tls-listen', o.nginxTlsListen],
    ] as const) {
      if (v !== undefined && !listenRe.test(v)) throw new Error(`${k} must be HOST:PORT such as 0.0.0.0:80`);
    }
    const metrics = o.metricsListen === undefined ? null : metricsListenProblem(o.metricsListen);
    if (metrics) throw new Error(`--metrics-listen ${o.metricsListen} ${metrics}`);
    if (o.certDir !== undefined && !dirRe.test(o.certDir))
      throw new Error('--cert-dir must be an absolute path of letters, digits and . _ - /');
    if (!/^https?:\/\//.test(o.server)) throw new Error('--server must be an http(s) URL of Berth');
    if (!o.token) throw new Error('--token (or BERTH_AGENT_TOKEN) is required');
    if (
      o.workerProcesses !== undefined &&
      (!Number.isInteger(o.workerProcesses) || o.workerProcesses < 1 || o.workerProcesses > 64)
    )
      throw new Error('--worker-processes must be a whole number from 1 to 64');
    this.node = new LocalNginxNode(path.resolve(o.prefix), o.nginxBin ?? '/usr/sbin/nginx');
    this.log = o.log ?? ((line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
    this.vip = o.keepalived
      ? new AgentKeepalived({ ...o.keepalived, nginxPidFile: this.node.pidFile }, this.log)
      : null;
  }

  private get wait(): number {
    return Math.min(60, Math.max(1, this.o.waitSeconds ?? 30));
  }

  private async request(method: string, url: string, body?: unknown): Promise<Response> {
    const timeout = AbortSignal.timeout((this.wait + 15) * 1000);
    return fetch(new URL(url, this.o.server), {
      method,
      headers: {
        authorization: `Bearer ${this.o.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.any([timeout, this.abort.signal]),
    });
  }

  private async report(state: 'applied' | 'failed', attempted: number | null, error: string | null) {
    const r = await this.request('POST', '/api/v1/gateway-agent/status', {
      appliedVersion: this.applied.version,
      ...(this.applied.revision !== null ? { revision: this.applied.revision } : {}),
      ...(attempted !== null ? { attemptedVersion: attempted } : {}),
      state,
      error,
      agentVersion,
      waitSeconds: this.wait,
      ...(this.o.nginxListen ? { address: this.o.nginxListen } : {}),
      // where this node's Nginx serves its metrics: Berth's Prometheus target for the node
      ...(this.gatewayMetrics ? { metricsAddress: this.o.metricsListen ?? this.gatewayMetrics } : {}),
    });
    if (!r.ok) throw new Error(`status report answered ${r.status}: ${await r.text()}`);
  }

  /** One poll: returns after applying, failing, or an empty wait. */
  async step(): Promise<'applied' | 'failed' | 'unchanged'> {
    const have = this.failed ?? this.applied;
    const q = new URLSearchParams({ wait: String(this.wait) });
    if (have.version !== null) q.set('after', String(have.version));
    if (have.revision !== null) q.set('revision', String(have.revision));
    if (this.applied.config != null) q.set('config', String(this.applied.config));
    // the set the node holds: a newer one of the same files comes as the pools that changed
    if (this.set && this.set.version > 0 && this.set.version === this.applied.revision)
      q.set('base', String(this.set.version));
    const r = await this.request('GET', `/api/v1/gateway-agent/config?${q.toString()}`);
    if (r.status === 204) return 'unchanged';
    if (!r.ok) throw new Error(`config poll answered ${r.status}: ${await r.text()}`);
    const cfg = (await r.json()) as GatewayAgentConfig;
    this.gatewayMetrics = cfg.metricsListen ?? null;
    // the set to run: whole, or the node's set with the changed pools of a delta
    let set: EndpointSet | null = cfg.endpoints ?? null;
    const delta = !set && cfg.endpointsDelta ? cfg.endpointsDelta : null;
    if (delta) {
      if (this.set?.version !== delta.base) {
        // not the set the delta starts from: the next poll (without base) gets the whole set
        this.set = null;
        return 'unchanged';
      }
      set = applyDelta(this.set, delta);
    }
    // No files: the installed ones are still the wanted config version (an endpoint change).
    let main = '';
    let upstreams = '';
    let reload = false;
    // TCP/UDP entry points: listening on this node's host, on the entry points' own ports
    let stream: string | null = null;
    if (cfg.files) {
      main = adaptConfig(cfg, this.o);
      // the control socket of the dynamic file lives in this node's prefix
      upstreams = withControlSocket(cfg.files['upstreams.conf'], controlSocketPath(this.node.prefix));
      await writeCertificates(cfg, this.o);
      const installed = await this.node.readInstalled();
      const hostOf = (l: string | undefined) => l?.slice(0, l.lastIndexOf(':'));
      const rendered = cfg.files['stream.conf'];
      stream = rendered ? adaptStreamListen(rendered, hostOf(cfg.listen)!, hostOf(this.o.nginxListen)) : null;
      const installedStream = stream === null ? null : await this.node.readStream();
      reload =
        this.applied.version === null ||
        installed.main !== main ||
        installed.upstreams !== upstreams ||
        installedStream !== stream;
    }
    if (reload) {
      const check = await validateConfig(this.node.nginxBin, `${this.node.prefix}.scratch`, {
        main,
        upstreams,
        stream,
      });
      if (!check.ok) return this.fail(cfg, check.message, 'refused by nginx -t');
    }
    const vip = this.vip && cfg.files ? await this.vip.prepare(cfg.files['keepalived.conf']) : null;
    if (vip && !vip.ok) return this.fail(cfg, vip.message, 'refused by keepalived -t');
    if (this.o.applyDelayMs) await sleep(this.o.applyDelayMs);
    if (reload) {
      await this.node.install({ main, upstreams, stream });
      await prepareNodeDirs(this.node.prefix, false);
      // the master loads a newer endpoints file as it reads the new configuration
      if (set) await writeEndpointsFile(this.node.prefix, set);
      await this.reload();
    }
    if (vip) await this.vip?.install();
    if (set) {
      const running = (await this.node.pid()) !== null;
      // after a reload the file above is this set's already
      const d = await deliverEndpoints(this.node.prefix, set, running, 10_000, reload ? null : delta, reload);
      if (!d.ok) return this.fail(cfg, d.message, 'endpoints not applied');
      this.set = set;
    }
    this.applied = {
      version: cfg.version,
      revision: cfg.revision,
      config: cfg.files ? (cfg.configVersion ?? null) : this.applied.config,
    };
    this.failed = null;
    this.lastError = null;
    await this.saveState();
    const how = reload
      ? ''
      : delta
        ? `, endpoints only: ${Object.keys(delta.pools).length} changed pools`
        : ', endpoints only';
    this.log(`applied version ${cfg.version} (revision ${cfg.revision}${how})`);
    await this.report('applied', cfg.version, null);
    return 'applied';
  }

  private async fail(cfg: GatewayAgentConfig, message: string, what: string): Promise<'failed'> {
    this.failed = { version: cfg.version, revision: cfg.revision };
    this.lastError = message;
    this.log(`version ${cfg.version} ${what}; keeping version ${this.applied.version}: ${message}`);
    await this.report('failed', cfg.version, message);
    return 'failed';
  }

  private async reload(): Promise<void> {
    if (this.o.manageNginx) {
      if (!this.nginx) {
        // reads the installed files as it starts
        await this.startNginx();
        await this.masterPid();
        return;
      }
      // a master still starting may have read the previous files: wait for its pid, then HUP
      await this.masterPid();
    }
    const r = await this.node.reload();
    if (r === 'not-running')
      this.log('no Nginx master runs in the prefix; the files are installed for its start');
    if (r === 'timeout') this.log('Nginx started no new workers after HUP');
  }

  /** Waits (up to 10 s) until the managed master has written its pid file. */
  private async masterPid(): Promise<number | null> {
    const until = Date.now() + 10_000;
    while (Date.now() < until && this.nginx) {
      const pid = await this.node.pid();
      if (pid !== null) return pid;
      await sleep(20);
    }
    return null;
  }

  private async startNginx(): Promise<void> {
    // A stop during an apply must not be followed by a new Nginx (it would keep the agent alive).
    if (!this.running) return;
    // a master killed hard leaves its control socket behind, and binding it would fail
    await prepareNodeDirs(this.node.prefix, false);
    await removeStaleSocket(controlSocketPath(this.node.prefix));
    if (!this.running || this.nginx) return;
    const child = spawn(this.node.nginxBin, this.node.argv(), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.nginx = child;
    child.stderr?.on('data', (b: Buffer) => this.log(`nginx: ${b.toString().trim()}`));
    child.on('exit', (code, signal) => {
      if (this.nginx === child) this.nginx = null;
      if (!this.running) return;
      this.log(`nginx exited (${code ?? signal}); restarting in 1 s`);
      setTimeout(() => {
        if (this.running && !this.nginx) void this.startNginx();
      }, 1000);
    });
  }

  private async loadState(): Promise<void> {
    const text = await readFile(path.join(this.node.prefix, stateFile), 'utf8').catch(() => null);
    if (!text || !(await this.node.hasConfig())) return;
    const s = JSON.parse(text) as AppliedState;
    this.applied = { version: s.version ?? null, revision: s.revision ?? null, config: s.config ?? null };
    // the endpoints file with its journal is the set of the applied revision (written before it
    // was pushed)
    const set = await readEndpointsSet(this.node.prefix);
    if (set && set.version === this.applied.revision) this.set = set;
  }

  private async saveState(): Promise<void> {
    const file = path.join(this.node.prefix, stateFile);
    await writeFile(`${file}.next`, JSON.stringify(this.applied));
    await rename(`${file}.next`, file);
  }

  /** Runs until stop(): polls, applies, reports; backs off (0.5 s … 30 s) on errors. */
  async run(): Promise<void> {
    this.running = true;
    await ensurePrefix(this.node.prefix);
    await this.loadState();
    if (this.o.manageNginx && this.applied.version !== null) await this.startNginx();
    this.vip?.watch((body) => this.request('POST', vrrpReportPath, body));
    let failures = 0;
    while (this.running) {
      try {
        await this.step();
        failures = 0;
      } catch (err) {
        if (!this.running) break;
        failures++;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(failures - 1, 6));
        this.log(`${err instanceof Error ? err.message : String(err)}; retrying in ${delay} ms`);
        await sleep(delay);
      }
    }
    await this.stopNginx();
  }

  /** Stops polling and, with manageNginx, stops Nginx gracefully (QUIT). */
  async stop(): Promise<void> {
    this.running = false;
    this.vip?.unwatch();
    this.abort.abort();
    await this.stopNginx();
  }

  /** Nginx this agent started: QUIT, then KILL after 10 s. Also run when the loop ends. */
  private async stopNginx(): Promise<void> {
    const child = this.nginx;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGQUIT');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }

  status(): { applied: AppliedState; error: string | null } {
    return { applied: { ...this.applied }, error: this.lastError };
  }
}

const usage = `usage: berth-gateway-agent --server URL --token TOKEN --prefix DIR [options]
       berth-gateway-agent --server URL --nodes-file FILE [options]
  --server URL            Berth's URL (env BERTH_SERVER)
  --token TOKEN           node token from \`berth gateways node-add\` (env BERTH_AGENT_TOKEN)
  --prefix DIR            the Nginx prefix to manage (conf/, logs/, tmp/)
  --nginx-listen H:P      this node's HTTP listener (default: the gateway's)
  --nginx-tls-listen H:P  this node's TLS listener (default: the gateway's)
  --cert-dir DIR          certificates the routes name (default PREFIX/certs)
  --metrics-listen H:P    this node's metrics listener, an address Berth's Prometheus reaches
                          (default: the gateway's, BERTH_GATEWAY_METRICS_LISTEN); never 0.0.0.0
  --nodes-file FILE       run several nodes in this process: a JSON list of
                          {"name", "token", "prefix", "nginxListen"?, "nginxTlsListen"?, "certDir"?,
                          "metricsListen"?, "keepalivedConf"?, "keepalivedPidFile"?,
                          "keepalivedNotifyScript"?, "keepalivedStateFile"?} (instead of the per-node
                          flags: --token, --prefix, --nginx-listen, --nginx-tls-listen, --cert-dir,
                          --metrics-listen, --keepalived-*)
  --nginx PATH            the nginx binary (default /usr/sbin/nginx)
  --manage-nginx          start and supervise Nginx instead of signalling its master
  --worker-processes N    run N Nginx workers per node, 1-64 (default: the gateway's setting)
  --wait SECONDS          long-poll wait, 1-60 (default 30)
  --apply-delay-ms MS     wait before installing each configuration (testing a slow node)
  --keepalived-conf FILE  install the gateway's virtual IP configuration there (checked with
                          keepalived -t); --keepalived-pid-file FILE: SIGHUP keepalived after it;
                          --keepalived-notify-script FILE, --keepalived-state-file FILE: where the
                          VRRP notify script and its state file go
`;

/** One entry of --nodes-file: a node of this process (the flags that are not per node are shared). */
export interface AgentNodeEntry {
  name: string;
  token: string;
  prefix: string;
  nginxListen?: string;
  nginxTlsListen?: string;
  certDir?: string;
  metricsListen?: string;
  /** The node's keepalived (the file's keepalived* fields). */
  keepalived?: NodeKeepalivedOptions;
}

const nodeKeys = new Set([
  'name',
  'token',
  'prefix',
  'nginxListen',
  'nginxTlsListen',
  'certDir',
  'metricsListen',
  ...Object.keys(nodeKeepalivedFields),
]);

/**
 * Parses and checks a --nodes-file text: a JSON list of 1-500 nodes with distinct names,
 * prefixes, listeners and keepalived files. Errors name the entry and the field.
 */
export function parseNodesFile(text: string, file = 'the nodes file'): AgentNodeEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(data) || data.length < 1 || data.length > 500)
    throw new Error(`${file} must be a JSON list of 1 to 500 nodes`);
  const seen = new Map<string, string>();
  const unique = (what: string, value: string | undefined, where: string) => {
    if (value === undefined) return;
    const prev = seen.get(`${what}\0${value}`);
    if (prev) throw new Error(`${where}: ${what} ${value} is also used by ${prev}`);
    seen.set(`${what}\0${value}`, where);
  };
  return data.map((raw: unknown, i) => {
    const where = `${file} entry ${i}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new Error(`${where} must be an object with name, token and prefix`);
    const e = raw as Record<string, unknown>;
    for (const k of Object.keys(e))
      if (!nodeKeys.has(k)) throw new Error(`${where}: unknown field ${JSON.stringify(k).slice(0, 60)}`);
    for (const k of nodeKeys) {
      const v = e[k];
      if (v !== undefined && (typeof v !== 'string' || v === ''))
        throw new Error(`${where}: ${k} must be a non-empty string`);
    }
    const name = e.name as string | undefined;
    if (!name || !labelRe.test(name)) throw new Error(`${where}: name must be a label such as edge-1`);
    if (!e.token) throw new Error(`${where} (${name}): token is required`);
    const prefix = e.prefix as string | undefined;
    if (!prefix || !path.isAbsolute(prefix))
      throw new Error(`${where} (${name}): prefix must be an absolute path`);
    const node: AgentNodeEntry = { name, token: e.token as string, prefix: path.resolve(prefix) };
    for (const k of ['nginxListen', 'nginxTlsListen', 'certDir', 'metricsListen'] as const) {
      const v = e[k] as string | undefined;
      if (v !== undefined) node[k] = v;
    }
    const metrics = node.metricsListen === undefined ? null : metricsListenProblem(node.metricsListen);
    if (metrics) throw new Error(`${where} (${name}): metricsListen ${node.metricsListen} ${metrics}`);
    unique('name', node.name, where);
    unique('prefix', node.prefix, where);
    unique('listener', node.nginxListen, where);
    unique('listener', node.nginxTlsListen, where);
    unique('listener', node.metricsListen, where);
    const vip = nodeKeepalived(e, name, where);
    if (vip) {
      node.keepalived = vip;
      unique('keepalived file', vip.confFile, where);
      unique('keepalived file', vip.stateFile, where);
      unique('keepalived file', vip.pidFile, where);
    }
    return node;
  });
}

/** The command line; returns the exit code. Stops on SIGTERM/SIGINT. */
export async function runAgentCli(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        server: { type: 'string' },
        token: { type: 'string' },
        prefix: { type: 'string' },
        'nginx-listen': { type: 'string' },
        'nginx-tls-listen': { type: 'string' },
        'cert-dir': { type: 'string' },
        'metrics-listen': { type: 'string' },
        'nodes-file': { type: 'string' },
        nginx: { type: 'string' },
        'manage-nginx': { type: 'boolean' },
        'worker-processes': { type: 'string' },
        wait: { type: 'string' },
        'apply-delay-ms': { type: 'string' },
        'keepalived-conf': { type: 'string' },
        'keepalived-pid-file': { type: 'string' },
        'keepalived-notify-script': { type: 'string' },
        'keepalived-state-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
    return 2;
  }
  if (a.help) {
    process.stdout.write(usage);
    return 0;
  }
  const server = a.server ?? env.BERTH_SERVER;
  const nodesFile = a['nodes-file'];
  if (nodesFile !== undefined) {
    const perNode = [
      'token',
      'prefix',
      'nginx-listen',
      'nginx-tls-listen',
      'cert-dir',
      'metrics-listen',
      'keepalived-conf',
      'keepalived-pid-file',
      'keepalived-notify-script',
      'keepalived-state-file',
    ] as const;
    const both = perNode.filter((k) => a[k] !== undefined);
    if (both.length > 0) {
      process.stderr.write(
        `--nodes-file sets ${both.map((k) => `--${k}`).join(', ')} per node: give them in the file, not as flags\n`,
      );
      return 2;
    }
    if (!server) {
      process.stderr.write(`--server is required\n${usage}`);
      return 2;
    }
  } else {
    const token = a.token ?? env.BERTH_AGENT_TOKEN;
    if (!server || !token || !a.prefix) {
      process.stderr.write(`--server, --token and --prefix are required (or --nodes-file)\n${usage}`);
      return 2;
    }
    const vipFlags = (['keepalived-pid-file', 'keepalived-notify-script', 'keepalived-state-file'] as const)
      .filter((k) => a[k] !== undefined)
      .map((k) => `--${k}`);
    if (vipFlags.length > 0 && a['keepalived-conf'] === undefined) {
      process.stderr.write(
        `${vipFlags.join(', ')} without --keepalived-conf: give --keepalived-conf FILE too\n`,
      );
      return 2;
    }
  }
  const wait = a.wait === undefined ? 30 : Number(a.wait);
  if (!Number.isInteger(wait) || wait < 1 || wait > 60) {
    process.stderr.write('--wait must be a whole number of seconds from 1 to 60\n');
    return 2;
  }
  const delay = a['apply-delay-ms'] === undefined ? 0 : Number(a['apply-delay-ms']);
  if (!Number.isInteger(delay) || delay < 0 || delay > 600_000) {
    process.stderr.write('--apply-delay-ms must be a whole number of milliseconds from 0 to 600000\n');
    return 2;
  }
  const workers = a['worker-processes'] === undefined ? undefined : Number(a['worker-processes']);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 64)) {
    process.stderr.write('--worker-processes must be a whole number from 1 to 64\n');
    return 2;
  }
  const shared = {
    server,
    nginxBin: a.nginx,
    manageNginx: a['manage-nginx'] ?? false,
    waitSeconds: wait,
    applyDelayMs: delay,
    workerProcesses: workers,
  };
  const agents: GatewayAgent[] = [];
  try {
    if (nodesFile === undefined) {
      agents.push(
        new GatewayAgent({
          ...shared,
          token: (a.token ?? env.BERTH_AGENT_TOKEN)!,
          prefix: a.prefix!,
          nginxListen: a['nginx-listen'],
          nginxTlsListen: a['nginx-tls-listen'],
          certDir: a['cert-dir'],
          metricsListen: a['metrics-listen'],
          keepalived: a['keepalived-conf']
            ? {
                confFile: a['keepalived-conf'],
                pidFile: a['keepalived-pid-file'],
                notifyScript: a['keepalived-notify-script'],
                stateFile: a['keepalived-state-file'],
              }
            : undefined,
        }),
      );
    } else {
      const text = await readFile(nodesFile, 'utf8').catch((err: Error) => {
        throw new Error(`--nodes-file ${nodesFile}: ${err.message}`);
      });
      for (const n of parseNodesFile(text, nodesFile)) {
        try {
          agents.push(
            new GatewayAgent({
              ...shared,
              ...n,
              // every line names its node: the nodes share this process's stderr
              log: (line) => process.stderr.write(`${new Date().toISOString()} [${n.name}] ${line}\n`),
            }),
          );
        } catch (err) {
          throw new Error(`${nodesFile} node ${n.name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const stop = () => void Promise.all(agents.map((g) => g.stop()));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await Promise.all(agents.map((g) => g.run()));
  return 0;
}
