import type { Kysely } from 'kysely';

/*
 * Autoscaling (docs/autoscaling.md). `service_autoscalers`: one row per autoscaled service, the
 * settings (`spec`, JSON) and whether the autoscaler holds for missing metrics (`held_since`,
 * `held_reason`: one event per outage). `autoscale_decisions`: every pass of the autoscaler with
 * its inputs, formula and result (JSON `detail`), kept for 24 hours and at most 2,000 rows per
 * service. The raw recommendations and the scalings in it are the HPA's recommendation history
 * and scale events, so a new leader continues the stabilisation window where the last one was.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('service_autoscalers')
    .addColumn('service_id', 'text', (c) => c.primaryKey())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('held_since', 'text')
    .addColumn('held_reason', 'text')
    .execute();
  await db.schema
    .createTable('autoscale_decisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('current_replicas', 'integer', (c) => c.notNull())
    .addColumn('raw_recommendation', 'integer')
    .addColumn('stabilized_recommendation', 'integer')
    .addColumn('desired_replicas', 'integer', (c) => c.notNull())
    .addColumn('metric_value', 'double precision')
    .addColumn('target', 'double precision', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('autoscale_decisions_service')
    .on('autoscale_decisions')
    .columns(['service_id', 'at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('autoscale_decisions').execute();
  await db.schema.dropTable('service_autoscalers').execute();
}
