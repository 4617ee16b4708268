import type { Kysely } from 'kysely';

/**
 * Moves in progress (the fleet view): one row per service whose replicas are not where the fleet
 * controller wants them — a cluster failed over, replicas moving after a placement change, a
 * drain or a restore, or replicas no cluster can take. Written by the controller when a service
 * starts moving or its counts change, deleted when it has settled.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('placement_moves')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('targets', 'text', (c) => c.notNull())
    .addColumn('current', 'text', (c) => c.notNull())
    .addColumn('failed_over', 'text', (c) => c.notNull())
    .addColumn('notes', 'text', (c) => c.notNull())
    .addColumn('unplaced', 'integer', (c) => c.notNull())
    .addColumn('since', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('placement_moves_pk', ['project', 'env', 'service'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('placement_moves').execute();
}
