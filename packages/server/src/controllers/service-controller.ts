import { labelKeys, type ContainerEngine, type ContainerObservation } from '@berth/engine-api';
import type { ReleaseSpec } from '@berth/shared';
import type { AppContext } from '../http/context';
import type { SecretBox } from '../crypto/secret-box';
import type { ContainerRow, ServiceRow, ServicesRepository } from '../modules/services/services.repository';
import { storedSpec } from '../modules/services/service-views';
import type { TaskRepository } from '../modules/tasks/tasks.repository';
import { nowIso } from '../util';
import { ContainerRunner } from './container-runner';
import { CrashBackoff } from './crash-backoff';
import { implicitReadiness, Prober, type ProbeOutcome, type ProbeTarget } from './prober';
import { planRollout } from './rollout-planner';
import { RolloutTracker } from './rollout-tracker';
import { endpointsMayChange } from '../modules/gateways/endpoint-signal';
import { canaryNonce, wantedCanaries } from '../modules/gateways/canary-releases';

export interface ControllerDeps {
  ctx: AppContext;
  engine: ContainerEngine;
  repo: ServicesRepository;
  tasks: TaskRepository;
  secrets: SecretBox;
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
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly specs = new Map<string, ReleaseSpec>();
  private readonly prober: Prober;
  private readonly runner: ContainerRunner;
  private readonly backoff = new CrashBackoff();
  private readonly tracker: RolloutTracker;

  constructor(private readonly deps: ControllerDeps) {
    this.runner = new ContainerRunner(deps.ctx, deps.engine, deps.repo, deps.secrets);
    this.prober = new Prober(
      deps.engine,
      (name, outcome, detail) => void this.onProbe(name, outcome, detail),
    );
    this.tracker = new RolloutTracker(deps.repo, deps.tasks);
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

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
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
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.deps.ctx.config.reconcileIntervalMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** One pass over every service; public so tests can drive the controller step by step. */
  async reconcileAll(): Promise<void> {
    const { engine, repo, ctx } = this.deps;
    const observed = await engine.listContainers({ [labelKeys.instance]: ctx.config.instanceId });
    const byService = new Map<string, ContainerObservation[]>();
    for (const o of observed) {
      const id = o.labels[labelKeys.service] ?? '';
      byService.set(id, [...(byService.get(id) ?? []), o]);
    }
    const ids = await repo.allIds();
    const canaries = await wantedCanaries(ctx.db);
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
  }

  private track(name: string, op: () => Promise<void>): void {
    if (this.inflight.has(name)) return;
    const p = op()
      .catch((err: unknown) => this.deps.ctx.log.warn({ err, container: name }, 'container operation failed'))
      .finally(() => {
        this.inflight.delete(name);
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
      this.track(o.name, () => this.deps.engine.removeContainer(o.id));
    }
  }

  private async drain(row: ContainerRow, seconds: number, reason: string): Promise<void> {
    if (leavingStates.has(row.state)) return;
    const until = new Date(Date.now() + seconds * 1000).toISOString();
    await this.deps.repo.updateContainer(row.name, {
      state: 'draining',
      drain_until: until,
      exit_reason: reason,
    });
    await this.deps.repo.addEvent(
      row.service_id,
      'Draining',
      `container ${row.name} left rotation (${reason}); stopping in ${seconds}s`,
      { container: row.name },
    );
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
