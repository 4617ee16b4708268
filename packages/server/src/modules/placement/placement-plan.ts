import {
  BerthError,
  NotFoundError,
  type FieldError,
  type Placement,
  type PlacementPreview,
} from '@berth/shared';
import type { ClusterCatalog, ClusterInfo } from './cluster-catalog';
import { divide } from './division';

/**
 * The placement of a service that names none: everything on `local`; without `local`
 * (BERTH_LOCAL_CLUSTER=off, `local` false) every cluster of the environment, weight 1.
 */
export function defaultPlacement(local = true): Placement {
  return local
    ? { clusters: [{ name: 'local', weight: 1 }], division: 'weighted' }
    : { clusters: 'all', division: 'weighted' };
}

/** A placement in one canonical form, for comparing the stored one with a requested one. */
export function samePlacement(a: Placement, b: Placement): boolean {
  const canon = (p: Placement) =>
    JSON.stringify({
      clusters: p.clusters === 'all' ? 'all' : p.clusters.map((c) => [c.name, c.weight]),
      division: p.division,
      min: p.minPerCluster ?? 0,
    });
  return canon(a) === canon(b);
}

export interface PlanRequest {
  env: string;
  /** Absent: the default placement. */
  placement?: Placement;
  replicas: number;
  memoryPerReplicaBytes?: number | null;
  /** Replicas running now, by cluster. */
  current?: Record<string, number>;
  /** The placement changed: divide from scratch. */
  fresh?: boolean;
  /** Ties between equal clusters spread by this (the service's path). */
  seed?: string;
}

/**
 * Without `local` an environment that names no cluster has nowhere to run a service: 409 saying
 * how to give it one (the environment is wrong, not the request).
 */
export function noClusters(env: string): BerthError {
  return new BerthError(
    'CONFLICT',
    `Environment '${env}' has no clusters, and this Berth runs without its built-in cluster 'local' ` +
      `(BERTH_LOCAL_CLUSTER=off): a platform admin must register a cluster (berth clusters create NAME ` +
      `--kind kubernetes --endpoint in-cluster) and attach it to the environment ` +
      `(berth envs set-clusters ${env} NAME, or PATCH /api/v1/envs/${env} {"clusters": ["NAME"]}).`,
    { env, clusters: [] },
  );
}

/**
 * Placement decisions shared by admission and the preview (the fleet controller divides with
 * fleet-placement.ts): the
 * named clusters must exist and belong to the environment; the division itself is `divide`.
 */
export class PlacementPlanner {
  /** `local`: whether the built-in cluster `local` runs (config.localCluster): the default placement. */
  constructor(
    private readonly catalog: ClusterCatalog,
    private readonly local = true,
  ) {}

  private async envClusters(env: string): Promise<ClusterInfo[]> {
    const clusters = await this.catalog.forEnv(env);
    if (!clusters) throw new NotFoundError('ENV_NOT_FOUND', `Environment '${env}' does not exist.`);
    return clusters;
  }

  /** 422 with a field error per cluster that does not exist or is not one of the environment's. */
  private async checkNames(env: string, placement: Placement, field: string, clusters: ClusterInfo[]) {
    if (placement.clusters === 'all') return;
    const inEnv = new Set(clusters.map((c) => c.name));
    const known = new Set(await this.catalog.names());
    const fields: FieldError[] = [];
    placement.clusters.forEach((c, i) => {
      const path = `${field}.clusters.${i}.name`;
      if (!known.has(c.name))
        fields.push({
          path,
          message: `cluster "${c.name}" does not exist (GET /api/v1/clusters lists them)`,
        });
      else if (!inEnv.has(c.name))
        fields.push({
          path,
          message: `cluster "${c.name}" is not one of environment "${env}"'s clusters (${[...inEnv].join(', ') || 'none'})`,
        });
    });
    if (fields.length > 0)
      throw new BerthError(
        'UNPROCESSABLE',
        `${field}: ${fields[0]!.message}; name clusters of environment '${env}', or ask a platform admin to add the cluster to it.`,
        { fields },
      );
  }

  /**
   * Admission of a service's placement (create, update, promote, rollback): the clusters must
   * exist and belong to the environment (422 otherwise). The fleet controller serves every
   * registered cluster; one that cannot take replicas now (cordoned, unreachable, full) is shown
   * in the division, not refused: it may take them later.
   */
  async admit(env: string, placement: Placement | undefined, field = 'spec.placement'): Promise<void> {
    if (!placement && this.local) return;
    const clusters = await this.envClusters(env);
    if (!this.local && clusters.length === 0) throw noClusters(env);
    if (placement) await this.checkNames(env, placement, field, clusters);
  }

  /** The division of `replicas` under a placement: what the preview shows and the controller does. */
  async plan(req: PlanRequest, field = 'placement'): Promise<PlacementPreview> {
    const clusters = await this.envClusters(req.env);
    const placement = req.placement ?? defaultPlacement(this.local);
    await this.checkNames(req.env, placement, field, clusters);
    const division = divide({
      clusters,
      placement,
      replicas: req.replicas,
      memoryPerReplicaBytes: req.memoryPerReplicaBytes ?? null,
      current: req.current ?? {},
      fresh: req.fresh ?? false,
      seed: req.seed,
    });
    return {
      items: division.items,
      placement,
      replicas: req.replicas,
      unplaced: division.unplaced,
      // what admission would answer: checkNames above is all it checks
      refused: null,
    };
  }
}
