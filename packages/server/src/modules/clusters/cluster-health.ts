import type { FastifyBaseLogger } from 'fastify';
import type { ClusterCredentials } from '@berth/shared';
import type { SecretBox } from '../../crypto/secret-box';
import { newId, nowIso } from '../../util';
import type { ClusterRow, ClustersRepository } from './clusters.repository';
import { probePodman, type EndpointOpener, type ProbeOptions, type ProbeResult } from './cluster-probe';

export interface HealthCheckerOptions extends ProbeOptions {
  /** Interval between rounds. */
  intervalMs: number;
  /**
   * How often a ready cluster's capacity is read again (libpod's /info is heavy: storage
   * statistics); default 6 rounds. A cluster that is not ready, and a check asked for, read it always.
   */
  capacityEveryMs?: number;
}

/**
 * The cluster health checker: a reconciler that checks every registered cluster each interval
 * (all clusters of a round in parallel) and writes state, latency and capacity. A state change
 * is logged and recorded as a `cluster_events` row (`StateChanged`), which the API lists.
 * Checks of one cluster never overlap: a check asked for while one runs joins it.
 */
export class ClusterHealthChecker {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private round: Promise<void> | null = null;
  private readonly inFlight = new Map<string, Promise<ProbeResult>>();
  /** When each cluster's capacity was last read (this process). */
  private readonly capacityReadAt = new Map<string, number>();

  constructor(
    private readonly repo: ClustersRepository,
    private readonly secrets: SecretBox,
    private readonly open: EndpointOpener,
    private readonly log: FastifyBaseLogger,
    private readonly opts: HealthCheckerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.round;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.round = this.checkAll()
        .catch((err: unknown) => this.log.warn({ err }, 'cluster health round failed'))
        .finally(() => {
          this.round = null;
          this.schedule(this.opts.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One round over every cluster. */
  async checkAll(): Promise<void> {
    const rows = await this.repo.list();
    const every = this.opts.capacityEveryMs ?? this.opts.intervalMs * 6;
    const now = Date.now();
    await Promise.allSettled(
      rows.map((r) =>
        this.check(r, r.state !== 'ready' || now - (this.capacityReadAt.get(r.name) ?? 0) >= every),
      ),
    );
  }

  /**
   * Checks one cluster now (joins a check already running) and stores the result; with
   * `readCapacity` false only the ping runs (the last capacity stays).
   */
  check(row: ClusterRow, readCapacity = true): Promise<ProbeResult> {
    const running = this.inFlight.get(row.name);
    if (running) return running;
    const p = this.checkNow(row, readCapacity).finally(() => this.inFlight.delete(row.name));
    this.inFlight.set(row.name, p);
    return p;
  }

  private async checkNow(row: ClusterRow, readCapacity: boolean): Promise<ProbeResult> {
    let result: ProbeResult;
    try {
      const creds = row.credentials_sealed
        ? (JSON.parse(this.secrets.open(row.credentials_sealed)) as ClusterCredentials)
        : undefined;
      const socket = await this.open(row.endpoint, creds);
      try {
        result = await probePodman(socket.socketPath, this.opts, readCapacity);
        if (readCapacity && result.capacity) this.capacityReadAt.set(row.name, Date.now());
      } finally {
        await socket.close().catch(() => undefined);
      }
    } catch (err) {
      result = {
        state: 'unreachable',
        message: err instanceof Error ? err.message : String(err),
        latencyMs: null,
        capacity: null,
      };
    }
    await this.record(row, result);
    return result;
  }

  private async record(row: ClusterRow, result: ProbeResult): Promise<void> {
    const now = nowIso();
    // The row may have been deleted while the check ran; setHealth then updates nothing.
    const current = await this.repo.find(row.name);
    if (!current) return;
    await this.repo.setHealth(row.name, {
      state: result.state,
      message: result.message,
      latency_ms: result.latencyMs,
      // An unreachable engine says nothing new about capacity: keep the last known.
      capacity: result.capacity ? JSON.stringify(result.capacity) : current.capacity,
      last_checked_at: now,
      // failover waits out the grace from here; a return is trusted after the stability window
      ...(current.state === result.state ? {} : { state_since: now }),
    });
    if (current.state === result.state) return;
    const message =
      result.state === 'ready'
        ? `Cluster '${row.name}' is ready (${result.latencyMs ?? '?'} ms).`
        : `Cluster '${row.name}' is ${result.state}: ${result.message ?? 'no reason given'}`;
    const level = result.state === 'ready' ? 'info' : 'warn';
    this.log[level]({ cluster: row.name, from: current.state, to: result.state }, message);
    await this.repo.addEvent({
      id: newId(),
      cluster: row.name,
      at: now,
      type: 'StateChanged',
      from_state: current.state,
      to_state: result.state,
      message,
    });
  }
}
