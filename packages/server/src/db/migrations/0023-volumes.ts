import type { Kysely } from 'kysely';

/*
 * Volumes (docs/volumes.md): the classes platform admins define (local, nfs, cephfs) and the
 * volumes of a project's environment. A local volume lives on one cluster (`cluster`); a shared
 * one has none and is created on each cluster a container mounting it runs on. `size_enforced`
 * records whether the engine accepted the size as a quota.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('volume_classes')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('server', 'text')
    .addColumn('path', 'text')
    .addColumn('mount_options', 'text', (c) => c.notNull())
    .addColumn('max_size_mib', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('volumes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull().references('projects.name').onDelete('cascade'))
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('class', 'text', (c) => c.notNull().references('volume_classes.name'))
    .addColumn('size_mib', 'integer', (c) => c.notNull())
    .addColumn('size_enforced', 'integer', (c) => c.notNull())
    .addColumn('size_note', 'text')
    .addColumn('cluster', 'text')
    .addColumn('engine_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('volumes_project_env_name', ['project', 'env', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('volumes').execute();
  await db.schema.dropTable('volume_classes').execute();
}
