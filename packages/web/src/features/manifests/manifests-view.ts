import type { ServiceRef } from '../../api/paths';

/** A Kubernetes cluster the Manifests view offers, and whether the service's environment names it. */
export interface ClusterChoice {
  name: string;
  /** The environment lists it among its clusters: the service can be placed there. */
  inEnv: boolean;
}

/**
 * The clusters of kind kubernetes, those the environment names first (where the service can run),
 * then the others (an admin may still want to read what Berth would apply there), each by name.
 * `envClusters` null: the environment's clusters are not known (yet); none is marked.
 */
export function kubernetesChoices(
  clusters: ReadonlyArray<{ name: string; kind: string }>,
  envClusters: readonly string[] | null,
): ClusterChoice[] {
  return clusters
    .filter((c) => c.kind === 'kubernetes')
    .map((c) => ({ name: c.name, inEnv: envClusters?.includes(c.name) ?? false }))
    .sort((a, b) => Number(b.inEnv) - Number(a.inEnv) || a.name.localeCompare(b.name));
}

/** The cluster to show: the one asked for (the URL's `?cluster=`) if offered, else the first choice. */
export function pickCluster(choices: readonly ClusterChoice[], wanted: string | null): string | null {
  if (wanted && choices.some((c) => c.name === wanted)) return wanted;
  return choices[0]?.name ?? null;
}

/** The download's file name: whose manifests and for which cluster, e.g. `shop-test-web.k8s-a.yaml`. */
export function manifestsFileName(ref: ServiceRef, cluster: string): string {
  return `${ref.project}-${ref.env}-${ref.service}.${cluster}.yaml`;
}
