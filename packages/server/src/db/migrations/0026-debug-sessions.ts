import type { Kysely } from 'kysely';

/*
 * Debug containers (docs/debug.md): a tool container that shares a target container's network
 * and PID namespaces, one shell into it, removed when that shell ends or when `expires_at`
 * passes. A row outlives its container (ended_at, end_reason) so the record of who debugged
 * what stays; the reconciler removes containers whose row ended, expired or is missing.
 * `seen_at`: the server process holding the shell says every 30 s that it still does, so a shell
 * lost with its process (a crash, a restart) ends its container soon, not at its TTL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('debug_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('engine_id', 'text')
    .addColumn('image', 'text', (c) => c.notNull())
    .addColumn('user', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('attached_at', 'text')
    .addColumn('seen_at', 'text')
    .addColumn('shell_session', 'text')
    .addColumn('ended_at', 'text')
    .addColumn('end_reason', 'text')
    .execute();
  await db.schema
    .createIndex('debug_sessions_service')
    .on('debug_sessions')
    .columns(['service_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('debug_sessions').execute();
}
