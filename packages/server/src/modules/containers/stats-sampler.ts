import type { StatsSample } from '@berth/shared';
import { BerthError, UnavailableError } from '@berth/shared';
import type { ContainerEngine, ContainerStats } from '@berth/engine-api';
import { nowIso } from '../../util';
import type { ContainersDeps } from './containers-deps';
import type { ContainerRow } from '../services/services.repository';
import { ContainersStore, type StatsRow } from './containers.repository';

/** The newest sample of one current container, with what /metrics labels it by. */
export interface LatestSample {
  serviceId: string;
  release: number;
  /** The cluster the container runs on. */
  cluster: string;
  sample: StatsSample;
}

/** Ledger states in which the container process should be running, so the engine can sample it. */
const sampledStates = new Set(['starting', 'running', 'ready', 'unhealthy', 'draining']);
const pruneEveryMs = 60_000;

export function toStatsSample(row: StatsRow): StatsSample {
  return {
    at: row.at,
    container: row.container,
    cpuPercent: row.cpu_percent,
    memoryBytes: Number(row.memory_bytes),
    memoryLimitBytes: Number(row.memory_limit_bytes),
    netRxBytes: Number(row.net_rx_bytes),
    netTxBytes: Number(row.net_tx_bytes),
    blockReadBytes: Number(row.block_read_bytes),
    blockWriteBytes: Number(row.block_write_bytes),
  };
}

/** Byte counters go into bigint columns: whole, finite, non-negative. */
const bytes = (n: number) => (Number.isFinite(n) && n > 0 ? Math.round(n) : 0);

/**
 * Samples the resource use of every current container at a fixed interval into stats_samples,
 * prunes samples past the retention, and keeps the newest sample per container for /metrics.
 * It runs on the leader only (services.module starts and stops it with the lease); a failed
 * sample is logged and the next interval tries again.
 */
export class StatsSampler {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private latest = new Map<string, LatestSample>();
  private lastPrune = 0;
  /** Clusters skipped since their last good round, so an outage is logged once. */
  private readonly unreachable = new Set<string>();
  private readonly store: ContainersStore;

  constructor(private readonly deps: ContainersDeps) {
    this.store = new ContainersStore(deps.ctx.db);
  }

  get running(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sampleOnce(), this.deps.ctx.config.statsIntervalMs);
    this.timer.unref();
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Another instance samples now; its rows in the store are fresher than this memory.
    this.latest.clear();
    return Promise.resolve();
  }

  /**
   * The newest sample of each current container: from memory while this instance samples,
   * otherwise from the store (so every instance behind a load balancer serves /metrics).
   */
  async currentSamples(): Promise<LatestSample[]> {
    if (this.timer) return [...this.latest.values()];
    const window = Math.max(3 * this.deps.ctx.config.statsIntervalMs, 60_000);
    const since = new Date(Date.now() - window).toISOString();
    const [rows, active] = await Promise.all([
      this.store.latestSamples(since),
      this.store.activeWithService(),
    ]);
    const byName = new Map(active.map((c) => [c.name, c]));
    return rows.flatMap((row) => {
      const c = byName.get(row.container);
      return c
        ? [{ serviceId: c.service_id, release: c.release, cluster: c.cluster, sample: toStatsSample(row) }]
        : [];
    });
  }

  /** Takes one sample of every current container; never throws. */
  async sampleOnce(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const rows = (await this.deps.repo.activeContainers()).filter(
        (r) => r.engine_id && sampledStates.has(r.state),
      );
      const stats = await this.collectByCluster(rows);
      const at = nowIso();
      const next = new Map<string, LatestSample>();
      const inserts: StatsRow[] = [];
      for (const row of rows) {
        const s = findStats(row, stats);
        if (!s) continue;
        const sample: StatsSample = {
          at,
          container: row.name,
          cpuPercent: Number.isFinite(s.cpuPercent) ? s.cpuPercent : 0,
          memoryBytes: bytes(s.memoryBytes),
          memoryLimitBytes: bytes(s.memoryLimitBytes),
          netRxBytes: bytes(s.netRxBytes),
          netTxBytes: bytes(s.netTxBytes),
          blockReadBytes: bytes(s.blockReadBytes),
          blockWriteBytes: bytes(s.blockWriteBytes),
        };
        next.set(row.name, { serviceId: row.service_id, release: row.release, cluster: row.cluster, sample });
        inserts.push({
          container: row.name,
          service_id: row.service_id,
          at,
          cpu_percent: sample.cpuPercent,
          memory_bytes: sample.memoryBytes,
          memory_limit_bytes: sample.memoryLimitBytes,
          net_rx_bytes: sample.netRxBytes,
          net_tx_bytes: sample.netTxBytes,
          block_read_bytes: sample.blockReadBytes,
          block_write_bytes: sample.blockWriteBytes,
        });
      }
      await this.store.insertSamples(inserts);
      this.latest = next;
      await this.prune();
    } catch (err) {
      this.deps.ctx.log.warn({ err }, 'stats sampling failed; retrying next interval');
    } finally {
      this.busy = false;
    }
  }

  /**
   * Each cluster's containers through that cluster's engine, clusters in parallel. A cluster that
   * cannot be reached is skipped for this round (logged once per outage); the others are sampled.
   */
  private async collectByCluster(rows: ContainerRow[]): Promise<ContainerStats[]> {
    const byCluster = new Map<string, string[]>();
    for (const r of rows) byCluster.set(r.cluster, [...(byCluster.get(r.cluster) ?? []), r.engine_id!]);
    const results = await Promise.all(
      [...byCluster].map(async ([cluster, ids]) => {
        let engine: ContainerEngine;
        try {
          engine = await this.deps.engines.get(cluster);
        } catch (err) {
          this.skipped(cluster, err);
          return [];
        }
        const stats = await this.collect(engine, ids);
        if (stats === null) {
          this.skipped(cluster, new Error('its engine answered no stats call'));
          return [];
        }
        if (this.unreachable.delete(cluster))
          this.deps.ctx.log.info({ cluster }, 'stats: cluster answers again; sampling its containers');
        return stats;
      }),
    );
    return results.flat();
  }

  private skipped(cluster: string, err: unknown): void {
    if (this.unreachable.has(cluster)) return;
    this.unreachable.add(cluster);
    this.deps.ctx.log.warn(
      { err, cluster },
      `stats: cluster '${cluster}' is unreachable; its containers are not sampled until it answers`,
    );
  }

  /**
   * One call for all containers; if that fails (one container just stopped), one call each.
   * Null when the engine answered none (the cluster is down).
   */
  private async collect(engine: ContainerEngine, ids: string[]): Promise<ContainerStats[] | null> {
    try {
      return await engine.stats(ids);
    } catch (err) {
      if (err instanceof UnavailableError) return null;
      // a Kubernetes cluster without metrics.k8s.io: nothing to sample there (the stats route says so)
      if (err instanceof BerthError && err.details?.reason === 'STATS_UNAVAILABLE') return [];
      this.deps.ctx.log.debug({ err }, 'batched stats failed; sampling containers one by one');
      const results = await Promise.allSettled(ids.map((id) => engine.stats([id])));
      if (results.every((r) => r.status === 'rejected' && r.reason instanceof UnavailableError)) return null;
      return results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    }
  }

  private async prune(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < pruneEveryMs) return;
    this.lastPrune = now;
    const cutoff = new Date(now - this.deps.ctx.config.statsRetentionSeconds * 1000).toISOString();
    await this.store.deleteSamplesBefore(cutoff);
  }
}

/** Engines may report full or short ids, or only names. */
function findStats(row: ContainerRow, stats: ContainerStats[]): ContainerStats | undefined {
  const id = row.engine_id ?? '';
  return stats.find(
    (s) => (s.id && id && (s.id === id || id.startsWith(s.id) || s.id.startsWith(id))) || s.name === row.name,
  );
}
