/**
 * What the image cleanup (image-cleanup.ts) reads from the store: which images each cluster needs
 * for the services placed on it, and which images the container ledger says are in use there.
 * Read only; one query per table, no per-service round trips.
 */
import type { Placement } from '@berth/shared';
import type { Db } from '../../db/database';
import { parseJson } from '../../util';
import { envClusters } from '../clusters/clusters.repository';
import type { ServicesRepository } from '../services/services.repository';
import { defaultPlacement } from './placement-plan';

/** An image as a service or the ledger names it (before the cluster's registry address is applied). */
export interface ImageOnCluster {
  cluster: string;
  image: string;
  /** The digest the ledger recorded for a container (sha256:…), when known. */
  digest?: string | null;
}

export interface ImageNeeds {
  /**
   * The current and the stable release's image of every service not being deleted, on every
   * cluster its placement names (all the environment's clusters for "all", `local` without a
   * placement), so a rollback or a scale-up there needs no pull.
   */
  needed: ImageOnCluster[];
  /**
   * The image of every ledger container that may still exist on its cluster (the active states;
   * an `exited` row is history: the runner removes the container before it writes that state).
   */
  used: ImageOnCluster[];
}

/** The clusters a placement names; the environment's for "all" (`local`: config.localCluster). */
export function placedClusters(placement: Placement | undefined, envNames: string[], local = true): string[] {
  const p = placement ?? defaultPlacement(local);
  return p.clusters === 'all' ? envNames : p.clusters.map((c) => c.name);
}

/**
 * Reads what every cluster needs and uses: the services' releases and the container ledger
 * through the services' repository, the environments' clusters from the store.
 */
export async function readImageNeeds(
  db: Db,
  services: Pick<ServicesRepository, 'releaseSpecsInUse' | 'imagesOfActiveContainers'>,
  local = true,
): Promise<ImageNeeds> {
  const [releases, envs, ledger] = await Promise.all([
    services.releaseSpecsInUse(),
    db.selectFrom('environments').select(['name', 'clusters']).execute(),
    services.imagesOfActiveContainers(),
  ]);
  const envNames = new Map(envs.map((e) => [e.name, envClusters(e)]));
  const needed: ImageOnCluster[] = [];
  for (const row of releases) {
    const spec = parseJson<{ image?: string; placement?: Placement }>(row.spec, {});
    if (!spec.image) continue;
    for (const cluster of placedClusters(spec.placement, envNames.get(row.env) ?? [], local))
      needed.push({ cluster, image: spec.image });
  }
  const used = ledger.map((r) => ({ cluster: r.cluster, image: r.image, digest: r.image_digest }));
  return { needed, used };
}
