import type { Kysely } from 'kysely';

/** Codeflow: pipelines, their builds, and the webhook deliveries already seen (replay protection). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('pipelines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('repo_url', 'text', (c) => c.notNull())
    .addColumn('repo_ref', 'text', (c) => c.notNull())
    .addColumn('credentials_kind', 'text', (c) => c.notNull())
    .addColumn('credentials_sealed', 'text')
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('pre_script', 'text', (c) => c.notNull())
    .addColumn('build_script', 'text', (c) => c.notNull())
    .addColumn('artifact_path', 'text', (c) => c.notNull())
    .addColumn('start_command', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('dockerfile', 'text', (c) => c.notNull())
    .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
    .addColumn('webhook_secret_sealed', 'text')
    .addColumn('next_build', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('pipelines_project_name_uq', ['project', 'name'])
    .execute();
  await db.schema
    .createTable('builds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pipeline_id', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('trigger_kind', 'text', (c) => c.notNull())
    .addColumn('trigger_source', 'text')
    .addColumn('trigger_by', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('commit_json', 'text')
    .addColumn('steps_json', 'text', (c) => c.notNull())
    .addColumn('image', 'text')
    .addColumn('image_digest', 'text')
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addUniqueConstraint('builds_pipeline_number_uq', ['pipeline_id', 'number'])
    .execute();
  await db.schema.createIndex('builds_state_idx').on('builds').column('state').execute();
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('pipeline_id', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['pipeline_id', 'delivery_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('builds').execute();
  await db.schema.dropTable('pipelines').execute();
}
