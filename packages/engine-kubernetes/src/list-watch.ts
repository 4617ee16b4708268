/**
 * List, then watch from the list's resourceVersion — the informer pattern, kept small so its
 * rules are visible (API conventions, "Efficient detection of changes"):
 * - every event moves the resourceVersion on; a BOOKMARK (asked with `allowWatchBookmarks`) moves
 *   it on without an object change, so a reconnect after a quiet hour does not ask for a version
 *   the server already compacted away;
 * - 410 Gone (an ERROR event in the stream, or the HTTP status of the watch request) means the
 *   version is too old: list again, and hand on the differences between what was known and the
 *   new list as ADDED / MODIFIED / DELETED, so a change that happened in the gap is not lost;
 * - a watch that ends (the server's timeout, a dropped connection, an API server restart, or a
 *   silent connection past the server's timeout) is opened again from the last version, after a
 *   backoff that doubles from 250 ms to 30 s with jitter (half to all of it); a watch that
 *   delivered something reconnects at once and resets the backoff.
 */
import { createInterface } from 'node:readline';
import type { KubeClient } from './client';
import type { RequestContext } from './errors';
import { statusOf } from './errors';
import type { KubeList, ObjectMeta, WatchEvent } from './kube-types';

/** A change as the cache hands it on: the object before (undefined when new) and after (undefined when gone). */
export type Change<T> = (prev: T | undefined, next: T | undefined) => void;

export interface ListWatchOptions<T> {
  /** A collection path, e.g. `/api/v1/pods` or `/api/v1/namespaces/x/events`. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  ctx: Omit<RequestContext, 'verb'>;
  onChange: Change<T>;
  /** Called once per failed attempt (logging); the loop goes on by itself. */
  onError?: (err: unknown) => void;
  /** The watch request's timeoutSeconds (the server ends it then; reopened at once). */
  watchTimeoutSeconds?: number;
}

const backoffBaseMs = 250;
const backoffCapMs = 30_000;

/** A list+watch loop with a cache of the objects by namespace/name. */
export class ListWatch<T extends { metadata: ObjectMeta }> {
  private readonly objects = new Map<string, T>();
  private resourceVersion: string | null = null;
  private readonly stop = new AbortController();
  private synced = false;
  private firstError: Error | null = null;
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private running: Promise<void> | null = null;
  /** Since when every attempt to list or watch failed, and the last failure; null while connected. */
  private failing: { since: number; err: unknown } | null = null;
  /** Lists done (the first one and every relist after 410 Gone): tests and diagnostics. */
  lists = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: ListWatchOptions<T>,
  ) {}

  /** Starts the loop (idempotent). */
  start(): void {
    this.running ??= this.loop();
  }

  /**
   * Resolves once the first list arrived. While none has, the first failure is thrown (an
   * unreachable cluster answers the caller at once instead of hanging); the loop keeps trying.
   */
  ready(): Promise<void> {
    this.start();
    if (this.synced) return Promise.resolve();
    if (this.firstError) {
      const err = this.firstError;
      this.firstError = null;
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * The failure of the list-watch when every attempt failed for at least `ms` (the cache is that
   * old at least), else null. A watch that merely ended and reopens is not a failure.
   */
  failingFor(ms: number): unknown {
    return this.failing && Date.now() - this.failing.since >= ms ? this.failing.err : null;
  }

  /** The cached objects. */
  list(): T[] {
    return [...this.objects.values()];
  }

  /** Stops the loop and closes the open watch. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.running?.catch(() => undefined);
  }

  private settle(err?: unknown): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.stop.signal.aborted) {
      try {
        if (this.resourceVersion === null) await this.relist();
        const delivered = await this.watch();
        if (delivered) attempt = 0;
        // The server ended the watch cleanly (its timeout): reopen at once, unless nothing came
        // through at all several times in a row, which is a connection that keeps being cut.
        if (!delivered) attempt++;
      } catch (err) {
        if (this.stop.signal.aborted) break;
        if (statusOf(err) === 410 || err instanceof GoneError) {
          this.resourceVersion = null;
          continue;
        }
        attempt++;
        this.failing = { since: this.failing?.since ?? Date.now(), err };
        this.opts.onError?.(err);
        if (!this.synced) {
          if (this.waiters.length) this.settle(err);
          else this.firstError = err instanceof Error ? err : new Error(String(err));
        }
      }
      if (attempt > 0) await this.pause(attempt);
    }
  }

  private async pause(attempt: number): Promise<void> {
    const ceiling = Math.min(backoffCapMs, backoffBaseMs * 2 ** Math.min(attempt - 1, 16));
    const ms = ceiling / 2 + Math.random() * (ceiling / 2);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.stop.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }

  private key(o: T): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  }

  private async relist(): Promise<void> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.client.json<KubeList<T>>('GET', this.opts.path, {
        query: {
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          limit: 500,
          continue: cont,
        },
        signal: this.stop.signal,
        ctx: { ...this.opts.ctx, verb: 'list' },
      });
      for (const o of page?.items ?? []) fresh.set(this.key(o), o);
      cont = page?.metadata?.continue || undefined;
      rv = page?.metadata?.resourceVersion;
    } while (cont);
    this.lists++;
    this.failing = null;
    // The differences with what was known: a relist after 410 hands on what happened in the gap.
    for (const [k, prev] of this.objects) {
      if (!fresh.has(k)) {
        this.objects.delete(k);
        this.emit(prev, undefined);
      }
    }
    for (const [k, next] of fresh) {
      const prev = this.objects.get(k);
      this.objects.set(k, next);
      if (!prev || prev.metadata.resourceVersion !== next.metadata.resourceVersion) this.emit(prev, next);
    }
    this.resourceVersion = rv ?? '0';
    if (!this.synced) {
      this.synced = true;
      this.firstError = null;
      this.settle();
    }
  }

  /** One watch connection; true when it delivered at least one event. */
  private async watch(): Promise<boolean> {
    const res = await this.client.open(this.opts.path, {
      query: {
        watch: true,
        resourceVersion: this.resourceVersion ?? undefined,
        allowWatchBookmarks: true,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300,
      },
      signal: this.stop.signal,
      ctx: { ...this.opts.ctx, verb: 'watch' },
    });
    this.failing = null;
    let delivered = false;
    // A connection that went silent without closing (a NAT or load balancer dropped it) would
    // never end the watch: nothing at all — no event, no bookmark — for the server's own timeout
    // plus a minute ends it here, and the loop opens a new one.
    const idleMs = ((this.opts.watchTimeoutSeconds ?? 300) + 60) * 1000;
    res.setTimeout(idleMs, () =>
      res.destroy(new Error(`watch of ${this.opts.path} silent for ${idleMs} ms`)),
    );
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (!line.trim()) continue;
        let event: WatchEvent<T>;
        try {
          event = JSON.parse(line) as WatchEvent<T>;
        } catch {
          continue;
        }
        delivered = true;
        this.apply(event);
      }
    } catch (err) {
      if (err instanceof GoneError || err instanceof WatchError) throw err;
      // A connection cut mid-stream ends this watch like the server's timeout does.
    } finally {
      res.destroy();
    }
    return delivered;
  }

  private apply(event: WatchEvent<T>): void {
    const o = event.object;
    if (event.type === 'ERROR') {
      const status = o as unknown as { code?: number; message?: string };
      if (status.code === 410) throw new GoneError(status.message ?? 'Gone');
      throw new WatchError(`watch of ${this.opts.path} failed: ${status.message ?? JSON.stringify(o)}`);
    }
    if (o?.metadata?.resourceVersion) this.resourceVersion = o.metadata.resourceVersion;
    if (event.type === 'BOOKMARK') return;
    const k = this.key(o);
    const prev = this.objects.get(k);
    if (event.type === 'DELETED') {
      this.objects.delete(k);
      if (prev) this.emit(prev, undefined);
      return;
    }
    this.objects.set(k, o);
    this.emit(prev, o);
  }

  /** A listener's failure is its own: the cache goes on. */
  private emit(prev: T | undefined, next: T | undefined): void {
    try {
      this.opts.onChange(prev, next);
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}

/** A watch's ERROR event other than 410: backoff and watch again. */
class WatchError extends Error {
  override name = 'WatchError';
}

/** A watch's ERROR event with code 410: the resourceVersion is compacted away, list again. */
class GoneError extends Error {
  override name = 'GoneError';
}
