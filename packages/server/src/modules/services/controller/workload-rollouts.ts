/**
 * Services on workload clusters (Kubernetes, ADR 0007): the controller hands each such cluster
 * the service's share as a Deployment (through the engine's `applyWorkload`) and follows it —
 * Kubernetes creates, probes, rolls and stops the pods; Berth mirrors them into its ledger of
 * containers (history, endpoints for the gateways, the rollout's progress) and never creates or
 * removes one itself, except when a user destroys a replica.
 */
import { createHash } from 'node:crypto';
import {
  exitReason,
  isWorkloadEngine,
  labelKeys,
  type ContainerEngine,
  type ContainerObservation,
  type WorkloadEngine,
  type WorkloadRef,
  type WorkloadStatus,
} from '@berth/engine-api';
import type { ReleaseSpec } from '@berth/shared';
import type { Engines } from '../../../runtime/engines';
import type { AppContext } from '../../../http/context';
import {
  canaryNonce,
  type ContainerRow,
  type ServiceRow,
  type ServicesRepository,
} from '../services.repository';
import type { WorkloadSpecs } from '../workload-specs';
import { nowIso } from '../../../util';
import { endpointsMayChange } from '../endpoint-signal';
import { WorkloadEvents } from './workload-events';
import { decideDrain, noGateways, type GatewayConfirmation } from './rollout-drain';

/** The label a pod carries out of rotation (the Service's selector wants `in`). */
export const rotationLabel = 'berth.rotation';
/** The label of a pod's restart generation. */
export const restartLabel = 'berth.restart';

/** How often an unchanged namespace is applied again (its pull credential is renewed). */
const namespaceRefreshMs = 24 * 3600 * 1000;

/**
 * How often a service's unchanged canaries are applied again on a cluster while one is wanted: a
 * canary Deployment deleted or scaled by hand comes back. (Leftovers of a canary that ended while
 * Berth was down go at the first look after it starts.)
 */
const canaryRefreshMs = 60 * 1000;

type Seen = ContainerObservation & { cluster: string };

/** What one pass learnt of a service on its workload clusters, for the rollout tracker. */
export interface WorkloadProgress {
  /** Ready replicas of the wanted release and restart generation. */
  readyCurrent: number;
  liveCurrent: number;
  liveOld: number;
  /** Every workload cluster runs exactly its share of the wanted template, all ready. */
  complete: boolean;
  /** Replicas Kubernetes is stopping. */
  leaving: number;
  /** Why a cluster could not be applied, when one could not. */
  errors: string[];
}

export const noWorkloads: WorkloadProgress = {
  readyCurrent: 0,
  liveCurrent: 0,
  liveOld: 0,
  complete: true,
  leaving: 0,
  errors: [],
};

/**
 * The cluster that runs most of a service (its route canaries go there, ADR 0008); null when none
 * runs any. `counts`: replicas per cluster.
 */
export function primaryCluster(counts: Record<string, number>): string | null {
  let best: string | null = null;
  for (const [cluster, n] of Object.entries(counts))
    if (n > 0 && (best === null || n > (counts[best] ?? 0))) best = cluster;
  return best;
}

const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

export class WorkloadRollouts {
  /** Per service and cluster: the digest of the last applied workload. */
  private readonly applied = new Map<string, string>();
  /** Per namespace and cluster: the digest of the last applied namespace, and when. */
  private readonly namespaces = new Map<string, { digest: string; at: number }>();
  /** Per service and cluster: the digest of the last applied canaries, and when. */
  private readonly canaryApplied = new Map<
    string,
    { digest: string; at: number; releases: string; wanted: ReadonlyMap<number, number> }
  >();
  /**
   * Per service and cluster: canaries no longer wanted whose Deployment waits until every gateway
   * node runs without their pods — when that wait began, and each pod's gates (rollout-drain.ts).
   */
  private readonly canaryEnds = new Map<
    string,
    { leftAt: string; gates: Map<string, Record<string, number>> }
  >();
  /** Per service and cluster: the last apply error (logged and shown once per change). */
  private readonly failures = new Map<string, string>();
  /** The cluster's core Events of each service there, into its events. */
  private readonly events: WorkloadEvents;

  constructor(
    private readonly ctx: AppContext,
    private readonly engines: Engines,
    private readonly repo: ServicesRepository,
    private readonly specs: WorkloadSpecs,
    /** What the gateways run: an ended canary's Deployment goes once none sends to its pods. */
    private readonly gateways: GatewayConfirmation = noGateways,
  ) {
    this.events = new WorkloadEvents(ctx, repo);
  }

  /** Stops following the clusters' events (the controller stops). */
  stop(): Promise<void> {
    return this.events.stopAll();
  }

  /** The clusters of `clusters` whose engines run whole workloads. */
  async workloadClusters(clusters: Iterable<string>): Promise<Set<string>> {
    const out = new Set<string>();
    for (const c of clusters) {
      const engine = await this.engines.get(c).catch(() => null);
      if (engine && isWorkloadEngine(engine)) out.add(c);
    }
    return out;
  }

  private async engine(cluster: string): Promise<ContainerEngine & WorkloadEngine> {
    const engine = await this.engines.get(cluster);
    if (!isWorkloadEngine(engine)) throw new Error(`cluster ${cluster} does not run workloads`);
    return engine;
  }

  /**
   * Applies the service's share on each workload cluster of `targets` (and 0 on the ones it left
   * that still have its workload), when it changed since the last apply. A deleted service's
   * workloads are deleted.
   */
  async apply(
    svc: ServiceRow,
    spec: ReleaseSpec,
    targets: Record<string, number>,
    workloadClusters: ReadonlySet<string>,
  ): Promise<string[]> {
    const errors: string[] = [];
    const ref: WorkloadRef = { project: svc.project, env: svc.env, service: svc.name, serviceId: svc.id };
    for (const cluster of workloadClusters) {
      const key = `${svc.id}\n${cluster}`;
      try {
        const engine = await this.engine(cluster);
        if (svc.deleting === 1) {
          this.events.stop(svc.id, cluster);
          if (this.applied.get(key) !== 'deleted') {
            await engine.deleteWorkload(ref);
            this.applied.set(key, 'deleted');
          }
          continue;
        }
        const share = targets[cluster];
        // a cluster the service never ran on and does not go to: nothing to apply
        if (share === undefined && !this.applied.has(key)) continue;
        this.events.follow(ref, cluster, () => this.engine(cluster));
        const { namespace, workload } = await this.specs.resolve(svc, spec, cluster, share ?? 0);
        const nsKey = `${cluster}\n${svc.project}/${svc.env}`;
        const nsDigest = digest({ ...namespace, pullSecret: namespace.pullSecret?.registry ?? null });
        const ns = this.namespaces.get(nsKey);
        if (!ns || ns.digest !== nsDigest || Date.now() - ns.at > namespaceRefreshMs) {
          await engine.applyNamespace(namespace);
          this.namespaces.set(nsKey, { digest: nsDigest, at: Date.now() });
        }
        const d = digest(workload);
        if (this.applied.get(key) !== d) {
          await engine.applyWorkload(workload);
          this.applied.set(key, d);
          await this.repo.addEvent(
            svc.id,
            'WorkloadApplied',
            `cluster ${cluster}: applied release ${workload.release} with ${workload.replicas} replicas; Kubernetes rolls it out`,
          );
        }
        this.failures.delete(key);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        errors.push(`cluster ${cluster}: ${message}`);
        this.applied.delete(key);
        if (this.failures.get(key) !== message) {
          this.failures.set(key, message);
          this.ctx.log.warn({ err, cluster, service: svc.id }, 'applying a workload failed');
          await this.repo.addEvent(svc.id, 'WorkloadFailed', `cluster ${cluster}: ${message}`, {
            severity: 'warning',
          });
        }
      }
    }
    return errors;
  }

  /** The workload cluster the service's canaries were last applied on, when any. */
  canaryCluster(serviceId: string): string | null {
    for (const [key, v] of this.canaryApplied)
      if (v.releases && key.startsWith(`${serviceId}\n`)) return key.slice(serviceId.length + 1);
    return null;
  }

  /**
   * The service's route canaries on its workload clusters (ADR 0008): on `cluster` (the workload
   * cluster that runs most of the service; null when the canaries run on Podman) the canary
   * releases of `wanted` with their replicas, each a Deployment of the engine's; on every other
   * workload cluster none, so one left there ends. Applied when they changed, and while any is
   * wanted every `canaryRefreshMs`. Their pods come back through `mirror`, marked as canaries.
   */
  async canaries(
    svc: ServiceRow,
    wanted: ReadonlyMap<number, number>,
    cluster: string | null,
    targets: Record<string, number>,
    workloadClusters: ReadonlySet<string>,
    specOf: (release: number) => Promise<ReleaseSpec | null>,
    /** The service's canary pods in the ledger (mirrored, on workload clusters). */
    canaryPods: readonly ContainerRow[] = [],
  ): Promise<void> {
    if (svc.deleting === 1) return;
    const ref: WorkloadRef = { project: svc.project, env: svc.env, service: svc.name, serviceId: svc.id };
    for (const c of workloadClusters) {
      const key = `${svc.id}\n${c}`;
      const last = this.canaryApplied.get(key);
      const wantedHere = c === cluster ? wanted : new Map<number, number>();
      // a canary that ended stays until the gateways stopped sending to it (as on Podman)
      const held = await this.heldCanaries(
        svc,
        key,
        last?.wanted,
        wantedHere,
        canaryPods.filter((r) => r.cluster === c),
      );
      const mine = new Map([...held, ...wantedHere]);
      // a cluster the service does not run on and never had canaries on: nothing to end there
      if (mine.size === 0 && targets[c] === undefined && !last) continue;
      try {
        const specs = await this.specs.canaries(svc, mine, c, specOf);
        const d = digest(specs);
        // none wanted and none applied since the first look: nothing to refresh
        if (last && last.digest === d && (specs.length === 0 || Date.now() - last.at < canaryRefreshMs))
          continue;
        await (await this.engine(c)).applyCanaries(ref, specs);
        const releases = specs.map((w) => `release ${w.release} with ${w.replicas}`).join(', ');
        this.canaryApplied.set(key, { digest: d, at: Date.now(), releases, wanted: mine });
        if ((last?.releases ?? '') !== releases)
          await this.repo.addEvent(
            svc.id,
            releases ? 'CanaryApplied' : 'CanaryEnded',
            releases
              ? `cluster ${c}: route canary ${releases} replica(s), a Deployment of its own`
              : `cluster ${c}: the route canary ended; its Deployment is deleted`,
          );
        this.failures.delete(`${key}\ncanary`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.canaryApplied.delete(key);
        if (this.failures.get(`${key}\ncanary`) !== message) {
          this.failures.set(`${key}\ncanary`, message);
          this.ctx.log.warn({ err, cluster: c, service: svc.id }, 'applying a canary failed');
          await this.repo.addEvent(svc.id, 'WorkloadFailed', `cluster ${c}: canary: ${message}`, {
            severity: 'warning',
          });
        }
      }
    }
  }

  /**
   * The canary releases applied last time and no longer wanted whose pods some gateway node may
   * still send to: kept (with their last replicas) until every node serving the environment runs
   * a configuration without the pods' addresses, or the confirmation bound passed
   * (BERTH_DRAIN_CONFIRM_TIMEOUT_SECONDS). Deleting the Deployment first would leave a node still
   * splitting traffic to a pool whose pods are terminating: 502s.
   */
  private async heldCanaries(
    svc: ServiceRow,
    key: string,
    before: ReadonlyMap<number, number> | undefined,
    wanted: ReadonlyMap<number, number>,
    pods: readonly ContainerRow[],
  ): Promise<Map<number, number>> {
    const ending = new Map([...(before ?? [])].filter(([release]) => !wanted.has(release)));
    const serving = pods.filter((r) => ending.has(r.release) && r.state !== 'exited');
    if (serving.length === 0) {
      this.canaryEnds.delete(key);
      return new Map();
    }
    let wait = this.canaryEnds.get(key);
    if (!wait) {
      wait = { leftAt: nowIso(), gates: new Map() };
      this.canaryEnds.set(key, wait);
    }
    const views = await this.gateways.views(svc.env);
    let waiting = false;
    for (const row of serving) {
      const d = decideDrain(
        {
          addresses: Object.values(JSON.parse(row.endpoints) as Record<string, string>),
          leftAt: wait.leftAt,
          gates: wait.gates.get(row.name) ?? {},
        },
        views,
        Date.now(),
        this.ctx.config.drainConfirmTimeoutSeconds * 1000,
      );
      wait.gates.set(row.name, d.gates);
      if (d.outcome === 'waiting') waiting = true;
    }
    if (waiting) return ending;
    this.canaryEnds.delete(key);
    return new Map();
  }

  /**
   * Mirrors the pods of the service on workload clusters into its ledger: a row per pod (written
   * when first seen), its readiness and endpoints as Kubernetes reports them, and written off when
   * the pod is gone. Rows of clusters this pass could not list are left as they are — until their
   * cluster is failed over (`failedOver`, past the environment's grace): then they are written
   * off, as Podman's are, since their share runs elsewhere. A pod seen again once its cluster is
   * back gets its written-off row back.
   */
  async mirror(
    svc: ServiceRow,
    observed: Seen[],
    rows: ContainerRow[],
    workloadClusters: ReadonlySet<string>,
    blind: ReadonlySet<string>,
    failedOver: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    const pods = new Map(observed.map((o) => [o.name, o]));
    let changed = false;
    for (const row of rows) {
      if (!workloadClusters.has(row.cluster)) continue;
      if (blind.has(row.cluster)) {
        if (!failedOver.has(row.cluster)) continue;
        const reason = `written off: cluster ${row.cluster} is unreachable past its failover grace`;
        await this.repo.updateContainer(row.name, {
          state: 'exited',
          ready: 0,
          stopped_at: nowIso(),
          exit_reason: reason,
        });
        await this.repo.addEvent(svc.id, 'Vanished', `pod ${row.name}: ${reason}`, {
          container: row.name,
          severity: 'warning',
        });
        changed = true;
        continue;
      }
      const pod = pods.get(row.name);
      pods.delete(row.name);
      if (!pod || pod.state === 'exited') {
        const reason = pod ? exitReason(pod) : (row.exit_reason ?? 'pod deleted');
        await this.repo.updateContainer(row.name, {
          state: 'exited',
          ready: 0,
          stopped_at: pod?.finishedAt ?? nowIso(),
          exit_code: pod?.exitCode ?? row.exit_code,
          exit_reason: reason,
        });
        await this.repo.addEvent(svc.id, 'PodGone', `pod ${row.name} on ${row.cluster} ended: ${reason}`, {
          container: row.name,
        });
        changed = true;
        continue;
      }
      const patch = this.rowPatch(pod);
      // a pod Berth asked Kubernetes to delete stays on its way out even before the watch says so
      if (row.state === 'stopping') Object.assign(patch, { state: 'stopping', ready: 0 });
      if (
        patch.state !== row.state ||
        patch.ready !== row.ready ||
        patch.in_rotation !== row.in_rotation ||
        patch.endpoints !== row.endpoints ||
        patch.ip !== row.ip
      ) {
        await this.repo.updateContainer(row.name, patch);
        if (patch.state !== row.state)
          await this.repo.addEvent(
            svc.id,
            patch.state === 'ready' ? 'Ready' : patch.state === 'stopping' ? 'Stopping' : 'NotReady',
            `pod ${row.name} on ${row.cluster} is ${patch.state === 'running' ? 'not ready' : patch.state}`,
            { container: row.name },
          );
        changed = true;
      }
    }
    for (const pod of pods.values()) {
      if (!workloadClusters.has(pod.cluster) || pod.state === 'exited') continue;
      const release = Number(pod.labels[labelKeys.release] ?? NaN);
      if (!Number.isInteger(release)) continue;
      if (await this.repo.findContainer(svc.id, pod.name)) {
        // written off while its cluster was unreachable, and running there all along
        await this.repo.updateContainer(pod.name, {
          ...this.rowPatch(pod),
          stopped_at: null,
          exit_reason: null,
        });
        await this.repo.addEvent(svc.id, 'PodSeen', `pod ${pod.name} on ${pod.cluster} is seen again`, {
          container: pod.name,
        });
        changed = true;
        continue;
      }
      const row: ContainerRow = {
        name: pod.name,
        service_id: svc.id,
        release,
        // a route canary's pod (ADR 0008) is marked as Podman's canary containers are
        restart_nonce: pod.labels[labelKeys.canary] ? canaryNonce : Number(pod.labels[restartLabel] ?? 0),
        engine_id: pod.id,
        cluster: pod.cluster,
        node: pod.node,
        image: pod.image,
        image_digest: pod.imageDigest,
        restarts: 0,
        created_at: pod.createdAt,
        started_at: pod.startedAt,
        stopped_at: null,
        drain_until: null,
        left_rotation_at: null,
        drain_seconds: null,
        drain_gates: null,
        removed_from_gateways_at: null,
        exit_code: null,
        exit_reason: null,
        ...this.rowPatch(pod),
      };
      await this.repo.insertContainer(row);
      await this.repo.addEvent(
        svc.id,
        'PodSeen',
        `pod ${pod.name} of release ${release} runs on ${pod.cluster} (node ${pod.node || 'unknown'})`,
        { container: pod.name },
      );
      changed = true;
    }
    if (changed) endpointsMayChange(this.ctx.db);
  }

  private rowPatch(pod: Seen): Pick<ContainerRow, 'state' | 'ready' | 'in_rotation' | 'endpoints' | 'ip'> {
    const inRotation = pod.labels[rotationLabel] === 'out' ? 0 : 1;
    const ready = pod.state === 'running' && pod.ready === true && !pod.terminating;
    return {
      state: pod.terminating ? 'stopping' : ready ? 'ready' : 'running',
      ready: ready ? 1 : 0,
      in_rotation: inRotation,
      endpoints: JSON.stringify(pod.ports),
      ip: pod.ip,
    };
  }

  /**
   * The rollout's progress on workload clusters from the ledger rows (the mirror of the pods) and
   * each Deployment's status.
   */
  async progress(
    svc: ServiceRow,
    rows: ContainerRow[],
    targets: Record<string, number>,
    workloadClusters: ReadonlySet<string>,
    errors: string[],
  ): Promise<WorkloadProgress> {
    if (workloadClusters.size === 0) return noWorkloads;
    const ref: WorkloadRef = { project: svc.project, env: svc.env, service: svc.name, serviceId: svc.id };
    const wanted = (r: ContainerRow) => r.release === svc.release && r.restart_nonce === svc.restart_nonce;
    const off = svc.stopped === 1 || svc.deleting === 1;
    let complete = errors.length === 0;
    const out: WorkloadProgress = { ...noWorkloads, errors };
    for (const cluster of workloadClusters) {
      const mine = rows.filter((r) => r.cluster === cluster && r.state !== 'exited');
      const live = mine.filter((r) => r.state !== 'stopping');
      const current = live.filter(wanted);
      const ready = current.filter((r) => r.ready === 1 && r.in_rotation === 1).length;
      out.readyCurrent += ready;
      out.liveCurrent += current.length;
      out.liveOld += live.length - current.length;
      out.leaving += mine.length - live.length;
      const share = off ? 0 : (targets[cluster] ?? 0);
      if (ready !== share || live.length !== current.length) complete = false;
      if (share > 0) {
        let status: WorkloadStatus | null = null;
        try {
          status = await (await this.engine(cluster)).workloadStatus(ref);
        } catch {
          complete = false;
        }
        if (!status || !status.observed || status.release !== svc.release) complete = false;
        // level-triggered: a Deployment deleted or changed behind Berth's back (kubectl delete,
        // kubectl scale) is applied again on the next pass
        if (
          status === null ||
          (status.observed &&
            (status.replicas !== share ||
              status.release !== svc.release ||
              status.restartNonce !== svc.restart_nonce))
        )
          this.applied.delete(`${svc.id}\n${cluster}`);
      }
    }
    out.complete = complete;
    return out;
  }

  /** Forgets what was applied for a service (it is gone). */
  forget(serviceId: string): void {
    this.events.stop(serviceId);
    for (const key of [...this.applied.keys()])
      if (key.startsWith(`${serviceId}\n`)) this.applied.delete(key);
    for (const key of [...this.canaryApplied.keys()])
      if (key.startsWith(`${serviceId}\n`)) this.canaryApplied.delete(key);
    for (const key of [...this.canaryEnds.keys()])
      if (key.startsWith(`${serviceId}\n`)) this.canaryEnds.delete(key);
  }
}
