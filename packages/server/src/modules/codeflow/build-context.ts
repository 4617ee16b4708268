/** Build contexts: a directory on disk streamed to the engine as a tar (argv `tar`, no shell). */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import type { BuildImageOptions, ContainerEngine } from '@berth/engine-api';
import { UnavailableError } from '@berth/shared';

/**
 * Builds `dir` (which holds the Dockerfile) with the engine; each output line goes to `log`.
 * With `opts.confine` the engine builds the directory itself with every RUN step confined.
 */
export async function buildDir(
  engine: ContainerEngine,
  dir: string,
  opts: BuildImageOptions,
  log: (line: string) => Promise<void> | void,
): Promise<void> {
  if (opts.confine) {
    if (!engine.buildDirectory)
      throw new UnavailableError(
        'This engine cannot run confined builds (every RUN step without privileges).',
      );
    for await (const line of engine.buildDirectory(dir, opts)) await log(line);
    return;
  }
  if (!engine.buildImage) throw new UnavailableError('This engine cannot build images.');
  const tar = spawn('tar', ['-C', dir, '-c', '.'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    signal: opts.signal,
  });
  tar.on('error', () => undefined);
  try {
    for await (const line of engine.buildImage(tar.stdout, opts)) await log(line);
  } finally {
    tar.kill('SIGKILL');
  }
}

/** A fresh empty directory. */
export function freshDir(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}
