import { poolOf, type EndpointSet, type PoolServer } from '@berth/gateway-nginx';

/*
 * The addresses an endpoint set balances over, for the drain confirmation (docs/gateway.md, "Zero
 * loss by confirmation"): it asks, after every change, whether a gateway's current set still lists
 * a draining container. Rebuilding a Set of every address of the set for each new version cost
 * ~30 ms at 10,000 routes on every endpoint change, although a change replaces a pool or two; so
 * an index is derived from the previous version's by the pools that changed.
 */

/** Pools of a set as the index reads them. */
type Pools = Readonly<Record<string, readonly PoolServer[]>>;

/** Listings of an address, with the change `by` applied to `counts` (a mutable working copy). */
function bump(counts: Map<string, number>, address: string, by: number): void {
  const n = (counts.get(address) ?? 0) + by;
  if (n === 0) counts.delete(address);
  else counts.set(address, n);
}

/**
 * The addresses (IPV4:PORT) listed with a weight above 0 in any pool of one endpoint set (weight 0
 * is drained: not listed). Immutable, so a view of version N handed to the drain confirmation
 * keeps answering for N while the applier publishes N+1 — pairing a revision with a newer set's
 * addresses could confirm a removal at a revision that still lists the container.
 *
 * Kept as a base (listings per address, never changed once built) plus an overlay of the changes
 * since (copied per version, small): `patched` costs the changed pools and the overlay, and the
 * overlay is folded into a new base once it grows past a sixteenth of the base.
 */
export class AddressIndex implements ReadonlySet<string> {
  private constructor(
    /** address → how many pools list it with a weight above 0 (never 0). */
    private readonly base: ReadonlyMap<string, number>,
    /** address → change of that count since `base` (never 0). */
    private readonly overlay: ReadonlyMap<string, number>,
    readonly size: number,
  ) {}

  /** The index of a whole set's pools (one pass over every endpoint). */
  static of(pools: Pools): AddressIndex {
    const counts = new Map<string, number>();
    for (const name in pools) for (const e of pools[name]!) if (e.weight > 0) bump(counts, e.address, 1);
    return new AddressIndex(counts, new Map(), counts.size);
  }

  private count(address: string, overlay: ReadonlyMap<string, number> = this.overlay): number {
    return (this.base.get(address) ?? 0) + (overlay.get(address) ?? 0);
  }

  /**
   * The index of the set that is this index's set with the pools named in `after` replaced by
   * `after`'s (one given as [] lists nothing). `before` holds those pools as this index's set has
   * them (a pool missing from it is new); every pool not named in `after` is assumed unchanged.
   */
  patched(before: Pools, after: Pools): AddressIndex {
    const overlay = new Map(this.overlay);
    let size = this.size;
    const change = (address: string, by: number) => {
      const was = this.count(address, overlay);
      bump(overlay, address, by);
      const now = was + by;
      if (was === 0 && now > 0) size += 1;
      else if (was > 0 && now === 0) size -= 1;
    };
    for (const name in after) {
      for (const e of before[name] ?? []) if (e.weight > 0) change(e.address, -1);
      for (const e of after[name]!) if (e.weight > 0) change(e.address, 1);
    }
    if (overlay.size <= 64 + (this.base.size >> 4)) return new AddressIndex(this.base, overlay, size);
    const counts = new Map(this.base);
    for (const [address, by] of overlay) bump(counts, address, by);
    return new AddressIndex(counts, new Map(), counts.size);
  }

  has(address: string): boolean {
    return this.count(address) > 0;
  }

  *keys(): SetIterator<string> {
    for (const [address, n] of this.base) if (n + (this.overlay.get(address) ?? 0) > 0) yield address;
    for (const [address, by] of this.overlay) if (!this.base.has(address) && by > 0) yield address;
  }

  values(): SetIterator<string> {
    return this.keys();
  }

  *entries(): SetIterator<[string, string]> {
    for (const a of this.keys()) yield [a, a];
  }

  forEach(fn: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const a of this.keys()) fn.call(thisArg, a, a, this);
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.keys();
  }
}

/** Each published set's index, built or derived once (sets are never changed once published). */
const indexes = new WeakMap<EndpointSet, AddressIndex>();

/** The addresses a set balances over: derived when the set was published, else built once. */
export function addressesOf(set: EndpointSet): AddressIndex {
  let out = indexes.get(set);
  if (!out) {
    out = AddressIndex.of(set.pools);
    indexes.set(set, out);
  }
  return out;
}

/**
 * Derives `next`'s index from `prev`'s when `prev` has one (nothing otherwise: `addressesOf` builds
 * `next`'s the first time it is asked). `changed` names every pool whose servers differ between
 * the two sets (an EndpointDelta's pools); any other pool must list the same servers in both.
 */
export function deriveAddresses(prev: EndpointSet, next: EndpointSet, changed: Iterable<string>): void {
  const from = indexes.get(prev);
  if (!from || indexes.has(next)) return;
  // one pool at a time (poolOf): neither set's record of every pool is built for this
  const before: Record<string, readonly PoolServer[]> = {};
  const after: Record<string, readonly PoolServer[]> = {};
  for (const name of changed) {
    const was = poolOf(prev, name);
    if (was) before[name] = was;
    after[name] = poolOf(next, name) ?? [];
  }
  indexes.set(next, from.patched(before, after));
}

/**
 * Two address sets as one, without copying either (the HTTP pools' index and the TCP/UDP entry
 * points' addresses, which are usually none).
 */
export function unionOf(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  return new AddressUnion(a, b);
}

class AddressUnion implements ReadonlySet<string> {
  private sized: number | null = null;

  constructor(
    private readonly a: ReadonlySet<string>,
    private readonly b: ReadonlySet<string>,
  ) {}

  get size(): number {
    if (this.sized === null) {
      let n = this.a.size;
      for (const x of this.b) if (!this.a.has(x)) n += 1;
      this.sized = n;
    }
    return this.sized;
  }

  has(address: string): boolean {
    return this.a.has(address) || this.b.has(address);
  }

  *keys(): SetIterator<string> {
    yield* this.a;
    for (const x of this.b) if (!this.a.has(x)) yield x;
  }

  values(): SetIterator<string> {
    return this.keys();
  }

  *entries(): SetIterator<[string, string]> {
    for (const a of this.keys()) yield [a, a];
  }

  forEach(fn: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const a of this.keys()) fn.call(thisArg, a, a, this);
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.keys();
  }
}
