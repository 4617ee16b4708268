import type { Kysely } from 'kysely';

/**
 * Config files (docs/configs.md): a project's named sets of text files, every change a numbered
 * version (its files as JSON), and what each service release mounts (`config_pins`: the version
 * each config mount of a release runs, written when the release is made).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('configs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull().references('projects.name').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('configs_project_name', ['project', 'name'])
    .execute();
  await db.schema
    .createTable('config_versions')
    .addColumn('config_id', 'text', (c) => c.notNull().references('configs.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('files', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('rolled_back_from', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('config_versions_pk', ['config_id', 'number'])
    .execute();
  await db.schema
    .createTable('config_pins')
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('release', 'integer', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('config_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('config_pins_pk', ['service_id', 'release', 'path'])
    .execute();
  await db.schema.createIndex('config_pins_config').on('config_pins').columns(['config_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('config_pins').execute();
  await db.schema.dropTable('config_versions').execute();
  await db.schema.dropTable('configs').execute();
}
