/**
 * The cluster's own events in a service's events tab (issue 14, docs/kubernetes-engine.md): for
 * each service on a workload cluster (Kubernetes), the core Events about its Deployment,
 * ReplicaSets, pods and Service (`WorkloadEngine.objectEvents`, which reads only the service's own
 * namespace and objects) are written into the service's events with `source: kubernetes`. One
 * follower per service and cluster, on the leader (the controller); it reconnects with back-off.
 *
 * Deduplicated by the cluster's key of the event: an event listed again (a reconnect, a restart
 * of Berth) with the count already written is skipped; the same event happening again (Kubernetes
 * raises its count) replaces the older row, so the tab shows it once, with its count, at its
 * latest time.
 */
import type { WorkloadEngine, WorkloadObjectEvent, WorkloadRef } from '@berth/engine-api';
import type { AppContext } from '../../../http/context';
import type { ServicesRepository } from '../services.repository';

const firstRetryMs = 1000;
const maxRetryMs = 30_000;

/** An event type from the cluster's reason (`BackOff`, `FailedCreate`): letters and digits only. */
export function kubernetesEventType(reason: string): string {
  const t = reason.replace(/[^A-Za-z0-9]/g, '').slice(0, 63);
  return /^[A-Za-z]/.test(t) ? t : 'KubernetesEvent';
}

export class WorkloadEvents {
  /** `serviceId\ncluster` → the follower's stop switch. */
  private readonly running = new Map<string, AbortController>();
  private readonly done = new Set<Promise<void>>();

  constructor(
    private readonly ctx: AppContext,
    private readonly repo: ServicesRepository,
  ) {}

  /**
   * Follows the service's events on `cluster` (once; a second call is a no-op). `engineOf` is
   * asked again at each reconnect: a cluster whose credentials changed has a new engine.
   */
  follow(ref: WorkloadRef, cluster: string, engineOf: () => Promise<WorkloadEngine>): void {
    const key = `${ref.serviceId}\n${cluster}`;
    if (this.running.has(key)) return;
    const stop = new AbortController();
    this.running.set(key, stop);
    const run = this.run(ref, cluster, engineOf, stop.signal).finally(() => {
      this.done.delete(run);
      if (this.running.get(key) === stop) this.running.delete(key);
    });
    this.done.add(run);
  }

  /** Stops following the service (on `cluster`, or everywhere). */
  stop(serviceId: string, cluster?: string): void {
    for (const [key, stop] of this.running)
      if (key === `${serviceId}\n${cluster}` || (cluster === undefined && key.startsWith(`${serviceId}\n`))) {
        stop.abort();
        this.running.delete(key);
      }
  }

  async stopAll(): Promise<void> {
    for (const stop of this.running.values()) stop.abort();
    this.running.clear();
    await Promise.allSettled([...this.done]);
  }

  private async run(
    ref: WorkloadRef,
    cluster: string,
    engineOf: () => Promise<WorkloadEngine>,
    signal: AbortSignal,
  ): Promise<void> {
    let retryMs = firstRetryMs;
    let failure: string | null = null;
    while (!signal.aborted) {
      try {
        const engine = await engineOf();
        // an engine without the cluster's events: nothing to follow
        if (!engine.objectEvents) return;
        for await (const e of engine.objectEvents(ref, signal)) {
          await this.record(ref.serviceId, cluster, e);
          retryMs = firstRetryMs;
          failure = null;
        }
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (message !== failure && !signal.aborted)
          this.ctx.log.warn(
            { err, cluster, service: ref.serviceId },
            'following the cluster’s events failed',
          );
        failure = message;
      }
      if (signal.aborted) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, retryMs);
        t.unref();
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      retryMs = Math.min(retryMs * 2, maxRetryMs);
    }
  }

  private async record(serviceId: string, cluster: string, e: WorkloadObjectEvent): Promise<void> {
    const pod = e.object.startsWith('Pod/') ? e.object.slice(4) : null;
    await this.repo.addClusterEvent(serviceId, {
      at: e.at,
      type: kubernetesEventType(e.reason),
      severity: e.type === 'Warning' ? 'warning' : 'normal',
      message: e.message,
      container: pod,
      object: e.object,
      count: e.count ?? 1,
      key: e.key ? `${cluster}/${e.key}` : null,
    });
  }
}
