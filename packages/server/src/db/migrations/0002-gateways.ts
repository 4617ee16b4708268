import type { Kysely } from 'kysely';

/** Gateways (Nginx clusters bound to an environment), routes and stored configuration versions. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('gateways')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('listen', 'text', (c) => c.notNull())
    .addColumn('tls_listen', 'text')
    .addColumn('domain_suffix', 'text', (c) => c.notNull())
    .addColumn('applied_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('gateway_routes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull().references('projects.name').onDelete('cascade'))
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('path_prefix', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('canary', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('gateway_routes_name_uq', ['project', 'env', 'name'])
    .addUniqueConstraint('gateway_routes_host_uq', ['env', 'host', 'path_prefix'])
    .execute();

  await db.schema
    .createTable('gateway_versions')
    .addColumn('gateway_id', 'text', (c) => c.notNull().references('gateways.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('main_text', 'text')
    .addColumn('upstreams_text', 'text')
    .addColumn('routes_snapshot', 'text')
    .addColumn('diff', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('gateway_versions_pk', ['gateway_id', 'number'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('gateway_versions').execute();
  await db.schema.dropTable('gateway_routes').execute();
  await db.schema.dropTable('gateways').execute();
}
