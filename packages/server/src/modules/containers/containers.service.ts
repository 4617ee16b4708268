import { ConflictError, type Container } from '@berth/shared';
import { isWorkloadEngine, type ObservedState } from '@berth/engine-api';
import type { Actor } from '../../http/context';
import { nowIso } from '../../util';
import type { ContainersDeps } from './containers-deps';
import type { ContainerRow, ServiceRow } from '../services/services.repository';
import { toContainer } from '../services/service-views';
import { containerNotFound } from './container-params';
import type { ContainersStore } from './containers.repository';
import type { StatsSampler } from './stats-sampler';

/** What the engine and the sampler say about a current container right now. */
export interface ContainerLive {
  /** The engine's view; "missing" when the engine no longer has the container. */
  state: ObservedState | 'missing';
  startedAt: string | null;
  exitCode: number | null;
  /** From the latest stats sample, null before the first one. */
  cpuPercent: number | null;
  memoryBytes: number | null;
}

/** A current container with its live state (null when the engine could not be asked). */
export type ContainerView = Container & { live: ContainerLive | null };

/** Per-cluster read errors, as multi-cluster reads report them (api-conventions: Reading). */
export interface ClusterError {
  cluster: string;
  code: string;
  message: string;
}

const inspectTimeoutMs = 3000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(t));
  });
}

/** Reads and user actions on single containers; the controller does the engine work. */
export class ContainersService {
  constructor(
    private readonly deps: ContainersDeps,
    private readonly store: ContainersStore,
    private readonly sampler: StatsSampler,
  ) {}

  /**
   * The current containers (of one cluster when `cluster` is given), each inspected on its own
   * cluster's engine; a cluster that does not answer leaves its containers without `live` and is
   * reported once in `errors`.
   */
  async current(
    service: ServiceRow,
    cluster?: string,
  ): Promise<{ items: ContainerView[]; errors: ClusterError[] }> {
    const rows = (await this.deps.repo.activeContainers(service.id)).filter(
      (r) => cluster === undefined || r.cluster === cluster,
    );
    const samples = new Map((await this.sampler.currentSamples()).map((s) => [s.sample.container, s.sample]));
    const errors: ClusterError[] = [];
    const clusters = [...new Set(rows.map((r) => r.cluster))];
    const engines = new Map(
      await Promise.all(
        clusters.map(
          async (name) =>
            [
              name,
              await withTimeout(this.deps.engines.get(name), inspectTimeoutMs).then(
                (engine) => ({ engine, error: null }),
                (error: unknown) => ({ engine: null, error }),
              ),
            ] as const,
        ),
      ),
    );
    const observed = await Promise.allSettled(
      rows.map((r) => {
        const got = engines.get(r.cluster);
        if (!got?.engine)
          return Promise.reject(got?.error instanceof Error ? got.error : new Error(String(got?.error)));
        return withTimeout(got.engine.inspectContainer(r.engine_id ?? r.name), inspectTimeoutMs);
      }),
    );
    const items = rows.map((row, i): ContainerView => {
      const result = observed[i];
      const sample = samples.get(row.name);
      if (!result || result.status === 'rejected') {
        return { ...toContainer(row, service.name), live: null };
      }
      const obs = result.value;
      return {
        ...toContainer(row, service.name),
        live: {
          state: obs ? obs.state : 'missing',
          startedAt: obs?.startedAt ?? null,
          exitCode: obs?.exitCode ?? null,
          cpuPercent: sample?.cpuPercent ?? null,
          memoryBytes: sample?.memoryBytes ?? null,
        },
      };
    });
    for (const name of clusters) {
      const failed = observed.find(
        (r, i): r is PromiseRejectedResult => r.status === 'rejected' && rows[i]!.cluster === name,
      );
      if (!failed) continue;
      const reason: unknown = failed.reason;
      errors.push({
        cluster: name,
        code: 'CLUSTER_UNREACHABLE',
        message: `Cluster '${name}' did not answer: ${reason instanceof Error ? reason.message : String(reason)}; its containers are listed from the ledger, without live state (GET /api/v1/clusters/${name}).`,
      });
    }
    return { items, errors };
  }

  /**
   * Destroys one container now: it goes to draining with no drain time, so the controller stops
   * and removes it and, as the service is short of replicas, creates a replacement.
   */
  async destroy(service: ServiceRow, name: string, actor: Actor): Promise<Container> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const row = await this.store.findActive(service.id, name);
      if (!row) throw containerNotFound(name, service.name);
      const engine = await this.deps.engines.get(row.cluster);
      if (isWorkloadEngine(engine)) {
        // A pod (ADR 0007): it leaves the gateways now, Kubernetes stops it (its preStop waits
        // drainSeconds) and its ReplicaSet starts a replacement.
        if (row.state !== 'stopping')
          await this.store.updateIfState(name, row.state, {
            state: 'stopping',
            ready: 0,
            exit_reason: `destroyed by ${actor.name}`,
          });
        await engine.removeContainer(row.engine_id ?? name);
        await this.deps.repo.addEvent(
          service.id,
          'Destroyed',
          `pod ${name} on ${row.cluster} deleted by ${actor.name}; Kubernetes replaces it`,
          { container: name },
        );
        this.deps.kick(service.id);
        return this.view(service, name, row);
      }
      if (row.state === 'creating') {
        // The runner moves a creating container to running when the engine answers, which would
        // undo the destroy; it is short-lived, so ask to come back.
        throw new ConflictError(
          `Container '${name}' is still being created; destroy it once it runs (a few seconds).`,
        );
      }
      // A stopping container is already on its way out; moving it back to draining would undo
      // progress. A draining one keeps its drain. Otherwise it leaves rotation now and is stopped
      // as soon as every gateway node and endpoint watch runs without it (no drain period): a
      // destroy loses no request either.
      const moved =
        row.state === 'stopping' ||
        row.state === 'draining' ||
        (await this.store.updateIfState(name, row.state, {
          state: 'draining',
          left_rotation_at: nowIso(),
          drain_seconds: 0,
          drain_gates: '{}',
          drain_until: null,
          removed_from_gateways_at: null,
          exit_reason: `destroyed by ${actor.name}`,
        }));
      if (!moved) continue;
      await this.deps.repo.addEvent(
        service.id,
        'Destroyed',
        `container ${name} destroyed by ${actor.name}; it will be replaced`,
        {
          container: name,
        },
      );
      this.deps.kick(service.id);
      return this.view(service, name, row);
    }
    throw new ConflictError(`Container '${name}' kept changing state while being destroyed; try again.`);
  }

  /** Takes a container out of rotation (it keeps running, without traffic) or puts it back. */
  async setRotation(
    service: ServiceRow,
    name: string,
    inRotation: boolean,
    actor: Actor,
  ): Promise<Container> {
    const row = await this.store.findActive(service.id, name);
    if (!row) throw containerNotFound(name, service.name);
    if ((row.in_rotation === 1) === inRotation) return toContainer(row, service.name);
    // a pod is relabelled: its Service's selector and Berth's gateways leave it out (ADR 0007)
    const engine = await this.deps.engines.get(row.cluster);
    if (isWorkloadEngine(engine)) await engine.setInRotation(row.engine_id ?? name, inRotation);
    await this.deps.repo.updateContainer(name, { in_rotation: inRotation ? 1 : 0 });
    await this.deps.repo.addEvent(
      service.id,
      inRotation ? 'InRotation' : 'OutOfRotation',
      inRotation
        ? `container ${name} put back into rotation by ${actor.name}`
        : `container ${name} taken out of rotation by ${actor.name}; it keeps running for diagnosis`,
      { container: name },
    );
    this.deps.kick(service.id);
    return this.view(service, name, row);
  }

  private async view(service: ServiceRow, name: string, fallback: ContainerRow): Promise<Container> {
    return toContainer((await this.deps.repo.findContainer(service.id, name)) ?? fallback, service.name);
  }
}
