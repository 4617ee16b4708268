import type { Kysely } from 'kysely';

/**
 * The fleet controller: when a cluster's health state last changed (`state_since`), so failover
 * can wait out the environment's grace period and a recovered cluster gets replicas back only
 * after it stayed ready for the stability window. Null (rows from before): since `updated_at`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clusters').addColumn('state_since', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clusters').dropColumn('state_since').execute();
}
