import type { Kysely } from 'kysely';

/*
 * Cron jobs (docs/cronjobs.md): the jobs of an environment, their runs (one row per scheduled
 * time: the unique (cronjob_id, scheduled_at) is what keeps a time from being started twice),
 * each run's attempts (a container each) and the job's events.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cronjobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('last_scheduled_at', 'text')
    .addColumn('deleting', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('cronjobs_path')
    .on('cronjobs')
    .columns(['project', 'env', 'name'])
    .unique()
    .execute();
  await db.schema
    .createTable('cronjob_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('cronjob_id', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('scheduled_at', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('next_attempt_at', 'text')
    .execute();
  await db.schema
    .createIndex('cronjob_runs_scheduled')
    .on('cronjob_runs')
    .columns(['cronjob_id', 'scheduled_at'])
    .unique()
    .execute();
  await db.schema
    .createTable('cronjob_attempts')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('container', 'text', (c) => c.notNull())
    .addColumn('engine_id', 'text')
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('exit_reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('log_bytes', 'integer')
    .addPrimaryKeyConstraint('cronjob_attempts_pk', ['run_id', 'number'])
    .execute();
  await db.schema
    .createTable('cronjob_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('cronjob_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('cronjob_events_job')
    .on('cronjob_events')
    .columns(['cronjob_id', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['cronjob_events', 'cronjob_attempts', 'cronjob_runs', 'cronjobs'])
    await db.schema.dropTable(t).execute();
}
