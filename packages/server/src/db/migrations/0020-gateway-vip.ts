import type { Kysely } from 'kysely';

/*
 * The virtual IP of a gateway (docs/gateway.md, "Virtual IP"): its keepalived settings (JSON of
 * the shared part and each node's interface and priority, the auth password included: the
 * agents need it in their keepalived.conf) and the VRRP state each node's agent last reported.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('gateway_vips')
    .addColumn('gateway_id', 'text', (c) => c.primaryKey().references('gateways.id').onDelete('cascade'))
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('gateway_vrrp_states')
    .addColumn('node_id', 'text', (c) => c.primaryKey().references('gateway_nodes.id').onDelete('cascade'))
    .addColumn('gateway_id', 'text', (c) => c.notNull())
    .addColumn('instance', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('reported_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('gateway_vrrp_states').execute();
  await db.schema.dropTable('gateway_vips').execute();
}
