/**
 * Pod filesystems for the test API server's exec (docs/kubernetes-testing.md): an exec handler
 * that runs the host's real `tar` for `tar cf - -C DIR NAME` (what Berth's Kubernetes engine runs
 * for container files, src/files.ts), with DIR taken inside a host directory that stands for the
 * container's root. In an ephemeral container with a `targetContainerName`, `/proc/1/root/…` is
 * the target's root (the shared process namespace). Any other command, and a pod without a
 * root, goes to `next` (the default handler answers "executable file not found" for tar: an
 * image without tar).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ExecContext, ExecHandler } from './exec';
import { objs, str } from './json';

/** The host directory that is a pod's root (by namespace and pod name), or undefined: no files. */
export type PodRoots = (namespace: string, pod: string) => string | undefined;

/** The host path of `p` in the container the exec runs in, or undefined when it has no root. */
function hostPath(ctx: ExecContext, roots: PodRoots, p: string): string | undefined {
  const root = roots(ctx.namespace, str(ctx.pod, 'metadata', 'name') ?? '');
  if (!root || !p.startsWith('/') || p.split('/').includes('..')) return undefined;
  const ephemeral = objs(ctx.pod, 'spec', 'ephemeralContainers').find(
    (c) => str(c, 'name') === ctx.container,
  );
  if (ephemeral) {
    // an ephemeral container's own filesystem is not modelled; its target's is, through /proc/1/root
    if (!str(ephemeral, 'targetContainerName')) return undefined;
    const m = /^\/proc\/1\/root(\/.*)?$/.exec(p);
    if (!m) return undefined;
    p = m[1] ?? '/';
  }
  return path.join(root, p);
}

/** An exec handler with pod filesystems for `tar cf - -C DIR NAME`; the rest goes to `next`. */
export function podFilesHandler(roots: PodRoots, next: ExecHandler): ExecHandler {
  return async (ctx) => {
    const [cmd, c, f, dashC, dir, name, ...more] = ctx.command;
    if (cmd !== 'tar' || c !== 'cf' || f !== '-' || dashC !== '-C' || !dir || !name || more.length)
      return next(ctx);
    const where = hostPath(ctx, roots, dir);
    if (!where || name.includes('/') || name === '..') return next(ctx);
    const root = roots(ctx.namespace, str(ctx.pod, 'metadata', 'name') ?? '')!;
    const child = spawn('tar', ['cf', '-', '-C', where, name], { stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = () => child.kill('SIGKILL');
    ctx.signal.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', (b: Buffer) => ctx.stdout(b));
    // the host's paths never show: messages name the path as the container sees it
    child.stderr.on('data', (b: Buffer) => ctx.stderr(b.toString('utf8').split(root).join('')));
    return new Promise<number>((resolve) => {
      child.on('close', (code) => {
        ctx.signal.removeEventListener('abort', kill);
        resolve(code ?? 137);
      });
    });
  };
}
