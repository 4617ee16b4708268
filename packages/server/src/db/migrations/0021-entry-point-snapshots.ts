import type { Kysely } from 'kysely';

/*
 * The TCP/UDP entry points each gateway configuration version was planned with (docs/gateway.md,
 * "TCP and UDP entry points"): a rollback to a version restores the env's entry points as they
 * were then, as `gateway_versions.routes_snapshot` restores its routes. JSON text: the entry
 * points as the planner takes them. A version without a row (older than this table) leaves the
 * entry points as they are.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('gateway_entry_point_snapshots')
    .addColumn('gateway_id', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('entry_points', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('gateway_entry_point_snapshots_pk', ['gateway_id', 'number'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('gateway_entry_point_snapshots').execute();
}
