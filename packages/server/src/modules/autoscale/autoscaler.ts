import { autoscaleBehaviorOf, type AutoscaleDecision, type AutoscaleSpec } from '@berth/shared';
import type { AppContext, Actor } from '../../http/context';
import type { Reconciler } from '../../runtime/controller-host';
import { parseJson } from '../../util';
import type { AutoscaleMetricsSource, AutoscaleServices, AutoscaledService } from './autoscale-ports';
import type { AutoscaleRepository, NewDecision } from './autoscale.repository';
import {
  normalize,
  replicasForContainerMetric,
  replicasForTotal,
  type Recommendation,
  type ScaleEvent,
} from './hpa';
import { readMetric } from './metric-reader';

/** The actor of the autoscaler's scalings (tasks, events and the audit log name it). */
export const autoscalerActor: Actor = { name: 'autoscaler', via: 'system', csrfToken: null };

const tickMs = 1000;

/**
 * The autoscaler (docs/autoscaling.md): a reconciler the controller host runs on the leader. Every
 * `intervalSeconds` per autoscaled service it reads the metric from Prometheus, runs the HPA
 * algorithm (hpa.ts) and scales through the user's scale path. When the metric cannot be read
 * (monitoring off, Prometheus down, an empty or failed query) it holds: nothing changes, the
 * decision says why, and the service gets one event per outage.
 */
export class Autoscaler implements Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly due = new Map<string, number>();
  private stopped = true;

  constructor(
    private readonly ctx: AppContext,
    private readonly repo: AutoscaleRepository,
    private readonly services: AutoscaleServices,
    private readonly monitoring: AutoscaleMetricsSource | null,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.due.clear();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Evaluates a service at the next tick (its settings changed). */
  kick(serviceId: string): void {
    this.due.set(serviceId, 0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .catch((err: unknown) => this.ctx.log.error({ err }, 'autoscaler pass failed'))
        .finally(() => {
          this.running = null;
          this.schedule(tickMs);
        });
    }, ms);
  }

  private async pass(): Promise<void> {
    const rows = await this.repo.all();
    const now = Date.now();
    const live = new Set<string>();
    for (const row of rows) {
      if (this.stopped) return;
      live.add(row.service_id);
      if ((this.due.get(row.service_id) ?? 0) > now) continue;
      const spec = parseJson<AutoscaleSpec | null>(row.spec, null);
      if (!spec) continue;
      this.due.set(row.service_id, now + spec.intervalSeconds * 1000);
      try {
        await this.evaluate(row.service_id);
      } catch (err) {
        this.ctx.log.error({ err, serviceId: row.service_id }, 'autoscaler: a service failed');
      }
    }
    for (const id of this.due.keys()) if (!live.has(id)) this.due.delete(id);
  }

  /** One decision for one service (the loop calls it every interval; tests may call it). */
  async evaluate(serviceId: string, now = Date.now()): Promise<AutoscaleDecision | null> {
    const row = await this.repo.find(serviceId);
    if (!row) return null;
    const svc = await this.services.findById(serviceId);
    if (!svc || svc.deleting) {
      await this.repo.forget(serviceId);
      return null;
    }
    const spec = parseJson<AutoscaleSpec | null>(row.spec, null);
    // a stopped service, or one scaled to 0 by hand, is not autoscaled (the HPA's rule for 0)
    if (!spec || svc.stopped || svc.replicas === 0) return null;
    const behavior = autoscaleBehaviorOf(spec);
    const current = svc.replicas;
    const base = {
      at: new Date(now).toISOString(),
      currentReplicas: current,
      target: spec.target,
      limit: null,
      inputs: { containers: [], ready: 0, notReady: 0, missing: 0 },
    };
    let decision: NewDecision;
    if (current > spec.max || current < spec.min) {
      const to = current > spec.max ? spec.max : spec.min;
      decision = {
        ...base,
        outcome: 'scaled',
        rawRecommendation: null,
        stabilizedRecommendation: null,
        desiredReplicas: to,
        metricValue: null,
        formula: `${current} is outside [${spec.min}, ${spec.max}]: ${to}`,
        reason: current > spec.max ? 'above max' : 'below min',
      };
    } else if (!this.monitoring) {
      decision = this.held(
        base,
        current,
        'monitoring is off (BERTH_MONITORING=off): the autoscaler cannot read metrics',
        '',
      );
    } else {
      decision = await this.decide(svc, spec, behavior, base, now);
    }
    if (decision.desiredReplicas !== current && decision.outcome === 'scaled') {
      try {
        await this.services.scale(
          { project: svc.project, env: svc.env, service: svc.name },
          decision.desiredReplicas,
          autoscalerActor,
        );
        await this.audit(svc, current, decision, 'success', null);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await this.audit(svc, current, decision, 'failure', message);
        decision = {
          ...decision,
          outcome: 'held',
          desiredReplicas: current,
          reason: `the scale to ${decision.desiredReplicas} was refused: ${message}`,
        };
      }
    }
    const saved = await this.repo.addDecision(serviceId, decision);
    await this.noteHold(serviceId, row.held_since, decision);
    await this.repo.prune(serviceId, now);
    return saved;
  }

  private held(
    base: Omit<
      NewDecision,
      | 'outcome'
      | 'rawRecommendation'
      | 'stabilizedRecommendation'
      | 'desiredReplicas'
      | 'metricValue'
      | 'formula'
      | 'reason'
    >,
    current: number,
    reason: string,
    query: string,
  ): NewDecision {
    return {
      ...base,
      outcome: 'held',
      rawRecommendation: null,
      stabilizedRecommendation: null,
      desiredReplicas: current,
      metricValue: null,
      formula: query ? `query: ${query}` : '',
      reason: `held at ${current}: ${reason}`,
    };
  }

  private async decide(
    svc: AutoscaledService,
    spec: AutoscaleSpec,
    behavior: ReturnType<typeof autoscaleBehaviorOf>,
    base: Parameters<Autoscaler['held']>[0],
    now: number,
  ): Promise<NewDecision> {
    const current = svc.replicas;
    const containers =
      spec.metric === 'cpu' || spec.metric === 'memory' ? await this.services.containers(svc.id) : [];
    const reading = await readMetric(
      this.monitoring!,
      svc,
      spec,
      containers,
      this.ctx.config.monitoring.scrapeIntervalSeconds,
    );
    if (!reading.ok) return this.held(base, current, reading.reason, reading.query);
    const rec =
      reading.kind === 'containers'
        ? replicasForContainerMetric({
            currentReplicas: current,
            target: spec.target,
            containers: reading.containers,
            notReadyIgnored: spec.metric === 'cpu',
          })
        : replicasForTotal({ currentReplicas: current, total: reading.total, target: spec.target });
    if (!rec) return this.held(base, current, 'no container has a value', reading.query);
    const inputs = {
      containers: reading.kind === 'containers' ? reading.containers : [],
      ready: rec.ready,
      notReady: rec.notReady,
      missing: rec.missing,
    };
    const { history, events } = await this.past(svc.id, behavior, now);
    const n = normalize({
      now,
      currentReplicas: current,
      recommendation: rec.replicas,
      min: spec.min,
      max: spec.max,
      history,
      events,
      behavior,
    });
    const changed = n.replicas !== current;
    const parts = [`metric ${round(rec.value)} vs target ${spec.target}`, `recommendation ${rec.replicas}`];
    if (n.stabilized !== rec.replicas)
      parts.push(
        `stabilised to ${n.stabilized} (highest of the last ${behavior.scaleDown.stabilizationWindowSeconds} s)`,
      );
    if (n.limit) parts.push(`bounded to ${n.limit.replicas} (${n.limit.reason})`);
    return {
      ...base,
      outcome: changed ? 'scaled' : 'unchanged',
      rawRecommendation: rec.replicas,
      stabilizedRecommendation: n.stabilized,
      limit: n.limit,
      desiredReplicas: n.replicas,
      metricValue: rec.value,
      formula: rec.formula,
      reason: `${parts.join('; ')}: ${changed ? `scale ${current} → ${n.replicas}` : `keep ${current}`}`,
      inputs,
    };
  }

  /** The HPA's recommendation history and scale events, read back from the decision log. */
  private async past(
    serviceId: string,
    behavior: ReturnType<typeof autoscaleBehaviorOf>,
    now: number,
  ): Promise<{ history: Recommendation[]; events: ScaleEvent[] }> {
    const span = Math.max(
      behavior.scaleUp.stabilizationWindowSeconds,
      behavior.scaleDown.stabilizationWindowSeconds,
      ...behavior.scaleUp.policies.map((p) => p.periodSeconds),
      ...behavior.scaleDown.policies.map((p) => p.periodSeconds),
    );
    const since = new Date(now - span * 1000 - 1000).toISOString();
    const past = await this.repo.decisions(serviceId, { since, limit: 5000 });
    const history: Recommendation[] = [];
    const events: ScaleEvent[] = [];
    for (const d of past) {
      const at = Date.parse(d.at);
      if (d.rawRecommendation !== null) history.push({ at, replicas: d.rawRecommendation });
      if (d.outcome === 'scaled' && d.desiredReplicas !== d.currentReplicas)
        events.push({ at, change: d.desiredReplicas - d.currentReplicas });
    }
    return { history, events };
  }

  /** One event when a hold starts, one when it ends. */
  private async noteHold(serviceId: string, heldSince: string | null, d: NewDecision): Promise<void> {
    const holding = d.outcome === 'held';
    if (holding && !heldSince) {
      await this.repo.setHeld(serviceId, { since: d.at ?? new Date().toISOString(), reason: d.reason });
      await this.services.addEvent(
        serviceId,
        'AutoscaleHeld',
        `autoscaling holds the replicas: ${d.reason}`,
        'warning',
      );
    } else if (!holding && heldSince) {
      await this.repo.setHeld(serviceId, null);
      await this.services.addEvent(
        serviceId,
        'AutoscaleResumed',
        `autoscaling resumed after a hold since ${heldSince}: ${d.reason}`,
        'normal',
      );
    }
  }

  private async audit(
    svc: AutoscaledService,
    from: number,
    d: NewDecision,
    result: 'success' | 'failure',
    message: string | null,
  ): Promise<void> {
    await this.ctx.audit.record({
      actor: autoscalerActor.name,
      action: 'services.scale',
      targetKind: 'service',
      target: `${svc.project}/${svc.env}/${svc.name}`,
      project: svc.project,
      request: { replicas: d.desiredReplicas, from, reason: d.reason },
      result,
      statusCode: result === 'success' ? 202 : 422,
      sourceIp: '',
      message,
    });
  }
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
