import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net';

const run = promisify(execFile);
const agentBin = path.resolve(import.meta.dirname, '../../../gateway-nginx/bin/berth-gateway-agent.mjs');

/** A self-signed certificate and key, written as NAME.crt and NAME.key into each directory. */
export async function writeCert(dirs: string[], name: string, host: string): Promise<void> {
  const [first, ...rest] = dirs;
  if (!first) return;
  mkdirSync(first, { recursive: true });
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${host}`,
    '-keyout',
    path.join(first, `${name}.key`),
    '-out',
    path.join(first, `${name}.crt`),
  ]);
  for (const d of rest) {
    mkdirSync(d, { recursive: true });
    for (const ext of ['crt', 'key']) await run('cp', [path.join(first, `${name}.${ext}`), d]);
  }
}

/** One berth-gateway-agent process managing its own Nginx on free loopback ports. */
export interface AgentNode {
  name: string;
  prefix: string;
  listen: string;
  tlsListen: string;
  certDir: string;
  proc: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the Nginx the agent started (after a SIGKILL of the agent it keeps running). */
  stopNginx(): void;
}

export async function startAgentNode(
  name: string,
  root: string,
  server: string,
  token: string,
  waitSeconds = 2,
  /** Makes the node slow on purpose: it waits this long before installing each configuration. */
  applyDelayMs = 0,
  /** The host of the node's listeners (a loopback name such as `localhost` shows the agent's rewrite). */
  listenHost = '127.0.0.1',
): Promise<AgentNode> {
  const prefix = path.join(root, name);
  const certDir = path.join(root, `${name}-certs`);
  mkdirSync(certDir, { recursive: true });
  const listen = `${listenHost}:${await freePort()}`;
  const tlsListen = `${listenHost}:${await freePort()}`;
  const proc = spawn(
    process.execPath,
    [
      agentBin,
      '--server',
      server,
      '--prefix',
      prefix,
      '--nginx-listen',
      listen,
      '--nginx-tls-listen',
      tlsListen,
      '--cert-dir',
      certDir,
      '--manage-nginx',
      '--wait',
      String(waitSeconds),
      ...(applyDelayMs > 0 ? ['--apply-delay-ms', String(applyDelayMs)] : []),
    ],
    { env: { ...process.env, BERTH_AGENT_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const stopNginx = () => {
    try {
      const pid = Number(readFileSync(path.join(prefix, 'logs', 'nginx.pid'), 'utf8').trim());
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      // not running
    }
  };
  return {
    name,
    prefix,
    listen,
    tlsListen,
    certDir,
    proc,
    output: () => out,
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      // An agent that does not stop within 20 s is a bug to see in its output, not a hung suite.
      const timer = setTimeout(() => {
        process.stderr.write(`agent ${name} ignored ${signal}; killing it\n${out.slice(-2000)}\n`);
        proc.kill('SIGKILL');
      }, 20_000);
      await exited;
      clearTimeout(timer);
    },
    stopNginx,
  };
}

/** One node of an agent group: its prefix and loopback listeners. */
export interface GroupNode {
  name: string;
  prefix: string;
  listen: string;
  tlsListen: string;
  certDir: string;
}

/** One berth-gateway-agent process running several nodes (`--nodes-file`), each with its own Nginx. */
export interface AgentGroup {
  nodes: GroupNode[];
  proc: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** The pids of the Nginx masters of the group's nodes that still run. */
  masters(): number[];
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Ports handed to group nodes in this test process: the OS may hand out a port again once freed. */
const groupPorts = new Set<number>();
async function groupPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!groupPorts.has(port)) {
      groupPorts.add(port);
      return port;
    }
  }
}

/**
 * Starts one agent process for `nodes` (name, token, optional shared certDir) on free loopback
 * ports, one Nginx worker per node unless told otherwise.
 */
export async function startAgentGroup(
  label: string,
  root: string,
  server: string,
  /** `fields`: more fields of the node's entry (e.g. keepalivedConf). */
  nodes: { name: string; token: string; certDir?: string; fields?: Record<string, string> }[],
  o: { waitSeconds?: number; workerProcesses?: number } = {},
): Promise<AgentGroup> {
  const entries: GroupNode[] = [];
  for (const n of nodes) {
    const certDir = n.certDir ?? path.join(root, `${n.name}-certs`);
    mkdirSync(certDir, { recursive: true });
    entries.push({
      name: n.name,
      prefix: path.join(root, n.name),
      listen: `127.0.0.1:${await groupPort()}`,
      tlsListen: `127.0.0.1:${await groupPort()}`,
      certDir,
    });
  }
  const file = path.join(root, `${label}.nodes.json`);
  writeFileSync(
    file,
    JSON.stringify(
      entries.map((e, i) => ({
        name: e.name,
        token: nodes[i]!.token,
        prefix: e.prefix,
        nginxListen: e.listen,
        nginxTlsListen: e.tlsListen,
        certDir: e.certDir,
        ...nodes[i]!.fields,
      })),
    ),
    { mode: 0o600 },
  );
  const proc = spawn(
    process.execPath,
    [
      agentBin,
      '--server',
      server,
      '--nodes-file',
      file,
      '--manage-nginx',
      '--worker-processes',
      String(o.workerProcesses ?? 1),
      '--wait',
      String(o.waitSeconds ?? 20),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 1_000_000) out = out.slice(-500_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const masters = () =>
    entries.flatMap((e) => {
      try {
        const pid = Number(readFileSync(path.join(e.prefix, 'logs', 'nginx.pid'), 'utf8').trim());
        return pid > 0 && alive(pid) ? [pid] : [];
      } catch {
        return [];
      }
    });
  return {
    nodes: entries,
    proc,
    output: () => out,
    masters,
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill(signal);
        const timer = setTimeout(() => {
          process.stderr.write(`agent group ${label} ignored ${signal}; killing it\n${out.slice(-2000)}\n`);
          proc.kill('SIGKILL');
        }, 20_000);
        await exited;
        clearTimeout(timer);
      }
      // Masters left behind (an agent killed hard): QUIT, then KILL after 5 s.
      const left = masters();
      for (const pid of left) process.kill(pid, 'SIGQUIT');
      const until = Date.now() + 5000;
      while (Date.now() < until && left.some(alive)) await new Promise((r) => setTimeout(r, 50));
      for (const pid of left.filter(alive)) process.kill(pid, 'SIGKILL');
    },
  };
}
