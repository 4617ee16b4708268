import { labelKeys, type ContainerObservation } from '@berth/engine-api';
import type { Engines } from '../../../runtime/engines';
import type { ReleaseSpec } from '@berth/shared';
import type { AppContext } from '../../../http/context';
import type { SecretBox } from '../../../crypto/secret-box';
import {
  canaryNonce,
  type ContainerRow,
  type ServiceRow,
  type ServicesRepository,
} from '../services.repository';
import { storedSpec } from '../service-views';
import type { TaskRepository } from '../../tasks/tasks.repository';
import { nowIso } from '../../../util';
import { ContainerRunner } from './container-runner';
import { CrashBackoff } from './crash-backoff';
import { implicitReadiness, Prober, type ProbeOutcome, type ProbeTarget } from './prober';
import { planRollout } from './rollout-planner';
import { RolloutTracker } from './rollout-tracker';
import { decideDrain, noGateways, type GatewayConfirmation, type GatewayView } from './rollout-drain';
import { endpointsMayChange } from '../endpoint-signal';
import type { ReplicaPlacer } from './replica-placer';
import type { MountSource } from '../mount-source';
import { WorkloadSpecs } from '../workload-specs';
import { WorkloadRollouts, primaryCluster } from './workload-rollouts';
import { WorkloadOrphans } from './workload-orphans';
import { EnvNetworkSweep } from './env-networks';

export type { ReplicaPlacer } from './replica-placer';

export interface ControllerDeps {
  ctx: AppContext;
  /** Every cluster's engine; a container is acted on where its row's `cluster` says. */
  engines: Engines;
  repo: ServicesRepository;
  tasks: TaskRepository;
  secrets: SecretBox;
  /**
   * Who must confirm a drain before a leaving container stops (rollout-drain.ts): the gateways'
   * nodes and the open endpoint watches, combined by the composition root. None by default.
   */
  drains?: GatewayConfirmation;
  /**
   * The release canaries the routes ask for, `project/env/service` → release → containers (the
   * gateways module's port, canary-releases.ts). None by default.
   */
  canaries?: () => Promise<Map<string, Map<number, number>>>;
  /**
   * Where a service's replicas go, per cluster (the placement module's FleetPlacement, handed
   * over by the composition root). None: every replica on the local cluster.
   */
  placer?: ReplicaPlacer;
  /** The kinds of `spec.mounts` (services-deps.ts): what a new container gets mounted. */
  mounts?: MountSource[];
}

/** An engine's observation of a container, with the cluster it was seen on. */
type Seen = ContainerObservation & { cluster: string };

/** What one pass knows of the fleet: per service what runs, and which clusters could not be listed. */
interface PassView {
  blind: ReadonlySet<string>;
  /** Clusters whose containers this pass listed: they answer. */
  listed: ReadonlySet<string>;
  /** Counts passes: the placer reads each environment's clusters once per pass. */
  id: number;
  /** Per cluster: the address its containers publish on now (cluster addresses). */
  published: ReadonlyMap<string, string>;
  /**
   * Clusters whose engines roll whole services out themselves (Kubernetes, ADR 0007): Berth
   * applies a workload there and mirrors its pods instead of creating containers.
   */
  workload: ReadonlySet<string>;
}

/**
 * Whether a container publishes on its cluster's address: after an admin changed the address,
 * the ones on the old one are replaced like an old release (new first, then they drain).
 */
function onPublishAddress(r: ContainerRow, published: ReadonlyMap<string, string>): boolean {
  const address = published.get(r.cluster);
  if (!address) return true;
  const endpoints = Object.values(JSON.parse(r.endpoints) as Record<string, string>);
  return endpoints.every((e) => e.startsWith(`${address}:`));
}

const leavingStates = new Set(['draining', 'stopping']);
const isCanary = (r: ContainerRow) => r.restart_nonce === canaryNonce;
/** Crash back-off of a service's canary containers, apart from its own. */
const canaryKey = (serviceId: string) => `${serviceId}:canary`;
const none = new Map<number, number>();

/**
 * The service controller: level-triggered and idempotent. Every pass compares the store's desired
 * state with what the engine reports and takes the next safe steps; a restart (even kill -9)
 * resumes from the store and the engine. Engine calls that take time run in the background,
 * tracked per container so that a pass never acts twice on the same container.
 */
export class ServiceController {
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** A wake-up arrived during a pass: run the next one right after it. */
  private woken = false;
  /** The running confirmation round, and whether another was asked for meanwhile. */
  private confirming: Promise<void> | null = null;
  private confirmAgain = false;
  private readonly inflight = new Map<string, Promise<void>>();
  /** When the engine's container list of the current pass was asked for. */
  private observedAt = 0;
  /** Per service: when a container creation last finished (it may postdate the pass's list). */
  private readonly createsSettledAt = new Map<string, number>();
  private readonly specs = new Map<string, ReleaseSpec>();
  private readonly prober: Prober;
  /** Creates, retires and reaps containers; server.ts hands it the log collector's last copy. */
  readonly runner: ContainerRunner;
  private readonly backoff = new CrashBackoff();
  /** Services on workload clusters: applied as Deployments, their pods mirrored (ADR 0007). */
  private readonly workloads: WorkloadRollouts;
  private readonly orphans: WorkloadOrphans;
  private readonly networks: EnvNetworkSweep;
  private readonly tracker: RolloutTracker;
  private readonly gateways: GatewayConfirmation;
  /** Per service: the clusters its last pass failed over (their drained rows are written off). */
  private readonly failedOver = new Map<string, Set<string>>();
  private passes = 0;
  /** Clusters whose failed listing was logged (once per outage). */
  private readonly blindLogged = new Set<string>();

  constructor(private readonly deps: ControllerDeps) {
    this.runner = new ContainerRunner(deps.ctx, deps.engines, deps.repo, deps.secrets, deps.mounts);
    this.prober = new Prober(
      deps.engines,
      (name, outcome, detail) => void this.onProbe(name, outcome, detail),
    );
    this.tracker = new RolloutTracker(deps.repo, deps.tasks);
    this.orphans = new WorkloadOrphans(deps.ctx, deps.engines);
    this.networks = new EnvNetworkSweep(deps.ctx, deps.engines);
    this.workloads = new WorkloadRollouts(
      deps.ctx,
      deps.engines,
      deps.repo,
      new WorkloadSpecs(deps.ctx, deps.engines, deps.secrets, deps.mounts),
      deps.drains ?? noGateways,
    );
    // drains wait until every confirmer runs without the container; a change (a node's report,
    // a watch written) wakes the confirmation round
    this.gateways = deps.drains ?? noGateways;
    this.gateways.onChange(() => this.confirmSoon());
  }

  kick(_serviceId?: string): void {
    this.wake?.();
    endpointsMayChange(this.deps.ctx.db);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Wakes the loop now, or right after the running pass (a confirmed drain may be due). */
  private wakeUp(): void {
    this.woken = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
    await this.confirming;
    this.prober.stopAll();
    await this.orphans.stop();
    await this.networks.stop();
    await this.workloads.stop();
    await Promise.allSettled([...this.inflight.values()]);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.reconcileAll();
      } catch (err) {
        this.deps.ctx.log.error({ err }, 'reconcile pass failed');
      }
      if (!this.running) break;
      if (this.woken) {
        this.woken = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.deps.ctx.config.reconcileIntervalMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
      this.woken = false;
    }
  }

  /** One pass over every service; public so tests can drive the controller step by step. */
  async reconcileAll(): Promise<void> {
    const { repo, ctx, engines } = this.deps;
    this.observedAt = Date.now();
    // every cluster's containers; a cluster that does not answer is blind for this pass: its
    // rows are left as they are (failover is placement's decision, after the grace period)
    const observed: Seen[] = [];
    const blind = new Set<string>();
    const listed = new Set<string>();
    const published = new Map<string, string>();
    await Promise.all(
      (await engines.clusters()).map(async (cluster) => {
        try {
          published.set(cluster, (await engines.addresses(cluster)).publishAddress);
          const engine = await engines.get(cluster);
          const list = await engine.listContainers({ [labelKeys.instance]: ctx.config.instanceId });
          for (const o of list) {
            // seen through another registration of the same engine: not this cluster's
            // (containers from before the label are the local cluster's)
            if ((o.labels[labelKeys.cluster] ?? engines.local.cluster) !== cluster) continue;
            observed.push({ ...o, cluster });
          }
        } catch (err) {
          blind.add(cluster);
          if (!this.blindLogged.has(cluster))
            ctx.log.warn(
              { err, cluster },
              `cluster ${cluster}: listing its containers failed; its containers are left as they are`,
            );
          this.blindLogged.add(cluster);
          return;
        }
        this.blindLogged.delete(cluster);
        listed.add(cluster);
      }),
    );
    this.passes += 1;
    const workload = await this.workloads.workloadClusters(listed);
    const pass: PassView = { blind, listed, id: this.passes, published, workload };
    const byService = new Map<string, Seen[]>();
    for (const o of observed) {
      const id = o.labels[labelKeys.service] ?? '';
      byService.set(id, [...(byService.get(id) ?? []), o]);
    }
    const ids = await repo.allIds();
    const canaries = this.deps.canaries ? await this.deps.canaries() : new Map<string, Map<number, number>>();
    const targets: ProbeTarget[] = [];
    for (const id of ids) {
      const svc = await repo.findById(id);
      if (!svc) continue;
      const wanted = canaries.get(`${svc.project}/${svc.env}/${svc.name}`) ?? none;
      try {
        targets.push(...(await this.reconcile(svc, byService.get(id) ?? [], wanted, pass)));
      } catch (err) {
        ctx.log.error({ err, service: `${svc.project}/${svc.env}/${svc.name}` }, 'reconcile failed');
      }
      byService.delete(id);
    }
    // Containers of services that no longer exist: remove them.
    for (const leftovers of byService.values()) {
      // (pods of a deleted service's Deployment go with it: deleteWorkload, never one by one)
      for (const o of leftovers.filter((x) => !workload.has(x.cluster)))
        this.track(o.name, async () => (await engines.get(o.cluster)).removeContainer(o.id));
    }
    // objects of services, volumes or environments deleted while Berth or the cluster was down
    this.orphans.sweepSoon(workload);
    // networks of envs without services (a deleted project's), on the Podman clusters listed
    this.networks.sweepSoon([...listed].filter((c) => !workload.has(c)));
    this.prober.sync(targets);
    this.confirmSoon();
  }

  /** Resolves once every container operation started so far has ended (tests drive passes). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight.values()]);
  }

  private track(name: string, op: () => Promise<void>): void {
    if (this.inflight.has(name)) return;
    const p = op()
      .catch((err: unknown) => this.deps.ctx.log.warn({ err, container: name }, 'container operation failed'))
      .finally(() => {
        this.inflight.delete(name);
        if (name.startsWith('create:')) this.createsSettledAt.set(name.split(':')[1] ?? '', Date.now());
        this.kick();
      });
    this.inflight.set(name, p);
  }

  private async spec(svc: Pick<ServiceRow, 'id'>, release: number): Promise<ReleaseSpec | null> {
    const key = `${svc.id}:${release}`;
    const hit = this.specs.get(key);
    if (hit) return hit;
    const row = await this.deps.repo.getRelease(svc.id, release);
    if (!row) return null;
    const spec = storedSpec(row);
    this.specs.set(key, spec);
    return spec;
  }

  private async reconcile(
    svc: ServiceRow,
    observed: Seen[],
    canaries: Map<number, number>,
    pass: PassView,
  ): Promise<ProbeTarget[]> {
    const { repo } = this.deps;
    const spec = await this.spec(svc, svc.release);
    if (!spec) return [];
    const onWorkload = (c: { cluster: string }) => pass.workload.has(c.cluster);
    await this.syncLedger(
      svc,
      observed.filter((o) => !onWorkload(o)),
      pass,
    );
    if (pass.workload.size > 0)
      await this.workloads.mirror(
        svc,
        observed.filter(onWorkload),
        await repo.activeContainers(svc.id),
        pass.workload,
        pass.blind,
        this.failedOver.get(svc.id),
      );
    const all = await repo.activeContainers(svc.id);
    // canary containers never count toward, nor get touched by, the service's own rollout
    const everyRow = all.filter((r) => !isCanary(r));
    // containers Berth runs itself; pods of workload clusters are Kubernetes' (workload-rollouts.ts)
    const rows = everyRow.filter((r) => !onWorkload(r));
    const pods = everyRow.filter(onWorkload);

    if (svc.deleting === 1 && all.length === 0 && observed.length === 0 && this.inflightFor(svc) === 0) {
      await this.tracker.deleted(svc);
      this.workloads.forget(svc.id);
      return [];
    }

    const replicas = svc.stopped === 1 || svc.deleting === 1 ? 0 : svc.replicas;
    const wanted = (r: ContainerRow) => r.release === svc.release && r.restart_nonce === svc.restart_nonce;
    const live = rows.filter((r) => wanted(r) && !leavingStates.has(r.state) && r.in_rotation !== 0);
    const podsLive = pods.filter(
      (r) => wanted(r) && r.state !== 'stopping' && r.state !== 'exited' && r.in_rotation !== 0,
    );
    const where = await this.where(svc, spec, replicas, [...live, ...podsLive], pass);
    this.failedOver.set(svc.id, new Set(where.failedOver));
    const ownTargets: Record<string, number> = {};
    const workloadTargets: Record<string, number> = {};
    for (const [cluster, n] of Object.entries(where.targets))
      (pass.workload.has(cluster) ? workloadTargets : ownTargets)[cluster] = n;
    // a container of the wanted release counts as current only while its cluster wants it and it
    // publishes on its cluster's address; the rest are replaced like an old release (new ones
    // first, then they drain)
    const seated = seatsOf(
      live.filter((r) => onPublishAddress(r, pass.published)),
      ownTargets,
    );
    const want = Object.values(ownTargets).reduce((n, v) => n + v, 0) + where.unplaced;
    const plan = planRollout({
      replicas: want,
      maxSurge: spec.rollout.maxSurge,
      maxUnavailable: spec.rollout.maxUnavailable,
      holdCreates: this.backoff.holding(svc.id),
      containers: rows.map((r) => ({
        name: r.name,
        current: seated.has(r.name) || (r.in_rotation === 0 && wanted(r)),
        ready: r.state === 'ready' && r.ready === 1,
        leaving: leavingStates.has(r.state),
        parked: r.in_rotation === 0,
        createdAt: r.created_at,
      })),
    });
    for (const name of plan.drain) {
      const row = rows.find((r) => r.name === name);
      if (!row) continue;
      const why = wanted(row) ? `moved off cluster ${row.cluster} by placement` : 'replaced or scaled in';
      await this.drain(row, spec.rollout.drainSeconds, why);
    }
    const slots = createSlots(
      ownTargets,
      live.filter((r) => seated.has(r.name)),
      plan.create,
    );
    slots.forEach((cluster, i) => {
      const key = `create:${svc.id}:${i}`;
      this.track(key, () =>
        this.runner
          .create(svc, spec, this.backoff.failures(svc.id), undefined, cluster)
          .catch((err: unknown) => {
            this.backoff.failed(svc.id);
            throw err;
          }),
      );
    });
    // the workload clusters' share: applied when it changed, followed through the mirrored pods
    const errors = await this.workloads.apply(svc, spec, workloadTargets, pass.workload);
    const wp = await this.workloads.progress(svc, pods, workloadTargets, pass.workload, errors);
    const leaving = rows.filter((r) => leavingStates.has(r.state)).length + wp.leaving;
    await this.tracker.update(
      svc,
      spec,
      {
        ...plan,
        readyCurrent: plan.readyCurrent + wp.readyCurrent,
        liveCurrent: plan.liveCurrent + wp.liveCurrent,
        liveOld: plan.liveOld + wp.liveOld,
        complete: plan.complete && wp.complete,
      },
      leaving,
      this.backoff.failures(svc.id),
    );
    const off = svc.stopped === 1 || svc.deleting === 1;
    const wantedCanaries = off ? none : canaries;
    // a route's canary runs where most of the service runs: on a Kubernetes cluster as a
    // Deployment of its own (ADR 0008), else as containers Berth runs itself
    const most = primaryCluster({ ...ownTargets, ...workloadTargets });
    const onKubernetes = most !== null && pass.workload.has(most) ? most : null;
    // a pass that cannot list the cluster running them moves no canary onto Podman, until the
    // cluster is failed over
    const held = this.workloads.canaryCluster(svc.id);
    const blindOnly =
      onKubernetes === null && held !== null && pass.blind.has(held) && !where.failedOver.includes(held);
    if (pass.workload.size > 0)
      await this.workloads.canaries(
        svc,
        onKubernetes ? wantedCanaries : none,
        onKubernetes,
        workloadTargets,
        pass.workload,
        (release) => this.spec(svc, release),
        all.filter((r) => isCanary(r) && onWorkload(r)),
      );
    const primary = primaryCluster(ownTargets) ?? this.deps.engines.local.cluster;
    await this.reconcileCanaries(
      svc,
      spec,
      all.filter((r) => isCanary(r) && !onWorkload(r)),
      onKubernetes || blindOnly ? none : wantedCanaries,
      primary,
    );

    const targets: ProbeTarget[] = [];
    for (const r of all) {
      // Kubernetes probes its pods itself; their readiness is the pod's Ready condition
      if (!r.engine_id || !['running', 'ready'].includes(r.state) || onWorkload(r)) continue;
      const rs = await this.spec(svc, r.release);
      if (!rs) continue;
      targets.push({
        name: r.name,
        cluster: r.cluster,
        engineId: r.engine_id,
        endpoints: JSON.parse(r.endpoints) as Record<string, string>,
        readiness: rs.readiness ?? implicitReadiness(rs.ports),
        liveness: rs.liveness ?? null,
        defaultPort: rs.ports[0]?.containerPort ?? null,
      });
    }
    return targets;
  }

  /** Replicas wanted per cluster: the placer's division, or all on the local cluster. */
  private async where(
    svc: ServiceRow,
    spec: ReleaseSpec,
    replicas: number,
    live: ContainerRow[],
    pass: PassView,
  ): Promise<{ targets: Record<string, number>; unplaced: number; failedOver: string[] }> {
    const { placer, engines } = this.deps;
    if (!placer) return { targets: { [engines.local.cluster]: replicas }, unplaced: 0, failedOver: [] };
    const current: Record<string, number> = {};
    for (const r of live) current[r.cluster] = (current[r.cluster] ?? 0) + 1;
    return placer.place({
      project: svc.project,
      env: svc.env,
      service: svc.name,
      placement: spec.placement,
      replicas,
      memoryMiB: spec.resources.memoryMiB ?? null,
      current,
      blind: pass.blind,
      listed: pass.listed,
      pass: pass.id,
    });
  }

  /**
   * Keeps `replicas` containers of each wanted canary release and drains the rest. A canary ends
   * only after its route stopped sending it traffic, so draining loses no request.
   */
  private async reconcileCanaries(
    svc: ServiceRow,
    spec: ReleaseSpec,
    rows: ContainerRow[],
    wanted: Map<number, number>,
    cluster: string,
  ): Promise<void> {
    const live = rows.filter((r) => !leavingStates.has(r.state));
    const drainSeconds = spec.rollout.drainSeconds;
    for (const r of live) {
      if (!wanted.has(r.release)) await this.drain(r, drainSeconds, 'canary ended');
    }
    for (const [release, replicas] of wanted) {
      // unready ones first, then the newest
      const mine = live
        .filter((r) => r.release === release)
        .sort((a, b) => a.ready - b.ready || (a.created_at < b.created_at ? 1 : -1));
      for (const r of mine.slice(0, Math.max(0, mine.length - replicas)))
        await this.drain(r, drainSeconds, 'canary scaled in');
      if (mine.length >= replicas || this.backoff.holding(canaryKey(svc.id))) continue;
      const rs = await this.spec(svc, release);
      if (!rs) continue;
      for (let i = mine.length; i < replicas; i += 1) {
        this.track(`create:${svc.id}:c${release}:${i}`, () =>
          this.runner
            .create(svc, rs, this.backoff.failures(canaryKey(svc.id)), release, cluster)
            .catch((err: unknown) => {
              this.backoff.failed(canaryKey(svc.id));
              throw err;
            }),
        );
      }
    }
  }

  private inflightFor(svc: ServiceRow): number {
    return [...this.inflight.keys()].filter(
      (k) => k.startsWith(`create:${svc.id}:`) || k.startsWith(`${svc.project}-${svc.env}-${svc.name}-`),
    ).length;
  }

  /** Brings the ledger in line with what the engine says. */
  private async syncLedger(svc: ServiceRow, observed: Seen[], pass: PassView): Promise<void> {
    const { repo } = this.deps;
    const rows = (await repo.activeContainers(svc.id)).filter((r) => !pass.workload.has(r.cluster));
    const byName = new Map(observed.map((o) => [o.name, o]));
    const creating = [...this.inflight.keys()].some((k) => k.startsWith(`create:${svc.id}:`));
    const failedOver = this.failedOver.get(svc.id);
    for (const row of rows) {
      byName.delete(row.name);
      if (this.inflight.has(row.name)) continue;
      if (pass.blind.has(row.cluster)) {
        // Nothing is known of it. Once its cluster is failed over and its drain is through (its
        // replacement runs elsewhere, the gateways confirmed), it is written off; if the cluster
        // comes back, the container is removed there as one without a ledger entry.
        const drained =
          row.state === 'stopping' ||
          (row.state === 'draining' && row.removed_from_gateways_at && (row.drain_until ?? '') <= nowIso());
        if (failedOver?.has(row.cluster) && drained)
          await this.runner.markGone(
            row,
            `written off: cluster ${row.cluster} is unreachable past its failover grace`,
          );
        continue;
      }
      const o = observed.find((x) => x.name === row.name);
      if (row.state === 'creating') {
        if (creating) continue;
        if (!o) this.goneUnlessFound(row, 'creation was interrupted');
        else if (o.state === 'running') {
          await repo.updateContainer(row.name, {
            engine_id: o.id,
            ip: o.ip,
            endpoints: JSON.stringify(o.ports),
            image_digest: o.imageDigest,
            node: o.node,
            state: 'running',
            started_at: o.startedAt ?? nowIso(),
          });
        } else this.track(row.name, () => this.runner.retire(row, 0, 'creation was interrupted'));
        continue;
      }
      if (!o) {
        // A creation that finished after this pass listed the engine's containers is not gone:
        // the list is older than the row. The next pass decides.
        if ((this.createsSettledAt.get(svc.id) ?? 0) >= this.observedAt) continue;
        this.goneUnlessFound(row, 'removed outside Berth');
        continue;
      }
      // a state Berth does not know is no reason to act: the next list tells
      if (o.state === 'unknown') continue;
      if (o.state !== 'running' && !leavingStates.has(row.state)) {
        this.reapUnlessRunning(svc, row, o);
        continue;
      }
      if (row.state === 'unhealthy') {
        await this.drain(row, 0, 'liveness check failed');
        continue;
      }
      // waiting for every gateway node: confirmDrains() starts the drain period
      if (row.state === 'draining' && row.left_rotation_at && !row.removed_from_gateways_at) continue;
      if (row.state === 'stopping' || (row.state === 'draining' && (row.drain_until ?? '') <= nowIso())) {
        const spec = await this.spec(svc, row.release);
        this.track(row.name, () =>
          this.runner.retire(
            row,
            spec?.rollout.stopGraceSeconds ?? 10,
            row.exit_reason ?? 'stopped by Berth',
          ),
        );
      }
    }
    // Containers in the engine without a ledger entry (e.g. a crash between ledger and engine).
    for (const o of byName.values()) {
      if (this.inflight.has(o.name) || creating) continue;
      await repo.addEvent(
        svc.id,
        'OrphanRemoved',
        `container ${o.name} had no ledger entry and was removed`,
        { severity: 'warning' },
      );
      this.track(o.name, async () => (await this.deps.engines.get(o.cluster)).removeContainer(o.id));
    }
  }

  /**
   * Writes a container off as gone once its engine confirms it: a list that missed it (a
   * creation that raced the list, an engine busy enough to skip an entry) is not proof, an
   * inspect that finds nothing is. Found after all: left to the next pass.
   */
  private goneUnlessFound(row: ContainerRow, reason: string): void {
    this.track(row.name, async () => {
      const engine = await this.deps.engines.get(row.cluster);
      const found = await engine.inspectContainer(row.engine_id ?? row.name);
      if (found) {
        this.deps.ctx.log.warn(
          { container: row.name, cluster: row.cluster, state: found.state },
          'a container missing from its engine’s list is there on inspect; left to the next pass',
        );
        return;
      }
      await this.runner.markGone(row, reason);
    });
  }

  /**
   * Reaps a container the pass's list saw not running, once a fresh inspect agrees. The list may
   * be older than the container's start: on a busy machine a pass listed a new container while it
   * was still `created`, its creation then started it and it became ready, and the stale list had
   * it force-removed as if it had died (a ready container gone without a drain: requests lost).
   */
  private reapUnlessRunning(svc: ServiceRow, row: ContainerRow, listed: Seen): void {
    this.track(row.name, async () => {
      const engine = await this.deps.engines.get(row.cluster);
      const now = await engine.inspectContainer(row.engine_id ?? listed.id);
      if (now?.state === 'running') return;
      if (!now) {
        await this.runner.markGone(row, 'removed outside Berth');
        return;
      }
      if (row.release === svc.release && row.restart_nonce === svc.restart_nonce) this.backoff.failed(svc.id);
      else if (isCanary(row)) this.backoff.failed(canaryKey(svc.id));
      await this.runner.reapExited(row, now);
    });
  }

  /**
   * Takes a container out of rotation. The drain period does not start yet: confirmRemoval()
   * starts it once every gateway node runs without the container (or the bound was hit).
   */
  private async drain(row: ContainerRow, seconds: number, reason: string): Promise<void> {
    if (leavingStates.has(row.state)) return;
    await this.deps.repo.updateContainer(row.name, {
      state: 'draining',
      drain_until: null,
      left_rotation_at: nowIso(),
      drain_seconds: seconds,
      drain_gates: '{}',
      removed_from_gateways_at: null,
      exit_reason: reason,
    });
    await this.deps.repo.addEvent(
      row.service_id,
      'Draining',
      `container ${row.name} left rotation (${reason}); stopping ${seconds}s after every gateway node runs without it`,
      { container: row.name },
    );
    endpointsMayChange(this.deps.ctx.db);
  }

  /** Runs a confirmation round now, or once more after the running one. */
  private confirmSoon(): void {
    if (!this.running) return;
    if (this.confirming) {
      this.confirmAgain = true;
      return;
    }
    this.confirming = (async () => {
      do {
        this.confirmAgain = false;
        try {
          await this.confirmDrains();
        } catch (err) {
          this.deps.ctx.log.warn({ err }, 'drain confirmation round failed');
        }
      } while (this.confirmAgain && this.running);
    })().finally(() => (this.confirming = null));
  }

  /**
   * The thin driver of decideDrain() for every container waiting for confirmation: records the
   * first revision without it per gateway, and once every node runs that (or the bound is hit)
   * starts its drain period from now. Reads only the store and the gateways, never the engine,
   * so a node's report is acted on at once; everything lives in the store, so a restart resumes.
   */
  private async confirmDrains(): Promise<void> {
    const { ctx } = this.deps;
    const rows = await ctx.db
      .selectFrom('containers')
      .innerJoin('services', 'services.id', 'containers.service_id')
      .selectAll('containers')
      .select('services.env as env')
      .where('containers.state', '=', 'draining')
      .where('containers.left_rotation_at', 'is not', null)
      .where('containers.removed_from_gateways_at', 'is', null)
      .execute();
    if (rows.length === 0) return;
    const views = new Map<string, Promise<GatewayView[]>>();
    for (const row of rows) {
      let v = views.get(row.env);
      if (!v) {
        v = this.gateways.views(row.env);
        views.set(row.env, v);
      }
      await this.confirmRemoval(row, row.env, await v);
    }
  }

  private async confirmRemoval(row: ContainerRow, env: string, views: GatewayView[]): Promise<void> {
    const { repo, ctx } = this.deps;
    const d = decideDrain(
      {
        addresses: Object.values(JSON.parse(row.endpoints) as Record<string, string>),
        leftAt: row.left_rotation_at ?? nowIso(),
        gates: JSON.parse(row.drain_gates ?? '{}') as Record<string, number>,
      },
      views,
      Date.now(),
      ctx.config.drainConfirmTimeoutSeconds * 1000,
    );
    if (d.outcome === 'waiting') {
      if (d.gatesChanged) await repo.updateContainer(row.name, { drain_gates: JSON.stringify(d.gates) });
      return;
    }
    const seconds = row.drain_seconds ?? 0;
    const now = Date.now();
    const moved = await ctx.db
      .updateTable('containers')
      .set({
        drain_gates: JSON.stringify(d.gates),
        removed_from_gateways_at: new Date(now).toISOString(),
        drain_until: new Date(now + seconds * 1000).toISOString(),
      })
      .where('name', '=', row.name)
      .where('state', '=', 'draining')
      .where('removed_from_gateways_at', 'is', null)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) return;
    const published = views
      .filter((g) => d.gates[g.id] !== undefined)
      .map((g) => `${g.name} revision ${d.gates[g.id]}`)
      .join(', ');
    if (d.outcome === 'confirmed')
      await repo.addEvent(
        row.service_id,
        'RemovalConfirmed',
        views.length === 0
          ? `container ${row.name} is out of rotation (no gateway serves env ${env}); stopping in ${seconds}s`
          : `every gateway node and endpoint watch runs without container ${row.name} (${published}); stopping in ${seconds}s`,
        { container: row.name },
      );
    else
      await repo.addEvent(
        row.service_id,
        'DrainUnconfirmed',
        `container ${row.name}: not confirmed within ${ctx.config.drainConfirmTimeoutSeconds}s by ${d.pending.join(', ')}; stopping in ${seconds}s anyway`,
        { container: row.name, severity: 'warning' },
      );
    // pass again when the drain period ends rather than on the next tick
    if (seconds > 0) setTimeout(() => this.wakeUp(), seconds * 1000 + 10).unref();
    else this.wakeUp();
  }

  private async onProbe(name: string, outcome: ProbeOutcome, detail: string): Promise<void> {
    const { repo } = this.deps;
    const row = await this.deps.ctx.db
      .selectFrom('containers')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row || !['running', 'ready'].includes(row.state)) return;
    if (outcome === 'ready' && row.state !== 'ready') {
      if (!(await repo.updateContainerIf(name, ['running'], { state: 'ready', ready: 1 }))) return;
      await repo.addEvent(row.service_id, 'Ready', `container ${name} is ready (${detail})`, {
        container: name,
      });
      this.backoff.recovered(isCanary(row) ? canaryKey(row.service_id) : row.service_id);
    } else if (outcome === 'not-ready' && row.state === 'ready') {
      if (!(await repo.updateContainerIf(name, ['ready'], { state: 'running', ready: 0 }))) return;
      await repo.addEvent(row.service_id, 'NotReady', `container ${name} is not ready: ${detail}`, {
        container: name,
        severity: 'warning',
      });
    } else if (outcome === 'unhealthy') {
      if (!(await repo.updateContainerIf(name, ['running', 'ready'], { state: 'unhealthy', ready: 0 })))
        return;
      await repo.addEvent(
        row.service_id,
        'Unhealthy',
        `container ${name} is unhealthy: ${detail}; it will be recreated`,
        { container: name, severity: 'warning' },
      );
    } else return;
    this.kick();
  }
}

const readyFirstOldest = (a: ContainerRow, b: ContainerRow) =>
  Number(b.state === 'ready' && b.ready === 1) - Number(a.state === 'ready' && a.ready === 1) ||
  (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0);

/**
 * The containers that hold a seat: per cluster, up to its target, ready ones first, then the
 * oldest (they have served longest). Containers beyond their cluster's target are moved.
 */
export function seatsOf(live: ContainerRow[], targets: Record<string, number>): Set<string> {
  const seated = new Set<string>();
  const byCluster = new Map<string, ContainerRow[]>();
  for (const r of live) byCluster.set(r.cluster, [...(byCluster.get(r.cluster) ?? []), r]);
  for (const [cluster, rs] of byCluster) {
    for (const r of [...rs].sort(readyFirstOldest).slice(0, targets[cluster] ?? 0)) seated.add(r.name);
  }
  return seated;
}

/**
 * Which cluster each of `count` new containers goes to: the one furthest below its target first
 * (ties in the order of the targets), never above a target.
 */
export function createSlots(
  targets: Record<string, number>,
  seated: ContainerRow[],
  count: number,
): string[] {
  const missing = new Map<string, number>();
  for (const [cluster, n] of Object.entries(targets)) {
    const have = seated.filter((r) => r.cluster === cluster).length;
    if (n > have) missing.set(cluster, n - have);
  }
  const slots: string[] = [];
  while (slots.length < count) {
    let next: string | null = null;
    for (const [cluster, n] of missing)
      if (n > 0 && (next === null || n > (missing.get(next) ?? 0))) next = cluster;
    if (next === null) break;
    slots.push(next);
    missing.set(next, (missing.get(next) ?? 0) - 1);
  }
  return slots;
}
