/**
 * Propagation's clean-up (docs/fleet.md "Image clean-up"): each cluster pulls a service's image
 * when it creates a container there; once no service placed on the cluster needs an image of
 * Berth's registry and no container uses it, for a grace period, this reconciler removes it from
 * the cluster's storage. It never forces (a refusal is an answer), never touches an image of
 * another registry, and spares the cluster where codeflow builds.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { StoredImage } from '@berth/engine-api';
import type { AppContext } from '../../http/context';
import type { Reconciler } from '../../runtime/controller-host';
import type { Engines } from '../../runtime/engines';
import { ClustersRepository, type ClusterRow } from '../clusters/clusters.repository';
import { canonicalHost, imageRefOnCluster, parseImageRef } from '../registry/image-ref';
import { readImageNeeds, type ImageNeeds } from './image-needs';

/** The comparable forms of a reference: `host/repo:tag` and/or `host/repo@digest`, host canonical. */
export function imageKeys(ref: string): string[] {
  const parsed = parseImageRef(ref);
  if (!parsed) return [];
  const base = `${canonicalHost(parsed.host)}/${parsed.repository}`;
  const keys: string[] = [];
  if (parsed.tag) keys.push(`${base}:${parsed.tag}`);
  if (parsed.digest) keys.push(`${base}@${parsed.digest}`);
  return keys;
}

/** Every name and repo digest of a stored image. */
function refsOf(image: StoredImage): string[] {
  return [...image.names, ...image.digests];
}

/**
 * Whether an image is Berth's registry's on this cluster: it has at least one name or digest,
 * and every one of them is on one of `hosts` (canonical). An image that also carries a name of
 * another registry is not Berth's alone, and stays.
 */
export function ofBerthRegistry(image: StoredImage, hosts: ReadonlySet<string>): boolean {
  const refs = refsOf(image);
  return (
    refs.length > 0 &&
    refs.every((ref) => {
      const parsed = parseImageRef(ref);
      return parsed !== null && hosts.has(canonicalHost(parsed.host));
    })
  );
}

/** What one cluster keeps: the keys of what its placed services need and its ledger containers use. */
export function keptOn(
  cluster: string,
  needs: ImageNeeds,
  registryListen: string | null,
  clusterRegistry: string | null,
): Set<string> {
  const keep = new Set<string>();
  const add = (image: string, digest?: string | null) => {
    const ref = imageRefOnCluster(image, registryListen, clusterRegistry);
    for (const key of imageKeys(ref)) keep.add(key);
    const parsed = parseImageRef(ref);
    if (parsed && digest?.startsWith('sha256:'))
      keep.add(`${canonicalHost(parsed.host)}/${parsed.repository}@${digest}`);
  };
  for (const n of needs.needed) if (n.cluster === cluster) add(n.image);
  for (const u of needs.used) if (u.cluster === cluster) add(u.image, u.digest);
  return keep;
}

/**
 * The images of a cluster that may go: Berth's registry's (`hosts`), used by no container the
 * engine knows of (Berth's or not), and none of whose names or digests is kept.
 */
export function unneededImages(
  images: StoredImage[],
  hosts: ReadonlySet<string>,
  keep: ReadonlySet<string>,
): StoredImage[] {
  return images.filter(
    (image) =>
      image.containers === 0 &&
      ofBerthRegistry(image, hosts) &&
      !refsOf(image).some((ref) => imageKeys(ref).some((key) => keep.has(key))),
  );
}

/** The registry hosts that are Berth's on a cluster: the embedded registry's address and the cluster's name for it. */
export function berthHosts(registryListen: string | null, clusterRegistry: string | null): Set<string> {
  // without the embedded registry no image is Berth's to remove
  if (!registryListen) return new Set();
  const hosts = new Set([canonicalHost(registryListen)]);
  if (clusterRegistry) hosts.add(canonicalHost(clusterRegistry));
  return hosts;
}

/** What a pass did on one cluster. */
export interface ClusterCleanup {
  cluster: string;
  /** Images removed from the cluster's storage (their first name, or id). */
  removed: string[];
  /** Images the engine refused to remove (a container uses them): they stay. */
  refused: string[];
  /** Images unneeded but still within the grace period. */
  waiting: string[];
}

export interface ImageCleanupDeps {
  engines: Engines;
  clusters: Pick<ClustersRepository, 'list' | 'addNote'>;
  /** What every cluster needs and uses (readImageNeeds). */
  needs(): Promise<ImageNeeds>;
  log: FastifyBaseLogger;
}

export interface ImageCleanupOptions {
  /** How long an image must have been unneeded on a cluster before it is removed. */
  graceMs: number;
  /** Between passes. */
  intervalMs: number;
  /** BERTH_REGISTRY_LISTEN: the embedded registry's address (null: off, nothing is removed). */
  registryListen: string | null;
  /** Clusters never cleaned (where codeflow builds and keeps its own images). */
  spared(cluster: ClusterRow): boolean;
  now?: () => number;
}

const shown = 10;

function label(image: StoredImage): string {
  return image.names[0] ?? image.digests[0] ?? image.id.slice(0, 12);
}

function list(names: string[]): string {
  const head = names.slice(0, shown).join(', ');
  return names.length > shown ? `${head} and ${names.length - shown} more` : head;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The image clean-up reconciler. A pass, per cluster (not spared, not unreachable, with an engine
 * that lists and removes images): list its images, find the unneeded ones, remember since when
 * each has been unneeded (in this process: a new leader starts the grace afresh), and remove
 * those past the grace — after reading the needs once more, so a service placed back meanwhile
 * keeps its image. Removed and refused images are recorded as one cluster event each per pass.
 */
export class ImageCleanup implements Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private current: Promise<unknown> | null = null;
  /** `cluster\nimage id` → when it was first seen unneeded (ms). */
  private readonly since = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly deps: ImageCleanupDeps,
    private readonly opts: ImageCleanupOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.current = this.pass()
        .catch((err: unknown) => this.deps.log.warn({ err }, 'image clean-up pass failed'))
        .finally(() => {
          this.current = null;
          this.schedule(this.opts.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One pass over every cluster; what it did on each cluster it looked at. */
  async pass(): Promise<ClusterCleanup[]> {
    const rows = await this.deps.clusters.list();
    const names = new Set(rows.map((r) => r.name));
    for (const key of [...this.since.keys()]) if (!names.has(key.split('\n')[0]!)) this.since.delete(key);
    const needs = await this.deps.needs();
    const out: ClusterCleanup[] = [];
    for (const row of rows) {
      if (this.opts.spared(row) || row.state === 'unreachable') continue;
      try {
        const done = await this.cleanCluster(row, needs);
        if (done) out.push(done);
      } catch (err) {
        // a cluster that cannot be listed now keeps its images and its clocks
        this.deps.log.warn({ err, cluster: row.name }, 'image clean-up skipped a cluster');
      }
    }
    return out;
  }

  private async cleanCluster(row: ClusterRow, needs: ImageNeeds): Promise<ClusterCleanup | null> {
    const engine = await this.deps.engines.get(row.name);
    if (!engine.listImages || !engine.removeImage) return null;
    const { registryListen } = this.opts;
    const hosts = berthHosts(registryListen, row.registry_address);
    if (hosts.size === 0) return null;
    const unneeded = unneededImages(
      await engine.listImages(),
      hosts,
      keptOn(row.name, needs, registryListen, row.registry_address),
    );
    const now = this.now();
    const prefix = `${row.name}\n`;
    const ids = new Set(unneeded.map((i) => i.id));
    // needed again, used again, or gone: its clock stops
    for (const key of [...this.since.keys()])
      if (key.startsWith(prefix) && !ids.has(key.slice(prefix.length))) this.since.delete(key);
    const due: StoredImage[] = [];
    const waiting: string[] = [];
    for (const image of unneeded) {
      const key = prefix + image.id;
      const first = this.since.get(key) ?? now;
      this.since.set(key, first);
      if (now - first >= this.opts.graceMs) due.push(image);
      else waiting.push(label(image));
    }
    const result: ClusterCleanup = { cluster: row.name, removed: [], refused: [], waiting };
    if (due.length === 0) return result;

    // the store may have changed since the pass began (a service placed back here)
    const keep = keptOn(row.name, await this.deps.needs(), registryListen, row.registry_address);
    const freed: number[] = [];
    for (const image of unneededImages(due, hosts, keep)) {
      this.since.delete(prefix + image.id);
      const outcome = await this.removeOne(engine.removeImage.bind(engine), image);
      if (outcome === 'removed') {
        result.removed.push(label(image));
        freed.push(image.sizeBytes);
      } else if (outcome === 'in-use') result.refused.push(label(image));
    }
    await this.record(row.name, result, freed);
    return result;
  }

  /** Removes every name of an image (its id when it has none); stops at a refusal. */
  private async removeOne(
    remove: (ref: string) => Promise<string>,
    image: StoredImage,
  ): Promise<'removed' | 'in-use' | 'gone'> {
    const refs = image.names.length > 0 ? [...image.names].sort() : [image.id];
    for (const ref of refs) {
      const outcome = await remove(ref);
      if (outcome === 'removed' || outcome === 'in-use') return outcome;
    }
    // every name untagged or already missing: removed by someone else meanwhile
    return 'gone';
  }

  private async record(cluster: string, result: ClusterCleanup, freed: number[]): Promise<void> {
    const { removed, refused } = result;
    const log = this.deps.log;
    if (removed.length > 0) {
      const mb = freed.reduce((a, b) => a + b, 0) / 1e6;
      const message = `Removed ${plural(removed.length, 'image')} no longer needed (${mb.toFixed(1)} MB): ${list(removed)}.`;
      log.info({ cluster, removed }, message);
      await this.deps.clusters.addNote(cluster, 'ImagesRemoved', message);
    }
    if (refused.length > 0) {
      const them = refused.length === 1 ? 'it' : 'them';
      const message =
        `Kept ${plural(refused.length, 'image')} no longer needed by any service here: the engine refused ` +
        `to remove ${them} because a container uses ${them} (${list(refused)}).`;
      log.info({ cluster, refused }, message);
      await this.deps.clusters.addNote(cluster, 'ImagesKept', message);
    }
  }
}

/**
 * The clean-up of this server: every registered cluster but `local` and any cluster on the same
 * Podman socket as `local` (codeflow builds there and keeps its build images by its own rule).
 */
export function createImageCleanup(
  ctx: AppContext,
  engines: Engines,
  services: Parameters<typeof readImageNeeds>[1],
): ImageCleanup {
  const localEndpoint = `unix://${ctx.config.podmanSocket}`;
  return new ImageCleanup(
    {
      engines,
      clusters: new ClustersRepository(ctx.db),
      needs: () => readImageNeeds(ctx.db, services, ctx.config.localCluster),
      log: ctx.log,
    },
    {
      graceMs: ctx.config.imageCleanup.graceSeconds * 1000,
      intervalMs: ctx.config.imageCleanup.intervalSeconds * 1000,
      registryListen: ctx.config.registryListen,
      spared: (c) => c.name === 'local' || c.endpoint === localEndpoint,
    },
  );
}
