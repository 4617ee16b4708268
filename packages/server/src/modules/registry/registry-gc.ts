import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { BerthError, ConflictError, embeddedRegistryName, type Task } from '@berth/shared';
import type { AppContext } from '../../http/context';
import { supervisedHelper, type HelperProcess } from '../../supervisor/helper-process';
import { registryPaths } from '../../supervisor/helpers';
import type { TaskRepository } from '../tasks/tasks.repository';
import type { RegistriesService } from './registries.service';

const run = promisify(execFile);

export interface BlobStats {
  blobs: number;
  bytes: number;
}

/** Counts the blobs under a filesystem registry's storage (docker/registry/v2/blobs/<alg>/<xx>/<hex>/data). */
export async function blobStats(storage: string): Promise<BlobStats> {
  const root = path.join(storage, 'docker', 'registry', 'v2', 'blobs');
  const stats: BlobStats = { blobs: 0, bytes: 0 };
  const list = (dir: string) => readdir(dir).catch(() => [] as string[]);
  for (const alg of await list(root)) {
    for (const prefix of await list(path.join(root, alg))) {
      for (const hex of await list(path.join(root, alg, prefix))) {
        const info = await stat(path.join(root, alg, prefix, hex, 'data')).catch(() => null);
        if (!info) continue;
        stats.blobs += 1;
        stats.bytes += info.size;
      }
    }
  }
  return stats;
}

/**
 * Garbage collection of the embedded registry as a Task: the supervised registry is stopped (so
 * nothing is written meanwhile), `docker-registry garbage-collect --delete-untagged` runs over its
 * config, and the registry is started again; the task log reports the freed blobs and bytes.
 */
export class RegistryGc {
  private running: string | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly tasks: TaskRepository,
    private readonly registries: RegistriesService,
  ) {}

  async start(registry: string, actor: string): Promise<Task> {
    const row = await this.registries.get(registry);
    if (row.kind !== 'embedded')
      throw new BerthError(
        'UNPROCESSABLE',
        `Registry '${registry}' is external: run garbage collection where it runs (Harbor: Administration → Clean Up).`,
      );
    const helper = supervisedHelper(this.ctx.config.dataDir, 'registry');
    if (!helper?.owned)
      throw new BerthError(
        'UNPROCESSABLE',
        `Berth does not supervise the embedded registry at ${row.url} in this process (it runs with BERTH_SUPERVISE=0, ` +
          'an external Podman socket, or the registry was already running when Berth started), so it cannot stop it ' +
          `for garbage collection. Stop the registry and run \`docker-registry garbage-collect --delete-untagged ${registryPaths(this.ctx.config).file}\` yourself.`,
      );
    if (this.running)
      throw new ConflictError(
        `A garbage collection of '${registry}' is already running (task ${this.running}).`,
        {
          task: this.running,
        },
      );
    const task = await this.tasks.create({
      kind: 'registry.gc',
      target: `_registries/${embeddedRegistryName}`,
      serviceId: null,
      createdBy: actor,
      total: 3,
      message: 'queued',
    });
    this.running = task.id;
    void this.collect(task.id, helper).finally(() => {
      this.running = null;
    });
    return task;
  }

  private async collect(id: string, helper: HelperProcess): Promise<void> {
    const { file, storage } = registryPaths(this.ctx.config);
    try {
      const before = await blobStats(storage);
      await this.tasks.progress(id, 0, 3, 'stopping the registry');
      await this.tasks.log(id, `before: ${before.blobs} blobs, ${before.bytes} bytes`);
      const out = await helper.whileStopped(async () => {
        await this.tasks.progress(id, 1, 3, 'collecting garbage (registry stopped)');
        return run('docker-registry', ['garbage-collect', '--delete-untagged', file], {
          timeout: 30 * 60_000,
          maxBuffer: 64 * 1024 * 1024,
        });
      });
      const lines = `${out.stdout}\n${out.stderr}`.split('\n').filter((l) => l.trim() !== '');
      const eligible = lines.filter((l) => l.includes('eligible for deletion')).length;
      for (const line of lines.slice(-20)) await this.tasks.log(id, line);
      await this.tasks.progress(id, 2, 3, 'registry started again; measuring');
      const after = await blobStats(storage);
      const freed = { blobs: before.blobs - after.blobs, bytes: before.bytes - after.bytes };
      await this.tasks.log(id, `after: ${after.blobs} blobs, ${after.bytes} bytes`);
      await this.tasks.log(
        id,
        `freed ${freed.blobs} blobs, ${freed.bytes} bytes (${eligible} blobs were eligible)`,
      );
      await this.tasks.progress(id, 3, 3, 'done');
      await this.tasks.finish(id, 'succeeded', `freed ${freed.blobs} blobs, ${freed.bytes} bytes`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.ctx.log.error({ err }, 'registry garbage collection failed');
      await this.tasks
        .finish(id, 'failed', 'garbage collection failed', message.slice(0, 2000))
        .catch(() => undefined);
    }
  }
}
