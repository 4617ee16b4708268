import type { Kysely } from 'kysely';

/*
 * App instance upgrades (docs/apps.md, "Upgrade"): `upgrade` holds the running or last upgrade
 * between template versions as JSON (from, to, state, the members' steps in the order they rolled),
 * so the leader resumes a running one after a restart; null when never upgraded.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('app_instances').addColumn('upgrade', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('app_instances').dropColumn('upgrade').execute();
}
