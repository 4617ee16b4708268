import type { Kysely } from 'kysely';

/**
 * Alert rules (docs/alert-rules.md): the rules of each project environment, and every change of
 * an environment's rule file as a numbered version (who, when, why, the rendered file, its diff,
 * and the rules as JSON: what a rollback restores).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull().references('projects.name').onDelete('cascade'))
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('threshold', 'double precision')
    .addColumn('for_duration', 'text', (c) => c.notNull())
    .addColumn('window_duration', 'text')
    .addColumn('quantile', 'double precision')
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('channels', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('description', 'text')
    .addColumn('promql', 'text')
    .addColumn('ended_reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addUniqueConstraint('alert_rules_project_env_name', ['project', 'env', 'name'])
    .execute();
  await db.schema
    .createTable('alert_rule_versions')
    .addColumn('project', 'text', (c) => c.notNull().references('projects.name').onDelete('cascade'))
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('rolled_back_from', 'integer')
    .addColumn('rules_snapshot', 'text', (c) => c.notNull())
    .addColumn('file_text', 'text', (c) => c.notNull())
    .addColumn('diff', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_rule_versions_pk', ['project', 'env', 'number'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('alert_rule_versions').execute();
  await db.schema.dropTable('alert_rules').execute();
}
