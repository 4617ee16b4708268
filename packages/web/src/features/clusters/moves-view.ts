import type { PlacementMove } from '@berth/shared';
import './strings';

export type { PlacementMove } from '@berth/shared';

/** The API path the fleet view calls (checked against /api/openapi.json by the e2e test). */
export const movesApiRoutes = {
  moves: 'GET /api/v1/fleet/moves',
} as const;

/** One cluster of a move: the replicas it runs now and the replicas the fleet controller wants there. */
export interface MoveCluster {
  cluster: string;
  current: number;
  target: number;
  /** Unreachable past the failover grace: its replicas were placed on the other clusters. */
  failedOver: boolean;
}

/**
 * The clusters of a move in a stable order: those with a target (the division's order), then those
 * that only run replicas now, then failed-over ones named nowhere else. Absent counts are 0.
 */
export function moveClusters(m: PlacementMove): MoveCluster[] {
  const names: string[] = [];
  for (const name of [...Object.keys(m.targets), ...Object.keys(m.current), ...m.failedOver])
    if (!names.includes(name)) names.push(name);
  return names.map((cluster) => ({
    cluster,
    current: m.current[cluster] ?? 0,
    target: m.targets[cluster] ?? 0,
    failedOver: m.failedOver.includes(cluster),
  }));
}

/** "c7 2 → 0": a cluster's replicas now → wanted (the cluster's name stays untranslated). */
export function moveText(c: MoveCluster): string {
  return `${c.cluster} ${c.current} → ${c.target}`;
}

/** A note of the placer, "c7: draining: …", split into its cluster and the division's reason. */
export interface MoveNote {
  cluster: string | null;
  reason: string;
}

export function parseNote(note: string): MoveNote {
  const m = /^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?): (.+)$/s.exec(note);
  return m ? { cluster: m[1]!, reason: m[2]! } : { cluster: null, reason: note };
}

/** The portal path of the moving service's page. */
export function moveServicePath(m: Pick<PlacementMove, 'project' | 'env' | 'service'>): string {
  const seg = encodeURIComponent;
  return `/p/${seg(m.project)}/${seg(m.env)}/s/${seg(m.service)}/overview`;
}

/** A row key unique in the list: a service is listed once. */
export function moveKey(m: Pick<PlacementMove, 'project' | 'env' | 'service'>): string {
  return `${m.project}/${m.env}/${m.service}`;
}

/** The filters of the fleet view: each narrows the list the API returns; absent, no narrowing. */
export interface MovesFilter {
  project?: string | undefined;
  env?: string | undefined;
  cluster?: string | undefined;
}

/** The query of `GET /api/v1/fleet/moves` for a filter: only the filters set, in a fixed order. */
export function movesQuery(filter: MovesFilter): Record<string, string> {
  const query: Record<string, string> = {};
  for (const key of ['project', 'env', 'cluster'] as const) {
    const value = filter[key];
    if (value) query[key] = value;
  }
  return query;
}

/**
 * The options of a filter select: the names known (from the project, environment or cluster
 * lists) and those of the moves listed, plus the selected one, each once, in order; `first`
 * (e.g. `local`) leads.
 */
export function filterNames(
  known: readonly string[],
  listed: readonly string[],
  selected?: string,
  first?: string,
): string[] {
  const names = [...new Set([...known, ...listed, ...(selected ? [selected] : [])])];
  return names.sort((a, b) => (a === first ? -1 : b === first ? 1 : a.localeCompare(b)));
}

/** Every cluster a move names: wanted, running or failed over (what the cluster filter matches). */
export function clustersOfMoves(moves: readonly PlacementMove[]): string[] {
  return [...new Set(moves.flatMap((m) => moveClusters(m).map((c) => c.cluster)))];
}
