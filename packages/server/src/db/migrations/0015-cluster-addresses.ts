import type { Kysely } from 'kysely';

/**
 * Where a cluster's hosts publish container ports (`publish_address`, what the gateways and the
 * prober reach; 127.0.0.1 for clusters on Berth's own host) and how they reach the embedded
 * registry (`registry_address`; null: at the registry's own listen address).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('clusters')
    .addColumn('publish_address', 'text', (c) => c.notNull().defaultTo('127.0.0.1'))
    .execute();
  await db.schema.alterTable('clusters').addColumn('registry_address', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clusters').dropColumn('registry_address').execute();
  await db.schema.alterTable('clusters').dropColumn('publish_address').execute();
}
