import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Pushes a local image to `host/repo:tag` over plain http (argv, never a shell string). */
export async function pushImage(
  source: string,
  host: string,
  repoTag: string,
  format: 'oci' | 'v2s2' = 'oci',
): Promise<void> {
  await run(
    'podman',
    ['push', '--quiet', '--tls-verify=false', '--format', format, source, `docker://${host}/${repoTag}`],
    {
      timeout: 60_000,
    },
  );
}

/**
 * Makes a tiny image with one unique layer (a random file) so its blobs are shared with nothing
 * else; returns its local name and a remover. Used to show that garbage collection frees blobs.
 */
export async function uniqueImage(): Promise<{ name: string; remove(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-registry-img-'));
  writeFileSync(path.join(dir, 'payload.bin'), randomBytes(64 * 1024));
  const name = `localhost/berth-registry-test-${randomBytes(4).toString('hex')}:1`;
  const tar = path.join(dir, 'rootfs.tar');
  await run('tar', ['-C', dir, '-cf', tar, 'payload.bin']);
  await run('podman', ['import', '--quiet', tar, name], { timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  return {
    name,
    async remove() {
      await run('podman', ['rmi', '--force', name]).catch(() => undefined);
    },
  };
}
