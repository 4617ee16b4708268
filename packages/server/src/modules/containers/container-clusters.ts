import { z } from 'zod';
import type { ContainerEngine } from '@berth/engine-api';
import { BerthError, InvalidError, NotFoundError, UnavailableError, clusterNameSchema } from '@berth/shared';
import type { Engines } from '../../runtime/engines';

/*
 * Containers across clusters (docs/fleet.md): a container runs where its ledger row's `cluster`
 * says, so every engine call about it goes to that cluster's engine, and every list of containers
 * (or of what they did) can be narrowed to one cluster with `?cluster=NAME`.
 */

/** The `cluster` query parameter of container lists, documented in the OpenAPI document. */
export const clusterQuerySchema = clusterNameSchema.optional().meta({
  description:
    'Only containers on this cluster (a registered cluster name, e.g. local); an unknown name is a 422 at `cluster` listing the registered clusters',
});

export const clusterQuery = z.object({ cluster: clusterQuerySchema });

function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/[.\s]+$/, '');
}

/**
 * 503 for a cluster that does not answer: names the cluster, why, what the caller cannot have
 * (`what`, e.g. "its containers' logs are") and where to watch it come back.
 */
export function clusterUnavailable(cluster: string, what: string, reason: unknown): UnavailableError {
  return new UnavailableError(
    `Cluster '${cluster}' is unreachable: ${reasonOf(reason)}; ${what} not available until it answers (GET /api/v1/clusters/${cluster}).`,
    { cluster },
  );
}

/** The engine of a container's cluster, or 503 naming the cluster when it cannot be reached. */
export async function engineOf(engines: Engines, cluster: string, what: string): Promise<ContainerEngine> {
  try {
    return await engines.get(cluster);
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new NotFoundError(
        'CLUSTER_NOT_FOUND',
        `The container ran on cluster '${cluster}', which is no longer registered; ${what} gone with it (its ledger entry remains, see GET …/containers/history).`,
      );
    }
    if (err instanceof BerthError && !(err instanceof UnavailableError)) throw err;
    throw clusterUnavailable(cluster, what, err);
  }
}

/**
 * Runs `call` on the engine of `cluster`; a transport failure on the way (the cluster died after
 * its engine was handed out) is the same 503 as an unreachable cluster.
 */
export async function onCluster<T>(
  engines: Engines,
  cluster: string,
  what: string,
  call: (engine: ContainerEngine) => Promise<T>,
): Promise<T> {
  const engine = await engineOf(engines, cluster, what);
  try {
    return await call(engine);
  } catch (err) {
    if (err instanceof UnavailableError) throw clusterUnavailable(cluster, what, err);
    throw err;
  }
}

/**
 * Checks a `?cluster=` filter against the registry: an unknown name is a 422 field error at
 * `cluster` that lists the registered clusters. Returns the name (or undefined: no filter).
 */
export async function checkClusterFilter(
  engines: Engines,
  cluster: string | undefined,
): Promise<string | undefined> {
  if (cluster === undefined) return undefined;
  const known = await engines.clusters();
  if (known.includes(cluster)) return cluster;
  const list = known.join(', ');
  throw new InvalidError(
    `Invalid query parameters. cluster: no cluster '${cluster}' is registered; the registered clusters are ${list} (GET /api/v1/clusters).`,
    [{ path: 'cluster', message: `must be a registered cluster: ${list}` }],
    'UNPROCESSABLE',
  );
}
