import { sql, type Kysely } from 'kysely';

/**
 * Clusters (issue 11): the registry of places Berth runs containers, their last health check and
 * capacity, cordon/drain flags, and the state changes the health checker saw (`cluster_events`).
 * Credentials are sealed (SecretBox). Environments name their clusters (JSON array of names) and
 * their failover grace; every existing environment names the built-in cluster `local`, whose row
 * the clusters module creates on start (it needs the configured Podman socket).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('clusters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('credentials_sealed', 'text')
    .addColumn('labels', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('built_in', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cordoned', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('draining', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('unknown'))
    .addColumn('message', 'text')
    .addColumn('latency_ms', 'integer')
    .addColumn('capacity', 'text')
    .addColumn('last_checked_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .createTable('cluster_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('cluster_events_cluster_id')
    .on('cluster_events')
    .columns(['cluster', 'id'])
    .execute();
  await db.schema
    .alterTable('environments')
    .addColumn('clusters', 'text', (c) => c.notNull().defaultTo('["local"]'))
    .execute();
  await db.schema
    .alterTable('environments')
    .addColumn('failover_grace_seconds', 'integer', (c) => c.notNull().defaultTo(60))
    .execute();
  await sql`UPDATE environments SET clusters = '["local"]'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('environments').dropColumn('failover_grace_seconds').execute();
  await db.schema.alterTable('environments').dropColumn('clusters').execute();
  await db.schema.dropTable('cluster_events').execute();
  await db.schema.dropTable('clusters').execute();
}
