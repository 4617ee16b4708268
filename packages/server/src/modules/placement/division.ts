/**
 * Dividing a service's replicas over clusters. Pure: no I/O, no clock, no randomness; the
 * preview, admission and (later) the fleet controller call the same function.
 *
 * Weighted and capacity divisions use Webster / Sainte-Laguë highest averages: each replica goes,
 * one at a time, to the cluster with the largest `weight / (2·replicas + 1)`. Priorities are
 * compared exactly (cross-multiplied integers, no floating point). Ties go to:
 *   1. the cluster with fewer replicas so far (spreads small services for availability),
 *   2. with a seed (the service's path): the smaller FNV-1a hash of `seed + "\n" + cluster`,
 *      so that equal clusters do not all fill the alphabetically first one, yet every call
 *      for the same service decides the same way,
 *   3. the smaller cluster name.
 * Removal (scale-down) is the exact reverse: the replica taken away is the one whose seat had
 * the lowest priority (`weight / (2·replicas − 1)`), ties to more replicas, then the larger hash,
 * then the larger name; so scaling up by k and down by k gives back the same division.
 *
 * Stability: unless `fresh`, replicas already running stay where they are. A scale-up spreads
 * only the new replicas (starting from the current counts); a scale-down removes one replica at
 * a time, first from unhealthy clusters, then cordoned ones, then clusters above minPerCluster,
 * then from the most over-represented cluster. A changed placement is computed from scratch
 * (`fresh: true`), the move is then a rollout.
 */

export type DivisionKind = 'weighted' | 'capacity' | 'duplicated';

export interface PlacementSpec {
  clusters: { name: string; weight: number }[] | 'all';
  division: DivisionKind;
  minPerCluster?: number;
}

/** A cluster of the environment, as the division sees it. */
export interface CandidateCluster {
  name: string;
  /** Free memory for new containers (capacity division); null or absent when unknown. */
  freeMemoryBytes?: number | null;
  /** No new replicas; existing ones stay. */
  cordoned: boolean;
  /** Unhealthy: no new replicas; existing ones stay until failover moves them. */
  healthy: boolean;
  /** Draining: its replicas move to the other clusters. */
  draining?: boolean;
}

export interface DivisionRequest {
  /** The environment's clusters. */
  clusters: CandidateCluster[];
  placement: PlacementSpec;
  replicas: number;
  /** Memory each replica asks for (capacity division); without it nothing is capped. */
  memoryPerReplicaBytes?: number | null;
  /** Replicas running now, by cluster. */
  current?: Record<string, number>;
  /** Ignore where replicas run now (a changed placement): the target is computed from scratch. */
  fresh?: boolean;
  /** Spreads ties between equal clusters per service (see above); usually "project/env/service". */
  seed?: string;
}

export interface DivisionItem {
  cluster: string;
  replicas: number;
  current: number;
  /** Why the cluster gets fewer than its share or none; null when nothing limits it. */
  reason: string | null;
}

export interface DivisionResult {
  items: DivisionItem[];
  /** Replicas placed in total (for duplicated: over all clusters). */
  placed: number;
  /** Replicas no cluster could take (capacity, cordons, unhealthy clusters). */
  unplaced: number;
}

interface Party {
  name: string;
  weight: number;
  /** Replicas assigned so far. */
  seats: number;
  /** Most replicas the cluster may hold in total. */
  cap: number;
  /** May receive new replicas. */
  open: boolean;
  /** 0 unhealthy, 1 cordoned, 2 normal: the order in which scale-down takes replicas away. */
  rank: number;
  tie: number;
  reason: string | null;
  current: number;
  /** Seats counted for Webster priority (capacity division counts only the new ones). */
  counted: number;
}

/** 32-bit FNV-1a: small, fast, stable across runs and platforms. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** True when a should get the next replica before b. */
function addsBefore(a: Party, b: Party): boolean {
  const pa = a.weight * (2 * b.counted + 1);
  const pb = b.weight * (2 * a.counted + 1);
  if (pa !== pb) return pa > pb;
  if (a.seats !== b.seats) return a.seats < b.seats;
  if (a.tie !== b.tie) return a.tie < b.tie;
  return a.name < b.name;
}

/** True when a should lose a replica before b (both have at least one). */
function removesBefore(a: Party, b: Party, min: number): boolean {
  if (a.rank !== b.rank) return a.rank < b.rank;
  const aboveA = a.seats > min;
  const aboveB = b.seats > min;
  if (aboveA !== aboveB) return aboveA;
  // at or below the minimum: the reverse of filling up to it (the fullest first)
  if (!aboveA && a.seats !== b.seats) return a.seats > b.seats;
  // the seat with the lowest priority: weight / (2·seats − 1)
  const pa = a.weight * (2 * b.seats - 1);
  const pb = b.weight * (2 * a.seats - 1);
  if (pa !== pb) return pa < pb;
  if (a.seats !== b.seats) return a.seats > b.seats;
  if (a.tie !== b.tie) return a.tie > b.tie;
  return a.name > b.name;
}

const reasons = {
  notInEnv: "not one of the environment's clusters: its replicas move away",
  draining: 'draining: its replicas move to the other clusters',
  unhealthy: 'unhealthy: gets no new replicas',
  cordoned: 'cordoned: gets no new replicas',
  unknownCapacity: 'free memory not known yet: gets no new replicas',
  notPlaced: 'not in the placement',
};

/** Divides `replicas` over the clusters of `placement`. */
export function divide(req: DivisionRequest): DivisionResult {
  const current = req.current ?? {};
  const byName = new Map(req.clusters.map((c) => [c.name, c]));
  const min = Math.max(0, req.placement.minPerCluster ?? 0);
  const mem = req.memoryPerReplicaBytes && req.memoryPerReplicaBytes > 0 ? req.memoryPerReplicaBytes : null;
  const kind = req.placement.division;

  const wanted: { name: string; weight: number }[] =
    req.placement.clusters === 'all'
      ? [...req.clusters]
          .map((c) => ({ name: c.name, weight: 1 }))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      : req.placement.clusters;
  const parties: Party[] = [];
  const seen = new Set<string>();
  const add = (name: string, weight: number) => {
    seen.add(name);
    const c = byName.get(name);
    const now = Math.max(0, Math.floor(current[name] ?? 0));
    const p: Party = {
      name,
      weight,
      seats: 0,
      cap: Number.POSITIVE_INFINITY,
      open: true,
      rank: 2,
      tie: req.seed === undefined ? 0 : fnv1a(`${req.seed}\n${name}`),
      reason: null,
      current: now,
      counted: 0,
    };
    if (!c) {
      p.open = false;
      p.cap = 0;
      p.reason = reasons.notInEnv;
    } else if (c.draining) {
      p.open = false;
      p.cap = 0;
      p.reason = reasons.draining;
    } else if (!c.healthy) {
      p.open = false;
      p.rank = 0;
      p.reason = reasons.unhealthy;
    } else if (c.cordoned) {
      p.open = false;
      p.rank = 1;
      p.reason = reasons.cordoned;
    } else if (weight === 0) {
      p.open = false;
      p.reason = now > 0 ? reasons.notPlaced : null;
    } else if (kind === 'capacity') {
      if (c.freeMemoryBytes === null || c.freeMemoryBytes === undefined) {
        p.open = false;
        p.reason = reasons.unknownCapacity;
      } else {
        p.weight = Math.max(0, Math.floor(c.freeMemoryBytes));
        if (mem) p.cap = now + Math.floor(Math.max(0, c.freeMemoryBytes) / mem);
        if (p.weight === 0 || p.cap === now) {
          p.open = false;
          p.reason = 'no capacity: no free memory for another replica';
        }
      }
    }
    // stable: replicas stay where they run, except where they must leave
    if (!req.fresh && p.cap !== 0) p.seats = now;
    parties.push(p);
  };
  for (const w of wanted) if (!seen.has(w.name)) add(w.name, w.weight);
  // clusters running replicas without being in the placement
  for (const name of Object.keys(current).sort()) {
    if (!seen.has(name) && (current[name] ?? 0) > 0) add(name, 0);
  }

  let unplaced = 0;
  if (kind === 'duplicated') {
    for (const p of parties) {
      if (p.cap === 0 || p.weight === 0) p.seats = 0;
      else if (p.open) p.seats = req.replicas;
      else {
        p.seats = Math.min(p.seats, req.replicas);
        unplaced += req.replicas - p.seats;
      }
    }
  } else {
    const total = parties.reduce((s, p) => s + p.seats, 0);
    if (total < req.replicas) unplaced = spread(parties, req.replicas - total, min, kind === 'capacity');
    else if (total > req.replicas) shrink(parties, total - req.replicas, min);
  }

  const items = parties.map((p) => ({
    cluster: p.name,
    replicas: p.seats,
    current: p.current,
    reason: p.reason,
  }));
  return { items, placed: items.reduce((s, i) => s + i.replicas, 0), unplaced };
}

/** Adds n replicas: minPerCluster first, then highest averages. Returns how many found no place. */
function spread(parties: Party[], n: number, min: number, deltaOnly: boolean): number {
  const open: Party[] = [];
  for (const p of parties) {
    if (!p.open || p.weight <= 0) continue;
    p.counted = deltaOnly ? 0 : p.seats;
    open.push(p);
  }
  let left = n;
  // 1. every open cluster up to minPerCluster, the emptiest first
  while (left > 0 && min > 0) {
    let next: Party | null = null;
    for (const p of open) {
      if (p.seats >= min || p.seats >= p.cap) continue;
      if (next === null || p.seats < next.seats || (p.seats === next.seats && addsBefore(p, next))) next = p;
    }
    if (!next) break;
    next.seats++;
    next.counted++;
    left--;
  }
  // 2. the rest by Webster, from a heap ordered by addsBefore; a cluster picked when full is
  //    closed, with the reason
  const heap = new Heap(addsBefore);
  for (const p of open) heap.push(p);
  while (left > 0 && heap.size > 0) {
    const next = heap.pop();
    if (next.seats >= next.cap) {
      if (next.reason === null) next.reason = `no capacity: only ${next.cap} fit`;
      continue;
    }
    next.seats++;
    next.counted++;
    left--;
    heap.push(next);
  }
  return left;
}

/** Removes n replicas, one at a time, from the most over-represented cluster. */
function shrink(parties: Party[], n: number, min: number): void {
  const heap = new Heap<Party>((a, b) => removesBefore(a, b, min));
  for (const p of parties) if (p.seats > 0) heap.push(p);
  for (let left = n; left > 0 && heap.size > 0; left--) {
    const next = heap.pop();
    next.seats--;
    if (next.seats > 0) heap.push(next);
  }
}

/** A binary heap: pop() returns the item that comes before all others. */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): T {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
