/**
 * The object store of the test API server, shaped like etcd behind the apiserver's watch cache:
 * one global revision counter (every write gets the next `resourceVersion`), a history of changes
 * for watches and exact reads, and a compaction point — a watch or exact list from a revision
 * older than what the history still holds is 410 Gone / `Expired`, as after an etcd compaction.
 */
import { ApiError, expired } from './status';
import { clone, isObj, strMap, type Obj } from './json';
import type { ResourceType } from './resources';
import { matchFields, matchLabels, type FieldSelector, type LabelSelector } from './selectors';

/** A watch event type on the wire. */
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change in the history: the object after it (as of the deletion for DELETED) and before it. */
interface Change {
  rv: number;
  type: EventType;
  rt: ResourceType;
  obj: Obj;
  prev: Obj | undefined;
}

/** What a watch selects. */
export interface WatchFilter {
  rt: ResourceType;
  namespace?: string;
  labels: LabelSelector;
  fields: FieldSelector;
}

/** An open watch: the server writes its events and ends it. */
export interface Watcher extends WatchFilter {
  send(type: EventType | 'BOOKMARK' | 'ERROR', object: Obj): void;
  /** Ends the stream (the connection closes). */
  end(): void;
}

const nsOf = (o: Obj) =>
  isObj(o.metadata) && typeof o.metadata.namespace === 'string' ? o.metadata.namespace : '';
const nameOf = (o: Obj) => (isObj(o.metadata) && typeof o.metadata.name === 'string' ? o.metadata.name : '');
const keyOf = (o: Obj) => `${nsOf(o)}/${nameOf(o)}`;

/** Whether an object passes a filter. */
export function selects(f: WatchFilter, o: Obj): boolean {
  if (f.namespace && nsOf(o) !== f.namespace) return false;
  return matchLabels(f.labels, strMap(o, 'metadata', 'labels')) && matchFields(f.fields, o);
}

/** The store; `changed` listeners (the controller simulation) hear every committed change. */
export class Store {
  private revision = 0;
  /** Changes up to and including this revision are gone from the history. */
  private compactedRv = 0;
  private readonly objects = new Map<ResourceType, Map<string, Obj>>();
  private readonly history: Change[] = [];
  readonly watchers = new Set<Watcher>();
  private readonly listeners: ((type: EventType, rt: ResourceType, obj: Obj) => void)[] = [];

  constructor(private readonly historyLimit: number) {}

  /** The current revision (the newest resourceVersion). */
  get rv(): number {
    return this.revision;
  }

  /** The oldest revision a watch may start from. */
  get oldestRv(): number {
    return this.compactedRv;
  }

  /** Subscribes to every committed change (after watchers got it; the object is the stored one: read only). */
  onChange(fn: (type: EventType, rt: ResourceType, obj: Obj) => void): void {
    this.listeners.push(fn);
  }

  private table(rt: ResourceType): Map<string, Obj> {
    let t = this.objects.get(rt);
    if (!t) {
      t = new Map<string, Obj>();
      this.objects.set(rt, t);
    }
    return t;
  }

  /** A stored object (a copy), or undefined. */
  get(rt: ResourceType, namespace: string, name: string): Obj | undefined {
    const o = this.table(rt).get(`${rt.namespaced ? namespace : ''}/${name}`);
    return o ? clone(o) : undefined;
  }

  /** Stored objects passing a filter (copies), sorted by namespace and name like etcd keys. */
  list(f: WatchFilter): Obj[] {
    return this.peek(f).map((o) => clone(o));
  }

  /**
   * The stored objects themselves, for the controller simulation's reads: never to be mutated
   * (every write goes through `put`, which stores a new object), so a pass copies nothing.
   */
  peek(f: WatchFilter): readonly Obj[] {
    return [...this.table(f.rt).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o)
      .filter((o) => selects(f, o));
  }

  /** Objects of a filter as they were at revision `rv` (the history undone back to it). */
  listAt(f: WatchFilter, rv: number): Obj[] {
    if (rv < this.compactedRv) throw expired(rv, this.compactedRv);
    if (rv > this.revision) {
      throw new ApiError(504, 'Timeout', `Too large resource version: ${rv}, current: ${this.revision}`);
    }
    const state = new Map(this.table(f.rt));
    for (let i = this.history.length - 1; i >= 0; i--) {
      const c = this.history[i]!;
      if (c.rv <= rv) break;
      if (c.rt !== f.rt) continue;
      if (c.type === 'ADDED') state.delete(keyOf(c.obj));
      else if (c.prev) state.set(keyOf(c.prev), c.prev);
    }
    return [...state.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o)
      .filter((o) => selects(f, o))
      .map((o) => clone(o));
  }

  /** Writes an object (ADDED or MODIFIED) at the next revision; returns the stored copy. */
  put(rt: ResourceType, obj: Obj, type: 'ADDED' | 'MODIFIED'): Obj {
    const stored = clone(obj);
    this.revision++;
    (stored.metadata as Obj).resourceVersion = String(this.revision);
    const t = this.table(rt);
    const prev = t.get(keyOf(stored));
    deepFreeze(stored);
    t.set(keyOf(stored), stored);
    this.record({ rv: this.revision, type, rt, obj: stored, prev });
    return clone(stored);
  }

  /** Removes an object at the next revision; returns it as deleted. */
  remove(rt: ResourceType, obj: Obj): Obj {
    const t = this.table(rt);
    const prev = t.get(keyOf(obj));
    if (!prev) return clone(obj);
    this.revision++;
    const gone = clone(prev);
    (gone.metadata as Obj).resourceVersion = String(this.revision);
    deepFreeze(gone);
    t.delete(keyOf(obj));
    this.record({ rv: this.revision, type: 'DELETED', rt, obj: gone, prev });
    return clone(gone);
  }

  private record(c: Change): void {
    this.history.push(c);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()!;
      this.compactedRv = dropped.rv;
    }
    for (const w of this.watchers) if (w.rt === c.rt) deliver(w, c);
    for (const fn of this.listeners) fn(c.type, c.rt, c.obj);
  }

  /**
   * Starts a watch. `fromRv` undefined: synthetic ADDED events for what exists now, then changes
   * (api-conventions "Get State and Start at Most Recent"); a revision: the changes after it, or
   * an `Expired` error when the history no longer reaches back that far.
   */
  watch(w: Watcher, fromRv: number | undefined): void {
    if (fromRv === undefined) {
      for (const o of this.peek(w)) w.send('ADDED', o);
    } else {
      if (fromRv < this.compactedRv) throw expired(fromRv, this.compactedRv);
      for (const c of this.history) if (c.rv > fromRv && c.rt === w.rt) deliver(w, c);
    }
    this.watchers.add(w);
  }

  /**
   * Drops the whole history, as an etcd compaction after one more write elsewhere (a cluster is
   * never idle: leases renew): every resourceVersion a client holds is now older than the oldest
   * one a watch can start from, so its next watch is 410 Expired and it must relist.
   */
  compact(): void {
    this.history.length = 0;
    this.revision++;
    this.compactedRv = this.revision;
  }
}

/** Freezes a stored object, so a read that forgets to copy before changing it fails loudly. */
function deepFreeze(v: unknown): void {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}

/** Sends a change to a watcher as the watch cache does: label changes become ADDED/DELETED (watchers serialize at once, never keep the object). */
function deliver(w: Watcher, c: Change): void {
  const now = selects(w, c.obj);
  const before = c.prev !== undefined && selects(w, c.prev);
  if (c.type === 'ADDED') {
    if (now) w.send('ADDED', c.obj);
  } else if (c.type === 'DELETED') {
    if (before) w.send('DELETED', c.obj);
  } else if (now && before) w.send('MODIFIED', c.obj);
  else if (now) w.send('ADDED', c.obj);
  else if (before) w.send('DELETED', c.obj);
}
