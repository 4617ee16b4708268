import type { Kysely } from 'kysely';

/**
 * The last check of a cluster's registry address (`registry_check`, JSON
 * `{ok, registry, message, checkedAt}`; null: never checked or the embedded registry is off):
 * whether the cluster's Podman reaches Berth's embedded registry under the cluster's name for it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clusters').addColumn('registry_check', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clusters').dropColumn('registry_check').execute();
}
