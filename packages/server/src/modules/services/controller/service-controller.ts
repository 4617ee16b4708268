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
  private readonly runner: ContainerRunner;
  private readonly backoff = new CrashBackoff();
  private readonly tracker: RolloutTracker;
  private readonly gateways: GatewayConfirmation;

  constructor(private readonly deps: ControllerDeps) {
    this.runner = new ContainerRunner(deps.ctx, deps.engines, deps.repo, deps.secrets);
    this.prober = new Prober(
      deps.engines,
      (name, outcome, detail) => void this.onProbe(name, outcome, detail),
    );
    this.tracker = new RolloutTracker(deps.repo, deps.tasks);
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
    const { repo, ctx } = this.deps;
    const engine = this.deps.engines.local;
    this.observedAt = Date.now();
    const observed = await engine.listContainers({ [labelKeys.instance]: ctx.config.instanceId });
    const byService = new Map<string, ContainerObservation[]>();
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
        targets.push(...(await this.reconcile(svc, byService.get(id) ?? [], wanted)));
      } catch (err) {
        ctx.log.error({ err, service: `${svc.project}/${svc.env}/${svc.name}` }, 'reconcile failed');
      }
      byService.delete(id);
    }
    // Containers of services that no longer exist: remove them.
    for (const leftovers of byService.values()) {
      for (const o of leftovers) this.track(o.name, () => engine.removeContainer(o.id));
    }
    this.prober.sync(targets);
    this.confirmSoon();
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
    observed: ContainerObservation[],
    canaries: Map<number, number>,
  ): Promise<ProbeTarget[]> {
    const { repo } = this.deps;
    const spec = await this.spec(svc, svc.release);
    if (!spec) return [];
    await this.syncLedger(svc, observed);
    const all = await repo.activeContainers(svc.id);
    // canary containers never count toward, nor get touched by, the service's own rollout
    const rows = all.filter((r) => !isCanary(r));

    if (svc.deleting === 1 && all.length === 0 && observed.length === 0 && this.inflightFor(svc) === 0) {
      await this.tracker.deleted(svc);
      return [];
    }

    const want = svc.stopped === 1 || svc.deleting === 1 ? 0 : svc.replicas;
    const plan = planRollout({
      replicas: want,
      maxSurge: spec.rollout.maxSurge,
      maxUnavailable: spec.rollout.maxUnavailable,
      holdCreates: this.backoff.holding(svc.id),
      containers: rows.map((r) => ({
        name: r.name,
        current: r.release === svc.release && r.restart_nonce === svc.restart_nonce,
        ready: r.state === 'ready' && r.ready === 1,
        leaving: leavingStates.has(r.state),
        parked: r.in_rotation === 0,
        createdAt: r.created_at,
      })),
    });
    for (const name of plan.drain) {
      const row = rows.find((r) => r.name === name);
      if (row) await this.drain(row, spec.rollout.drainSeconds, 'replaced or scaled in');
    }
    for (let i = 0; i < plan.create; i += 1) {
      const key = `create:${svc.id}:${i}`;
      this.track(key, () =>
        this.runner.create(svc, spec, this.backoff.failures(svc.id)).catch((err: unknown) => {
          this.backoff.failed(svc.id);
          throw err;
        }),
      );
    }
    const leaving = rows.filter((r) => leavingStates.has(r.state)).length;
    await this.tracker.update(svc, spec, plan, leaving, this.backoff.failures(svc.id));
    const off = svc.stopped === 1 || svc.deleting === 1;
    await this.reconcileCanaries(svc, spec, all.filter(isCanary), off ? none : canaries);

    const targets: ProbeTarget[] = [];
    for (const r of all) {
      if (!r.engine_id || !['running', 'ready'].includes(r.state)) continue;
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

  /**
   * Keeps `replicas` containers of each wanted canary release and drains the rest. A canary ends
   * only after its route stopped sending it traffic, so draining loses no request.
   */
  private async reconcileCanaries(
    svc: ServiceRow,
    spec: ReleaseSpec,
    rows: ContainerRow[],
    wanted: Map<number, number>,
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
            .create(svc, rs, this.backoff.failures(canaryKey(svc.id)), release)
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
  private async syncLedger(svc: ServiceRow, observed: ContainerObservation[]): Promise<void> {
    const { repo } = this.deps;
    const rows = await repo.activeContainers(svc.id);
    const byName = new Map(observed.map((o) => [o.name, o]));
    const creating = [...this.inflight.keys()].some((k) => k.startsWith(`create:${svc.id}:`));
    for (const row of rows) {
      byName.delete(row.name);
      if (this.inflight.has(row.name)) continue;
      const o = observed.find((x) => x.name === row.name);
      if (row.state === 'creating') {
        if (creating) continue;
        if (!o) await this.runner.markGone(row, 'creation was interrupted');
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
        await this.runner.markGone(row, 'removed outside Berth');
        continue;
      }
      if (o.state !== 'running' && !leavingStates.has(row.state)) {
        if (row.release === svc.release && row.restart_nonce === svc.restart_nonce)
          this.backoff.failed(svc.id);
        else if (isCanary(row)) this.backoff.failed(canaryKey(svc.id));
        this.track(row.name, async () => {
          await this.runner.reapExited(row, o);
        });
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
      this.track(o.name, () => this.deps.engines.local.removeContainer(o.id));
    }
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
