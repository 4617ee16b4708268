import type { Kysely } from 'kysely';

/*
 * App store instances (docs/apps.md): one row per template installed into a project environment.
 * The services and volumes it made are ordinary rows of their modules; this row records which
 * they are (`services`, `volumes`, `configs`: JSON arrays of names), the parameters (JSON), and the
 * generated secrets sealed with the data dir's key (`secrets_sealed`: a sealed JSON object).
 * `deleting` = 1 while its services drain; `keep_volumes` says what the deletion does with them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('app_instances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('services', 'text', (c) => c.notNull())
    .addColumn('volumes', 'text', (c) => c.notNull())
    .addColumn('configs', 'text', (c) => c.notNull())
    .addColumn('secrets_sealed', 'text', (c) => c.notNull())
    .addColumn('password_set_at', 'text', (c) => c.notNull())
    .addColumn('deleting', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('keep_volumes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('app_instances_path')
    .on('app_instances')
    .columns(['project', 'env', 'name'])
    .unique()
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('app_instances').execute();
}
