import type { Selectable } from 'kysely';
import type { AutoscaleDecision, AutoscaleSpec } from '@berth/shared';
import type { Db } from '../../db/database';
import type { AutoscaleDecisionsTable, ServiceAutoscalersTable } from '../../db/schema';
import { newId, nowIso } from '../../util';

export type AutoscalerRow = Selectable<ServiceAutoscalersTable>;
export type DecisionRow = Selectable<AutoscaleDecisionsTable>;

/** How long decisions are kept, and how many per service at most (docs/autoscaling.md). */
export const decisionRetentionMs = 24 * 3600 * 1000;
export const decisionRetentionRows = 2000;

export type NewDecision = Omit<AutoscaleDecision, 'id' | 'at'> & { at?: string };

export function toDecision(r: DecisionRow): AutoscaleDecision {
  const d = JSON.parse(r.detail) as Pick<AutoscaleDecision, 'formula' | 'limit' | 'inputs'>;
  return {
    id: r.id,
    at: r.at,
    outcome: r.outcome as AutoscaleDecision['outcome'],
    currentReplicas: r.current_replicas,
    rawRecommendation: r.raw_recommendation,
    stabilizedRecommendation: r.stabilized_recommendation,
    limit: d.limit,
    desiredReplicas: r.desired_replicas,
    metricValue: r.metric_value,
    target: r.target,
    formula: d.formula,
    reason: r.reason,
    inputs: d.inputs,
  };
}

/** The autoscale tables: settings per service and the decision log. */
export class AutoscaleRepository {
  constructor(private readonly db: Db) {}

  find(serviceId: string): Promise<AutoscalerRow | undefined> {
    return this.db
      .selectFrom('service_autoscalers')
      .selectAll()
      .where('service_id', '=', serviceId)
      .executeTakeFirst();
  }

  all(): Promise<AutoscalerRow[]> {
    return this.db.selectFrom('service_autoscalers').selectAll().orderBy('service_id').execute();
  }

  async put(serviceId: string, spec: AutoscaleSpec, actor: string): Promise<void> {
    const values = { spec: JSON.stringify(spec), updated_at: nowIso(), updated_by: actor };
    await this.db
      .insertInto('service_autoscalers')
      .values({ service_id: serviceId, ...values, held_since: null, held_reason: null })
      .onConflict((oc) => oc.column('service_id').doUpdateSet(values))
      .execute();
  }

  async remove(serviceId: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('service_autoscalers')
      .where('service_id', '=', serviceId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async setHeld(serviceId: string, held: { since: string; reason: string } | null): Promise<void> {
    await this.db
      .updateTable('service_autoscalers')
      .set({ held_since: held?.since ?? null, held_reason: held?.reason ?? null })
      .where('service_id', '=', serviceId)
      .execute();
  }

  async addDecision(serviceId: string, d: NewDecision): Promise<AutoscaleDecision> {
    const row: AutoscaleDecisionsTable = {
      id: newId(),
      service_id: serviceId,
      at: d.at ?? nowIso(),
      outcome: d.outcome,
      current_replicas: d.currentReplicas,
      raw_recommendation: d.rawRecommendation,
      stabilized_recommendation: d.stabilizedRecommendation,
      desired_replicas: d.desiredReplicas,
      metric_value: d.metricValue !== null && Number.isFinite(d.metricValue) ? d.metricValue : null,
      target: d.target,
      reason: d.reason,
      detail: JSON.stringify({ formula: d.formula, limit: d.limit, inputs: d.inputs }),
    };
    await this.db.insertInto('autoscale_decisions').values(row).execute();
    return toDecision(row);
  }

  /** Decisions at or after `since`, oldest first, at most `limit` (the newest ones). */
  async decisions(serviceId: string, opts: { since?: string; limit: number }): Promise<AutoscaleDecision[]> {
    let q = this.db.selectFrom('autoscale_decisions').selectAll().where('service_id', '=', serviceId);
    if (opts.since) q = q.where('at', '>=', opts.since);
    const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
    return rows.reverse().map(toDecision);
  }

  async lastDecision(serviceId: string): Promise<AutoscaleDecision | null> {
    const [d] = await this.decisions(serviceId, { limit: 1 });
    return d ?? null;
  }

  /** Drops decisions older than the retention, and beyond the newest N of the service. */
  async prune(serviceId: string, now = Date.now()): Promise<void> {
    const cutoff = new Date(now - decisionRetentionMs).toISOString();
    await this.db
      .deleteFrom('autoscale_decisions')
      .where('service_id', '=', serviceId)
      .where('at', '<', cutoff)
      .execute();
    const nth = await this.db
      .selectFrom('autoscale_decisions')
      .select('at')
      .where('service_id', '=', serviceId)
      .orderBy('at', 'desc')
      .offset(decisionRetentionRows)
      .limit(1)
      .executeTakeFirst();
    if (nth)
      await this.db
        .deleteFrom('autoscale_decisions')
        .where('service_id', '=', serviceId)
        .where('at', '<=', nth.at)
        .execute();
  }

  /** Decisions and settings of services that no longer exist. */
  async forget(serviceId: string): Promise<void> {
    await this.db.deleteFrom('autoscale_decisions').where('service_id', '=', serviceId).execute();
    await this.db.deleteFrom('service_autoscalers').where('service_id', '=', serviceId).execute();
  }
}
