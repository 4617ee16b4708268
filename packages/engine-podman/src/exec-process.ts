/**
 * Exec instances in libpod: create, inspect, wait for the exit code, and kill a process that
 * outlived its caller (libpod has no endpoint to kill an exec session).
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError } from '@berth/shared';
import type { LibpodClient } from './libpod-client';
import type { LibpodExecInspect } from './libpod-types';

/** What an exec instance runs and what it attaches. */
export interface ExecCreateOptions {
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  user?: string;
  env?: Record<string, string>;
  workingDir?: string;
}

/** `POST /containers/{n}/exec`; returns the exec id. */
export async function createExec(
  client: LibpodClient,
  container: string,
  opts: ExecCreateOptions,
): Promise<string> {
  const created = await client.json<{ Id: string }>(
    'POST',
    `/containers/${encodeURIComponent(container)}/exec`,
    {
      body: {
        AttachStdin: opts.stdin,
        AttachStdout: true,
        AttachStderr: true,
        Tty: opts.tty,
        Cmd: opts.cmd,
        ...(opts.user ? { User: opts.user } : {}),
        ...(opts.env ? { Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) } : {}),
        ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
      },
    },
  );
  if (!created?.Id) throw new EngineError(`Podman created no exec session in container ${container}.`);
  return created.Id;
}

/** The exec's state, or null when podman no longer knows it. */
export function inspectExec(client: LibpodClient, execId: string): Promise<LibpodExecInspect | null> {
  return client.json<LibpodExecInspect>('GET', `/exec/${execId}/json`, { accept: [404] });
}

/**
 * The exit code once the process has ended. Podman may still report the session running for
 * a moment after its output stream closed, so this polls briefly.
 */
export async function waitExecExit(
  client: LibpodClient,
  execId: string,
  maxWaitMs = 5000,
): Promise<number | null> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const info = await inspectExec(client, execId);
    if (!info) return null;
    if (!info.Running) return info.ExitCode;
    if (Date.now() >= deadline) return null;
    await sleep(50);
  }
}

/**
 * Best-effort SIGKILL of a still-running exec process. Podman reports the host PID, and the
 * Podman service runs on this host (it is reached over a unix socket), so the process is killed
 * directly — but only after /proc confirms that PID sits in the container's cgroup, so a
 * recycled PID or a foreign PID namespace never gets the signal.
 */
export async function killExecProcess(client: LibpodClient, execId: string): Promise<boolean> {
  try {
    const info = await inspectExec(client, execId);
    if (!info?.Running || !info.Pid || !info.ContainerID) return false;
    const cgroup = await readFile(`/proc/${info.Pid}/cgroup`, 'utf8');
    if (!cgroup.includes(info.ContainerID)) return false;
    process.kill(info.Pid, 'SIGKILL');
    return true;
  } catch {
    // The process ended meanwhile, or this host cannot see it: nothing more to do.
    return false;
  }
}
