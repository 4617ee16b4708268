/**
 * The sweep of orphans on workload clusters (Kubernetes): objects labelled with this Berth
 * instance and cluster whose service, volume or environment Berth no longer has — deleted while
 * Berth was down, or while the cluster was unreachable (engine-kubernetes orphans.ts says what
 * goes; a claim only when its volume is deleted). The controller asks for a sweep on every pass;
 * it runs in the background at most once per `everyMs`, never two at a time, and only on clusters
 * the pass could list.
 */
import { isWorkloadEngine, type OrphanKeep } from '@berth/engine-api';
import type { AppContext } from '../../../http/context';
import type { Engines } from '../../../runtime/engines';

/** How often the clusters are swept (each sweep lists six kinds cluster-wide). */
export const orphanSweepMs = 15_000;

/**
 * What Berth has, read from its store: every service (deleting ones too: their own deletion
 * deletes their objects), every project's environments, every volume and config. The services
 * module reads `projects`, `environments`, `volumes` and `configs` here, for their keys only.
 */
export async function orphanKeep(ctx: AppContext): Promise<OrphanKeep> {
  const services = await ctx.db.selectFrom('services').select('id').execute();
  const projects = await ctx.db.selectFrom('projects').select('name').execute();
  const envs = await ctx.db.selectFrom('environments').select('name').execute();
  const volumes = await ctx.db.selectFrom('volumes').select(['project', 'env', 'name']).execute();
  const configs = await ctx.db.selectFrom('configs').select(['project', 'name']).execute();
  return {
    services: new Set(services.map((s) => s.id)),
    envs: new Set(projects.flatMap((p) => envs.map((e) => `${p.name}/${e.name}`))),
    volumes: new Set(volumes.map((v) => `${v.project}/${v.env}/${v.name}`)),
    configs: new Set(configs.map((c) => `${c.project}/${c.name}`)),
  };
}

export class WorkloadOrphans {
  private running: Promise<void> | null = null;
  private lastAt = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly engines: Engines,
    private readonly everyMs = orphanSweepMs,
    private readonly keep: () => Promise<OrphanKeep> = () => orphanKeep(ctx),
  ) {}

  /** Starts a sweep of `clusters` in the background when one is due. */
  sweepSoon(clusters: Iterable<string>): void {
    if (this.running || Date.now() - this.lastAt < this.everyMs) return;
    this.lastAt = Date.now();
    const list = [...clusters];
    this.running = this.sweep(list).finally(() => (this.running = null));
  }

  /** Sweeps `clusters` now; a cluster's failure is logged and the others go on. */
  async sweep(clusters: string[]): Promise<void> {
    for (const cluster of clusters) {
      try {
        const engine = await this.engines.get(cluster);
        if (!isWorkloadEngine(engine) || !engine.collectOrphans) continue;
        const gone = await engine.collectOrphans(this.keep);
        if (gone.length > 0)
          this.ctx.log.info(
            { cluster, gone },
            `cluster ${cluster}: deleted ${gone.length} object(s) of services, volumes or environments Berth no longer has`,
          );
      } catch (err) {
        this.ctx.log.warn({ err, cluster }, `cluster ${cluster}: the sweep of orphaned objects failed`);
      }
    }
  }

  /** Waits for a sweep that runs (the controller stops). */
  async stop(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}
