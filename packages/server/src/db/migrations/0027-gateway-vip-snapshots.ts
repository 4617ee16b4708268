import type { Kysely } from 'kysely';

/*
 * The virtual IP settings each gateway configuration version was applied with (docs/gateway.md,
 * "Virtual IP"): a rollback to a version brings its VIP settings back, as it brings back its
 * routes and entry points. `settings` is the stored JSON (gateway_vips.settings), or null when the
 * gateway had no VIP then. A version without a row (older than this table) leaves the VIP as it is.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('gateway_vip_snapshots')
    .addColumn('gateway_id', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('settings', 'text')
    .addPrimaryKeyConstraint('gateway_vip_snapshots_pk', ['gateway_id', 'number'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('gateway_vip_snapshots').execute();
}
