import type { Kysely } from 'kysely';

/**
 * Gateway administration (description, admin snippets, rollout mode) and gateway nodes: the
 * Nginx machines whose berth-gateway-agent pulls the gateway's configuration with a node token.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('gateway_settings')
    .addColumn('gateway_id', 'text', (c) => c.primaryKey().references('gateways.id').onDelete('cascade'))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('snippets', 'text', (c) => c.notNull().defaultTo('{"http":[],"server":[]}'))
    .addColumn('rollout_mode', 'text', (c) => c.notNull().defaultTo('auto'))
    .addColumn('released_version', 'integer')
    .execute();

  await db.schema
    .createTable('gateway_nodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('gateway_id', 'text', (c) => c.notNull().references('gateways.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('pinned_version', 'integer')
    .addColumn('applied_version', 'integer')
    .addColumn('applied_revision', 'integer')
    .addColumn('attempted_version', 'integer')
    .addColumn('lease_until', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('unknown'))
    .addColumn('last_error', 'text')
    .addColumn('last_seen_at', 'text')
    .addColumn('agent_version', 'text')
    .addColumn('address', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('gateway_nodes_name_uq', ['gateway_id', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('gateway_nodes').execute();
  await db.schema.dropTable('gateway_settings').execute();
}
