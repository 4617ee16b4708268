import type { Kysely } from 'kysely';

/**
 * Core Events of a Kubernetes cluster in a service's events (issue 14, docs/kubernetes-engine.md):
 * `source` says where an event comes from (null: Berth itself; `kubernetes`: the cluster), `object`
 * the cluster object it is about (`Pod/web-7d9c-abcde`), `count` how many times it happened, and
 * `source_key` the cluster's own key for it (`<cluster>/<namespace>/<event name>`), so an event
 * listed again (a reconnect, a restart of Berth) is not written twice and a repeat replaces it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').addColumn('source', 'text').execute();
  await db.schema.alterTable('events').addColumn('object', 'text').execute();
  await db.schema.alterTable('events').addColumn('count', 'integer').execute();
  await db.schema.alterTable('events').addColumn('source_key', 'text').execute();
  await db.schema
    .createIndex('events_source_key_idx')
    .on('events')
    .columns(['service_id', 'source_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('events_source_key_idx').execute();
  await db.schema.alterTable('events').dropColumn('source_key').execute();
  await db.schema.alterTable('events').dropColumn('count').execute();
  await db.schema.alterTable('events').dropColumn('object').execute();
  await db.schema.alterTable('events').dropColumn('source').execute();
}
