import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
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
): Promise<AgentNode> {
  const prefix = path.join(root, name);
  const certDir = path.join(root, `${name}-certs`);
  mkdirSync(certDir, { recursive: true });
  const listen = `127.0.0.1:${await freePort()}`;
  const tlsListen = `127.0.0.1:${await freePort()}`;
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
