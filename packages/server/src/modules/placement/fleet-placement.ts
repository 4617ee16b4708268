import type { ClusterCatalog, ClusterInfo } from './cluster-catalog';
import { divide, type DivisionResult } from './division';
import { defaultPlacement } from './placement-plan';
import type { PlacementMoveRow } from './placement-moves.repository';
import type { PlaceRequest, Placed, ReplicaPlacer } from '../services/controller/replica-placer';

const mib = 1024 * 1024;

export type { PlaceRequest, Placed } from '../services/controller/replica-placer';

export interface FleetPlacementOptions {
  /** A recovered cluster gets its share again after staying ready this long. */
  stableSeconds: number;
  /**
   * Failover pace: services that start moving off a failed cluster, per second, with a burst.
   * A dead cluster's services move a few at a time, so the survivors are not hit by all at once.
   */
  rate?: { perSecond: number; burst: number };
  /**
   * Records a fleet decision on the cluster's event log: `FailoverStarted` when a cluster is first
   * seen past its grace, `Restoring` when such a cluster has been ready for the stability window.
   */
  record?: (cluster: string, type: 'FailoverStarted' | 'Restoring', message: string) => Promise<void>;
  /** Where services that are moving are written for the fleet view (`GET /api/v1/fleet/moves`). */
  moves?: MovesLog;
  now?: () => number;
  /** Whether the built-in cluster `local` runs (config.localCluster, default true): the default placement. */
  localCluster?: boolean;
}

/** The fleet view's store of moving services (PlacementMovesRepository). */
export interface MovesLog {
  save(row: PlacementMoveRow): Promise<void>;
  remove(project: string, env: string, service: string): Promise<void>;
}

/**
 * Whether a service is moving: a cluster failed over, replicas no cluster can take, or a cluster
 * running more of the current release than it should (they move: a placement change, a drain, a
 * failover or a restore). A rolling update or a scale-up on the same clusters is not a move.
 */
export function isMoving(placed: Placed, current: Record<string, number>): boolean {
  if (placed.failedOver.length > 0 || placed.unplaced > 0) return true;
  return Object.entries(current).some(([cluster, n]) => n > (placed.targets[cluster] ?? 0));
}

/** Environment facts the failover needs: the grace period, seconds. */
export type FailoverGrace = (env: string) => Promise<number>;

/**
 * Where the fleet controller wants a service's replicas (docs/fleet.md, "Fleet controller"):
 * the placement's division over the environment's clusters, with failover and restore.
 *
 * - A cluster unreachable (health checker) or blind (its engine did not answer the pass) gets no
 *   new replicas and keeps its own while the environment's grace period runs.
 * - Past the grace it counts as draining: its replicas are divided over the others, a few services
 *   at a time (the failover rate). Never the last copy: when no other cluster can take them, they
 *   stay where they are.
 * - When every cluster of the placement has been ready for the stability window, weighted and
 *   duplicated divisions are divided afresh, so replicas moved away by a failover come back (a
 *   zero-loss rollout moves them). Capacity divisions stay where they run: free memory changes
 *   all the time and would move replicas for nothing.
 */
export class FleetPlacement implements ReplicaPlacer {
  private readonly now: () => number;
  /** One catalog read per environment per pass (the controller passes many services). */
  private readonly cache = new Map<string, { pass: number; clusters: ClusterInfo[] | null; grace: number }>();

  /** Clusters whose failover was recorded, until their restore is. */
  private readonly failed = new Set<string>();
  /** Per failed cluster: the services allowed to move off it (cleared when it is healthy). */
  private readonly moving = new Map<string, Set<string>>();
  /** Per service: what the fleet view has of it ('' = not moving), so only changes are written. */
  private readonly logged = new Map<string, string>();
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly catalog: ClusterCatalog,
    private readonly grace: FailoverGrace,
    private readonly opts: FleetPlacementOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.tokens = opts.rate?.burst ?? Number.POSITIVE_INFINITY;
    this.refilledAt = this.now();
  }

  /**
   * Whether the service may start moving off the failed cluster now (a token of the failover
   * rate); once allowed it keeps moving until the cluster is healthy again.
   */
  private mayMove(cluster: string, service: string): boolean {
    const rate = this.opts.rate;
    let allowed = this.moving.get(cluster);
    if (allowed?.has(service)) return true;
    if (rate) {
      const now = this.now();
      this.tokens = Math.min(rate.burst, this.tokens + ((now - this.refilledAt) / 1000) * rate.perSecond);
      this.refilledAt = now;
      if (this.tokens < 1) return false;
      this.tokens -= 1;
    }
    if (!allowed) {
      allowed = new Set();
      this.moving.set(cluster, allowed);
    }
    allowed.add(service);
    return true;
  }

  private async env(env: string, pass: number): Promise<{ clusters: ClusterInfo[] | null; grace: number }> {
    const hit = this.cache.get(env);
    if (hit && hit.pass === pass) return hit;
    const fresh = { pass, clusters: await this.catalog.forEnv(env), grace: await this.grace(env) };
    this.cache.set(env, fresh);
    return fresh;
  }

  private note(cluster: string, type: 'FailoverStarted' | 'Restoring', message: string): void {
    void this.opts.record?.(cluster, type, message).catch(() => undefined);
  }

  async place(req: PlaceRequest): Promise<Placed> {
    const { clusters, grace } = await this.env(req.env, req.pass);
    const placement = req.placement ?? defaultPlacement(this.opts.localCluster ?? true);
    if (!clusters) return { targets: {}, unplaced: req.replicas, failedOver: [], notes: [] };
    const now = this.now();
    const since = (c: ClusterInfo) => (c.stateSince ? Date.parse(c.stateSince) : now);
    const failedOver: string[] = [];
    const key = `${req.project}/${req.env}/${req.service}`;
    const seen = clusters.map((c) => {
      const answers = req.listed.has(c.name);
      const healthy = answers || (c.healthy && !req.blind.has(c.name));
      if (c.healthy) this.moving.delete(c.name);
      // down past the grace: its replicas go elsewhere, at the failover rate
      // (the grace counts from the health checker's state change; a pass that could not list a
      // cluster the checker finds ready moves nothing)
      const down = !answers && !c.healthy;
      const failed =
        down &&
        now - since(c) >= grace * 1000 &&
        ((req.current[c.name] ?? 0) === 0 || this.mayMove(c.name, key));
      if (failed) failedOver.push(c.name);
      if (down && now - since(c) >= grace * 1000 && !this.failed.has(c.name)) {
        this.failed.add(c.name);
        this.note(
          c.name,
          'FailoverStarted',
          `Cluster '${c.name}' has been unreachable for ${Math.round((now - since(c)) / 1000)} s, past environment ${req.env}'s failover grace (${grace} s): its replicas move to the other clusters.`,
        );
      } else if (c.healthy && this.failed.has(c.name) && now - since(c) >= this.opts.stableSeconds * 1000) {
        this.failed.delete(c.name);
        this.note(
          c.name,
          'Restoring',
          `Cluster '${c.name}' has been ready for ${Math.round((now - since(c)) / 1000)} s (stability window ${this.opts.stableSeconds} s): the placements' division is restored, replicas move back.`,
        );
      }
      return { ...c, healthy, draining: c.draining === true || failed };
    });
    const named =
      placement.clusters === 'all' ? seen.map((c) => c.name) : placement.clusters.map((c) => c.name);
    // stable: ready by the health checker (not only listed by this pass) for the whole window
    const stable = named.every((n) => {
      const c = seen.find((x) => x.name === n);
      const checked = clusters.find((x) => x.name === n);
      return (
        c !== undefined &&
        c.healthy &&
        checked?.healthy === true &&
        !c.cordoned &&
        !c.draining &&
        now - since(c) >= this.opts.stableSeconds * 1000
      );
    });
    const run = (cs: ClusterInfo[]): DivisionResult =>
      divide({
        clusters: cs,
        placement,
        replicas: req.replicas,
        memoryPerReplicaBytes: req.memoryMiB === null ? null : req.memoryMiB * mib,
        current: req.current,
        fresh: stable && placement.division !== 'capacity',
        seed: `${req.project}/${req.env}/${req.service}`,
      });
    let result = run(seen);
    let moved = failedOver;
    if (result.unplaced > 0 && failedOver.length > 0) {
      // never the last copy: nowhere else to go, so the failed clusters keep what they run
      const keep = (c: ClusterInfo): ClusterInfo =>
        failedOver.includes(c.name)
          ? { ...c, draining: clusters.find((x) => x.name === c.name)?.draining }
          : c;
      result = run(seen.map(keep));
      moved = [];
    }
    const targets: Record<string, number> = {};
    const notes: string[] = [];
    for (const i of result.items) {
      targets[i.cluster] = i.replicas;
      if (i.reason) notes.push(`${i.cluster}: ${i.reason}`);
    }
    const placed = { targets, unplaced: result.unplaced, failedOver: moved, notes };
    this.log(req, placed);
    return placed;
  }

  /** Writes the service to the fleet view while it moves, removes it once settled; only changes. */
  private log(req: PlaceRequest, placed: Placed): void {
    const moves = this.opts.moves;
    if (!moves) return;
    const key = `${req.project}/${req.env}/${req.service}`;
    const moving = isMoving(placed, req.current);
    const state = moving
      ? JSON.stringify([placed.targets, req.current, placed.failedOver, placed.notes, placed.unplaced])
      : '';
    const before = this.logged.get(key);
    if (before === state) return;
    this.logged.set(key, state);
    const now = new Date(this.now()).toISOString();
    const write = moving
      ? moves.save({
          project: req.project,
          env: req.env,
          service: req.service,
          targets: JSON.stringify(placed.targets),
          current: JSON.stringify(req.current),
          failed_over: JSON.stringify(placed.failedOver),
          notes: JSON.stringify(placed.notes),
          unplaced: placed.unplaced,
          since: now,
          updated_at: now,
        })
      : moves.remove(req.project, req.env, req.service);
    // a failed write is tried again on the next pass
    void write.catch(() => this.logged.delete(key));
  }
}
