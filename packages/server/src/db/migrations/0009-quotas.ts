import type { Kysely } from 'kysely';

/**
 * Project quotas: limits on the CPU, memory, replicas and volume size a project's services may
 * ask for, and the per-container defaults for containers whose spec sets no limit. A missing row
 * or a null column means unlimited (or no default). CPU is stored in millicores (integers only).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('project_quotas')
    .addColumn('project', 'text', (c) => c.primaryKey().references('projects.name').onDelete('cascade'))
    .addColumn('cpu_millis', 'integer')
    .addColumn('memory_mib', 'integer')
    .addColumn('replicas', 'integer')
    .addColumn('volumes_gib', 'integer')
    .addColumn('default_cpu_millis', 'integer')
    .addColumn('default_memory_mib', 'integer')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('project_quotas').execute();
}
