import type { ClusterCapacity } from '@berth/shared';
import type { Db } from '../../db/database';
import { parseJson } from '../../util';
import { ClustersRepository, envClusters } from '../clusters/clusters.repository';
import type { CandidateCluster } from './division';

/** A cluster as placement sees it: the division's view, plus since when its health state holds. */
export type ClusterInfo = CandidateCluster & {
  /** When the cluster's health state last changed (RFC 3339); null: unknown (taken as now). */
  stateSince?: string | null;
  /** podman or kubernetes (admission checks what a spec needs to run on Kubernetes). */
  kind?: string;
};

/**
 * Where placement learns about clusters: the clusters an environment names, with their cordon,
 * drain, health and free memory. Kept small so admission and the preview do not depend on how
 * clusters are stored.
 */
export interface ClusterCatalog {
  /** The environment's clusters, in the order the environment names them; null: no such environment. */
  forEnv(env: string): Promise<ClusterInfo[] | null>;
  /** Every registered cluster's name. */
  names(): Promise<string[]>;
}

/** The catalog of a Berth with one cluster: `local`, in every environment. */
export const localOnlyCatalog: ClusterCatalog = {
  forEnv: () => Promise.resolve([{ name: 'local', cordoned: false, healthy: true, freeMemoryBytes: null }]),
  names: () => Promise.resolve(['local']),
};

/** Free memory for new containers from a health check's capacity: allocatable minus what Berth uses. */
export function freeMemoryOf(capacity: string | null): number | null {
  const c = parseJson<ClusterCapacity | null>(capacity, null);
  if (!c || typeof c.allocatableMemoryBytes !== 'number') return null;
  return Math.max(0, c.allocatableMemoryBytes - (c.used?.memoryBytes ?? 0));
}

/**
 * The catalog of this server, from the cluster registry: an environment's clusters as it names
 * them; a cluster is healthy unless its last check found it unreachable (a new one, not checked
 * yet, counts as healthy with unknown free memory).
 */
export function clusterCatalog(db: Db): ClusterCatalog {
  const repo = new ClustersRepository(db);
  return {
    async forEnv(env) {
      const row = await repo.findEnv(env);
      if (!row) return null;
      const rows = new Map((await repo.list()).map((c) => [c.name, c]));
      return envClusters(row).map((name) => {
        const c = rows.get(name);
        // a name without a row (deleted behind the registry's back) cannot take replicas
        if (!c) return { name, cordoned: true, healthy: false, freeMemoryBytes: null };
        return {
          name,
          cordoned: c.cordoned === 1,
          draining: c.draining === 1,
          healthy: c.state !== 'unreachable',
          freeMemoryBytes: freeMemoryOf(c.capacity),
          stateSince: c.state_since ?? c.updated_at,
          kind: c.kind,
        };
      });
    },
    async names() {
      return (await repo.list()).map((c) => c.name);
    },
  };
}

/** The failover grace of an environment, seconds (environments.failover_grace_seconds). */
export function failoverGrace(db: Db): (env: string) => Promise<number> {
  const repo = new ClustersRepository(db);
  return async (env) => (await repo.findEnv(env))?.failover_grace_seconds ?? 60;
}
