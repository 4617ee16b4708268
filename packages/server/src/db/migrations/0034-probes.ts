import type { Kysely } from 'kysely';

/*
 * Site monitoring (docs/probes.md): one row per probe of a project environment. `target` is the
 * URL (http) or HOST:PORT (tcp); `alert_rule` names the alert rule made with the probe (deleted
 * with it), or null.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('probes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('expect_status', 'text')
    .addColumn('body_must_match', 'text')
    .addColumn('body_must_not_match', 'text')
    .addColumn('latency_threshold_ms', 'integer')
    .addColumn('interval_seconds', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('alert_rule', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('probes_path')
    .on('probes')
    .columns(['project', 'env', 'name'])
    .unique()
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('probes').execute();
}
