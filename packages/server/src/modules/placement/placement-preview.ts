import { NotFoundError, type Placement, type PlacementPreview } from '@berth/shared';
import type { AppContext } from '../../http/context';
import { quotaDefaults } from '../quotas/quotas';
import type { ServicesRepository } from '../services/services.repository';
import { storedSpec } from '../services/service-views';
import type { ClusterCatalog } from './cluster-catalog';
import { defaultPlacement, PlacementPlanner, samePlacement } from './placement-plan';

/** Ledger states of containers that serve or are about to (draining and stopping ones are leaving). */
const counted = new Set(['creating', 'starting', 'running', 'ready', 'unhealthy']);

const MiB = 1024 * 1024;

/** What-if answers: where a service's replicas would run under a placement and a replica count. */
export class PlacementPreviews {
  private readonly planner: PlacementPlanner;

  constructor(
    private readonly ctx: AppContext,
    catalog: ClusterCatalog,
    private readonly services: ServicesRepository,
  ) {
    this.planner = new PlacementPlanner(catalog, ctx.config.localCluster);
  }

  /** Memory each replica asks for: the spec's, else the project's default, else the platform's. */
  private async memoryBytes(project: string, memoryMiB: number | undefined): Promise<number> {
    const mib =
      memoryMiB ??
      (await quotaDefaults(this.ctx.db, project)).memoryMiB ??
      this.ctx.config.containers.quotaMemoryMiB;
    return mib * MiB;
  }

  /**
   * For an existing service: its own placement and replica count unless given; the current
   * counts are its containers per cluster. A placement different from the service's is divided
   * from scratch (a changed placement is a rolling move), otherwise the division is stable.
   */
  async forService(
    p: { project: string; env: string; service: string },
    body: { placement?: Placement; replicas?: number },
  ): Promise<PlacementPreview> {
    const row = await this.services.findByPath(p.project, p.env, p.service);
    if (!row || row.deleting === 1)
      throw new NotFoundError(
        'SERVICE_NOT_FOUND',
        `Service '${p.service}' does not exist in project '${p.project}' (env '${p.env}').`,
      );
    const release = await this.services.getRelease(row.id, row.release);
    const spec = release ? storedSpec(release) : null;
    const own = spec?.placement ?? defaultPlacement(this.ctx.config.localCluster);
    const placement = body.placement ?? own;
    const current: Record<string, number> = {};
    for (const c of await this.services.activeContainers(row.id)) {
      if (!counted.has(c.state)) continue;
      const cluster = (c as { cluster?: string | null }).cluster ?? 'local';
      current[cluster] = (current[cluster] ?? 0) + 1;
    }
    return this.planner.plan({
      env: p.env,
      placement,
      replicas: body.replicas ?? (row.stopped === 1 ? 0 : row.replicas),
      memoryPerReplicaBytes: await this.memoryBytes(p.project, spec?.resources?.memoryMiB),
      current,
      fresh: !samePlacement(placement, own),
      seed: `${p.project}/${p.env}/${p.service}`,
    });
  }

  /** For a service not created yet (the create form): nothing runs, so the division is from scratch. */
  async forNew(
    p: { project: string; env: string },
    body: { placement?: Placement; replicas: number; memoryMiB?: number; service?: string },
  ): Promise<PlacementPreview> {
    return this.planner.plan({
      env: p.env,
      placement: body.placement,
      replicas: body.replicas,
      memoryPerReplicaBytes: await this.memoryBytes(p.project, body.memoryMiB),
      fresh: true,
      seed: body.service ? `${p.project}/${p.env}/${body.service}` : undefined,
    });
  }
}
