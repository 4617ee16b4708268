import type { Kysely } from 'kysely';

/*
 * TCP and UDP entry points (docs/gateway.md): `entry_ports` are the ports of an environment a
 * platform admin assigned to a project (one owner per env, protocol and port); `entry_points` map
 * an assigned port to a port of one of the project's services, with the stream proxy's health
 * settings and a version for optimistic concurrency.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('entry_ports')
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('entry_ports_pk', ['env', 'protocol', 'port'])
    .execute();
  await db.schema.createIndex('entry_ports_project').on('entry_ports').columns(['project', 'env']).execute();
  await db.schema
    .createTable('entry_points')
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('service_name', 'text', (c) => c.notNull())
    .addColumn('service_port', 'integer', (c) => c.notNull())
    .addColumn('max_fails', 'integer', (c) => c.notNull())
    .addColumn('fail_timeout_seconds', 'integer', (c) => c.notNull())
    .addColumn('connect_timeout_seconds', 'integer')
    .addColumn('timeout_seconds', 'integer')
    .addColumn('udp_responses', 'integer')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('entry_points_pk', ['env', 'protocol', 'port'])
    .addForeignKeyConstraint('entry_points_port_fk', ['env', 'protocol', 'port'], 'entry_ports', [
      'env',
      'protocol',
      'port',
    ])
    .execute();
  await db.schema
    .createIndex('entry_points_project')
    .on('entry_points')
    .columns(['project', 'env'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('entry_points').execute();
  await db.schema.dropTable('entry_ports').execute();
}
