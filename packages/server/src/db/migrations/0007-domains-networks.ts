import type { Kysely } from 'kysely';

/**
 * Tenancy: DNS zones owned by a team or project (route hosts must lie in one) and the networks
 * a team's or project's VM backends may use. Owners are names (teams and projects are keyed by
 * name); deleting a team or project leaves its rows, which then match nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('domain_zones')
    .addColumn('zone', 'text', (c) => c.primaryKey())
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('domain_zones_owner_idx')
    .on('domain_zones')
    .columns(['owner_kind', 'owner_name'])
    .execute();
  await db.schema
    .createTable('allowed_networks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('cidr', 'text', (c) => c.notNull())
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('allowed_networks_cidr_owner_uq', ['cidr', 'owner_kind', 'owner_name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('allowed_networks').execute();
  await db.schema.dropTable('domain_zones').execute();
}
