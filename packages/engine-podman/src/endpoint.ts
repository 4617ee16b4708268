/**
 * Where a cluster's Podman API answers: `unix:///run/podman/podman.sock` on this host, or
 * `ssh://user@host[:port]/run/podman/podman.sock` on another one, reached through an `ssh -N -L`
 * tunnel from a local unix socket to the remote one (docs/fleet.md "Test fleet", runtime-notes §13).
 * Either way the engine gets a local socket path; nothing of the endpoint reaches a shell.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidError, UnavailableError } from '@berth/shared';
import { libpodApiPrefix } from './libpod-client';

/** What a cluster's credentials hold for an ssh:// endpoint (OpenSSH formats). */
export interface PodmanEndpointCredentials {
  /** An OpenSSH private key without a passphrase (`-----BEGIN OPENSSH PRIVATE KEY-----…`). */
  privateKey?: string;
  /** known_hosts lines for the host (`[host]:port ssh-ed25519 AAAA…` when the port is not 22). */
  knownHosts?: string;
}

/** A local socket that answers for the cluster's Podman API, and how to let it go. */
export interface PodmanEndpointConnection {
  socketPath: string;
  /** False once the connection cannot carry requests any more (its ssh ended, or close()). */
  alive(): boolean;
  close(): Promise<void>;
}

/** A parsed, validated endpoint. */
export type ParsedPodmanEndpoint =
  { kind: 'unix'; path: string } | { kind: 'ssh'; user: string; host: string; port: number; path: string };

export interface OpenPodmanEndpointOptions {
  /** How long to wait for the tunnel to answer libpod's _ping; default 20 s. */
  timeoutMs?: number;
}

const endpointHelp =
  'Use unix:///absolute/path/podman.sock or ssh://user@host[:port]/absolute/path/podman.sock.';
/** Socket paths: absolute, no "..", and only characters that need no quoting anywhere (no ":"). */
const socketPathPattern = /^\/[A-Za-z0-9._@+/-]*$/;
const userPattern = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const hostnamePattern =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const ipv6Pattern = /^[0-9A-Fa-f:.]{2,45}$/;

function invalid(message: string): InvalidError {
  return new InvalidError(`${message} ${endpointHelp}`, [{ path: 'endpoint', message }]);
}

function checkSocketPath(value: string, endpoint: string): string {
  if (!socketPathPattern.test(value) || value.split('/').some((s) => s === '..' || s === '.')) {
    throw invalid(
      `The socket path "${value}" in "${endpoint}" must be absolute, without "." or ".." segments, ` +
        'and use only letters, digits and . _ @ + / -.',
    );
  }
  if (value.length > 100) throw invalid(`The socket path in "${endpoint}" is longer than 100 characters.`);
  return value;
}

/**
 * Parses and validates an endpoint; throws InvalidError (field `endpoint`) saying what is wrong.
 * Strict on purpose: user, host, port and path later become ssh arguments.
 */
export function parsePodmanEndpoint(endpoint: string): ParsedPodmanEndpoint {
  if (typeof endpoint !== 'string' || endpoint.length === 0) throw invalid('The endpoint is empty.');
  if (endpoint.length > 300) throw invalid('The endpoint is longer than 300 characters.');
  if (endpoint.startsWith('unix://')) {
    return { kind: 'unix', path: checkSocketPath(endpoint.slice('unix://'.length), endpoint) };
  }
  if (!endpoint.startsWith('ssh://')) {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(endpoint)?.[1];
    throw invalid(
      scheme ? `The endpoint scheme "${scheme}" is not supported.` : `"${endpoint}" is not an endpoint URL.`,
    );
  }
  const rest = endpoint.slice('ssh://'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) throw invalid(`"${endpoint}" names no socket path after the host.`);
  const authority = rest.slice(0, slash);
  const socketPath = checkSocketPath(rest.slice(slash), endpoint);
  const at = authority.lastIndexOf('@');
  if (at < 0) throw invalid(`"${endpoint}" names no user: write ssh://user@host/….`);
  const user = authority.slice(0, at);
  if (!userPattern.test(user)) {
    throw invalid(`The ssh user "${user}" is not a valid user name (letters, digits, _ . -; 32 at most).`);
  }
  const hostPort = authority.slice(at + 1);
  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    host = close > 0 ? hostPort.slice(1, close) : '';
    const after = close > 0 ? hostPort.slice(close + 1) : '';
    if (!ipv6Pattern.test(host) || !host.includes(':') || (after !== '' && !after.startsWith(':'))) {
      throw invalid(`The ssh host "${hostPort}" is not a valid bracketed IPv6 address.`);
    }
    portText = after ? after.slice(1) : undefined;
  } else {
    const colon = hostPort.indexOf(':');
    host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    portText = colon < 0 ? undefined : hostPort.slice(colon + 1);
    if (!hostnamePattern.test(host)) {
      throw invalid(`The ssh host "${host}" is not a valid host name or IPv4 address.`);
    }
  }
  let port = 22;
  if (portText !== undefined) {
    port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535))
      throw invalid(`The ssh port "${portText}" is not a number from 1 to 65535.`);
  }
  return { kind: 'ssh', user, host, port, path: socketPath };
}

/** One libpod _ping over a unix socket; true when podman answers "OK". */
function ping(socketPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(
      { socketPath, path: `${libpodApiPrefix}/_ping`, agent: false, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'OK'));
        res.on('error', () => resolve(false));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** What ssh said, cut to the distinct lines that explain a failure, or a plain reason for the common ones. */
function explain(stderr: string, target: string, port: number): string {
  if (/Host key verification failed/i.test(stderr)) {
    const changed = /IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr);
    return (
      `Host key verification failed: ${target} presents ${changed ? 'a different host key than' : 'a host key that is not in'} ` +
      `the cluster's knownHosts. Compare it with "ssh-keyscan -p ${port} HOST" and update the credentials.`
    );
  }
  const lines = [
    ...new Set(
      stderr
        .split('\n')
        .map((l) => l.trim().replace(/\.$/, ''))
        .filter((l) => l && !l.startsWith('Warning: Permanently added')),
    ),
  ].slice(-4);
  const text = lines.join(' | ');
  if (/Permission denied/i.test(stderr)) {
    return `${text}: the server refused the private key; add its public key to the user's authorized_keys.`;
  }
  return text || 'ssh printed nothing';
}

const tunnelDirPrefix = 'berth-ssh-';
let swept: Promise<void> | null = null;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Ends tunnels whose owner died without close() (a `kill -9` of Berth leaves its ssh children
 * running): every tunnel dir records its owner's pid and ssh's; an ssh whose owner is gone, and
 * whose command line still names that dir, is killed and the dir removed. Runs once per process.
 */
export async function sweepStaleTunnels(tmp = os.tmpdir()): Promise<number> {
  let ended = 0;
  for (const name of await readdir(tmp).catch(() => [] as string[])) {
    if (!name.startsWith(tunnelDirPrefix)) continue;
    const dir = path.join(tmp, name);
    const owner = Number(await readFile(path.join(dir, 'owner.pid'), 'utf8').catch(() => ''));
    if (!owner || alive(owner)) continue;
    const sshPid = Number(await readFile(path.join(dir, 'ssh.pid'), 'utf8').catch(() => ''));
    if (sshPid) {
      const cmdline = await readFile(`/proc/${sshPid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(`${dir}/podman.sock:`)) {
        try {
          process.kill(sshPid, 'SIGTERM');
        } catch {
          // gone meanwhile
        }
      }
    }
    await rm(dir, { recursive: true, force: true });
    ended += 1;
  }
  return ended;
}

/**
 * Opens the endpoint: a unix:// endpoint is its own socket; an ssh:// one starts
 * `ssh -N -L <local sock>:<remote sock>` (argv only, strict host key checking, the given key and
 * known hosts in 0600 temp files), waits until the local socket answers libpod's _ping (bounded;
 * ssh's stderr in the error) and returns the local socket. `close()` stops ssh and removes the
 * temp files. Throws InvalidError for a malformed endpoint, UnavailableError when it does not answer.
 */
export async function openPodmanEndpoint(
  endpoint: string,
  credentials?: PodmanEndpointCredentials,
  options: OpenPodmanEndpointOptions = {},
): Promise<PodmanEndpointConnection> {
  const parsed = parsePodmanEndpoint(endpoint);
  if (parsed.kind === 'unix')
    return { socketPath: parsed.path, alive: () => true, close: async () => undefined };

  const timeoutMs = options.timeoutMs ?? 20_000;
  swept ??= sweepStaleTunnels().then(() => undefined);
  await swept;
  const dir = await mkdtemp(path.join(os.tmpdir(), tunnelDirPrefix));
  await writeFile(path.join(dir, 'owner.pid'), String(process.pid));
  const socketPath = path.join(dir, 'podman.sock');
  const argv = [
    '-N',
    // Nothing from ~/.ssh/config or an agent changes what this tunnel does.
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'ExitOnForwardFailure=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'ConnectTimeout=10',
    // A dead link ends ssh (and so the socket) within about 45 s instead of hanging.
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'ServerAliveCountMax=3',
    '-o',
    'StreamLocalBindUnlink=yes',
  ];
  if (credentials?.knownHosts) {
    const file = path.join(dir, 'known_hosts');
    await writeFile(
      file,
      credentials.knownHosts.endsWith('\n') ? credentials.knownHosts : `${credentials.knownHosts}\n`,
      {
        mode: 0o600,
      },
    );
    argv.push('-o', `UserKnownHostsFile=${file}`, '-o', 'GlobalKnownHostsFile=/dev/null');
  }
  if (credentials?.privateKey) {
    const file = path.join(dir, 'id');
    const key = credentials.privateKey.replace(/\r\n/g, '\n');
    await writeFile(file, key.endsWith('\n') ? key : `${key}\n`, { mode: 0o600 });
    argv.push('-o', 'IdentitiesOnly=yes', '-i', file);
  }
  argv.push('-L', `${socketPath}:${parsed.path}`, '-p', String(parsed.port), `${parsed.user}@${parsed.host}`);

  const target = `${parsed.user}@${parsed.host}:${parsed.port}`;
  const child: ChildProcess = spawn('ssh', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => {
    stderr = (stderr + c).slice(-8192);
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let spawnError: Error | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      exit ??= { code: null, signal: null };
      resolve();
    });
  });

  // Recorded for sweepStaleTunnels (after the listeners: a failed spawn reports 'error' async).
  if (child.pid) await writeFile(path.join(dir, 'ssh.pid'), String(child.pid)).catch(() => undefined);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (!exit) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (spawnError) {
        throw new UnavailableError(
          `Could not run ssh to reach ${endpoint}: ${(spawnError as Error).message}.`,
          {
            endpoint,
          },
        );
      }
      if (exit) {
        const { code, signal } = exit as { code: number | null; signal: NodeJS.Signals | null };
        throw new UnavailableError(
          `ssh to ${target} ended (${signal ?? `exit ${code}`}) before the Podman API answered: ` +
            explain(stderr, target, parsed.port),
          { endpoint, stderr: stderr.trim() },
        );
      }
      if ((await exists(socketPath)) && (await ping(socketPath, 3000)))
        return { socketPath, alive: () => !closed && !exit, close };
      if (Date.now() >= deadline) {
        throw new UnavailableError(
          `The Podman API at ${endpoint} did not answer through ssh within ${timeoutMs} ms` +
            ((await exists(socketPath))
              ? ` (the tunnel is up: is Podman's service listening on ${parsed.path} there?)`
              : ' (the tunnel did not come up)') +
            `: ${explain(stderr, target, parsed.port)}`,
          { endpoint, stderr: stderr.trim() },
        );
      }
      await Promise.race([exited, sleep(100)]);
    }
  } catch (err) {
    await close();
    throw err;
  }
}
