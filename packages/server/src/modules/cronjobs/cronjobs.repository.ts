import type { Selectable } from 'kysely';
import type { Db } from '../../db/database';
import type {
  CronJobAttemptsTable,
  CronJobEventsTable,
  CronJobRunsTable,
  CronJobsTable,
} from '../../db/schema';
import { newId, nowIso } from '../../util';

export type CronJobRow = Selectable<CronJobsTable>;
export type CronRunRow = CronJobRunsTable;
export type CronAttemptRow = CronJobAttemptsTable;
export type CronEventRow = CronJobEventsTable;

/** Run states that still have work to do. */
export const activeRunStates = ['pending', 'running', 'backoff'];

/** The store of cron jobs, their runs, attempts and events (migration 0024). */
export class CronJobsRepository {
  constructor(private readonly db: Db) {}

  findByPath(project: string, env: string, name: string): Promise<CronJobRow | undefined> {
    return this.db
      .selectFrom('cronjobs')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  findById(id: string): Promise<CronJobRow | undefined> {
    return this.db.selectFrom('cronjobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(project: string, env: string): Promise<CronJobRow[]> {
    return this.db
      .selectFrom('cronjobs')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .where('deleting', '=', 0)
      .orderBy('name')
      .execute();
  }

  all(): Promise<CronJobRow[]> {
    return this.db.selectFrom('cronjobs').selectAll().execute();
  }

  async insert(row: CronJobRow): Promise<void> {
    await this.db.insertInto('cronjobs').values(row).execute();
  }

  /** Writes when the version still matches; false when someone else changed it. */
  async update(id: string, version: number, set: Partial<CronJobRow>): Promise<boolean> {
    const res = await this.db
      .updateTable('cronjobs')
      .set({ ...set, version: version + 1, updated_at: nowIso() })
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async markDeleting(id: string, actor: string): Promise<void> {
    await this.db
      .updateTable('cronjobs')
      .set({ deleting: 1, updated_by: actor, updated_at: nowIso() })
      .where('id', '=', id)
      .execute();
  }

  async setRecordedUpTo(id: string, at: string): Promise<void> {
    await this.db.updateTable('cronjobs').set({ last_scheduled_at: at }).where('id', '=', id).execute();
  }

  async deleteJob(id: string): Promise<void> {
    const runs = await this.db.selectFrom('cronjob_runs').select('id').where('cronjob_id', '=', id).execute();
    await this.deleteRuns(runs.map((r) => r.id));
    await this.db.deleteFrom('cronjob_events').where('cronjob_id', '=', id).execute();
    await this.db.deleteFrom('cronjobs').where('id', '=', id).execute();
  }

  /**
   * Records a scheduled time: the run row (unique per job and time) and the job's recorded-up-to
   * time, in one transaction. False when the time was recorded already (nothing is written).
   */
  async recordScheduled(job: CronJobRow, run: CronRunRow, upTo: string): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx.insertInto('cronjob_runs').values(run).execute();
        await tx.updateTable('cronjobs').set({ last_scheduled_at: upTo }).where('id', '=', job.id).execute();
      });
      return true;
    } catch (err) {
      const exists = await this.db
        .selectFrom('cronjob_runs')
        .select('id')
        .where('cronjob_id', '=', job.id)
        .where('scheduled_at', '=', run.scheduled_at)
        .executeTakeFirst();
      if (exists) {
        await this.setRecordedUpTo(job.id, upTo);
        return false;
      }
      throw err;
    }
  }

  async insertRun(run: CronRunRow): Promise<void> {
    await this.db.insertInto('cronjob_runs').values(run).execute();
  }

  getRun(jobId: string, runId: string): Promise<CronRunRow | undefined> {
    return this.db
      .selectFrom('cronjob_runs')
      .selectAll()
      .where('cronjob_id', '=', jobId)
      .where('id', '=', runId)
      .executeTakeFirst();
  }

  runs(jobId: string, limit = 200): Promise<CronRunRow[]> {
    return this.db
      .selectFrom('cronjob_runs')
      .selectAll()
      .where('cronjob_id', '=', jobId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  activeRuns(jobId: string): Promise<CronRunRow[]> {
    return this.db
      .selectFrom('cronjob_runs')
      .selectAll()
      .where('cronjob_id', '=', jobId)
      .where('state', 'in', activeRunStates)
      .orderBy('id')
      .execute();
  }

  async updateRun(id: string, set: Partial<CronRunRow>): Promise<void> {
    await this.db.updateTable('cronjob_runs').set(set).where('id', '=', id).execute();
  }

  attempts(runIds: string[]): Promise<CronAttemptRow[]> {
    if (runIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('cronjob_attempts')
      .selectAll()
      .where('run_id', 'in', runIds)
      .orderBy('number')
      .execute();
  }

  /** The containers of attempts not yet ended (every job): what the sweep must leave alone. */
  async liveContainers(): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('cronjob_attempts')
      .select('container')
      .where('state', '!=', 'exited')
      .execute();
    return new Set(rows.map((r) => r.container));
  }

  async insertAttempt(a: CronAttemptRow): Promise<void> {
    await this.db.insertInto('cronjob_attempts').values(a).execute();
  }

  async updateAttempt(runId: string, number: number, set: Partial<CronAttemptRow>): Promise<void> {
    await this.db
      .updateTable('cronjob_attempts')
      .set(set)
      .where('run_id', '=', runId)
      .where('number', '=', number)
      .execute();
  }

  async deleteRuns(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.deleteFrom('cronjob_attempts').where('run_id', 'in', ids).execute();
    await this.db.deleteFrom('cronjob_runs').where('id', 'in', ids).execute();
  }

  async addEvent(
    jobId: string,
    runId: string | null,
    type: string,
    message: string,
    severity: 'info' | 'warning' = 'info',
  ): Promise<void> {
    await this.db
      .insertInto('cronjob_events')
      .values({ id: newId(), cronjob_id: jobId, run_id: runId, type, message, severity, at: nowIso() })
      .execute();
  }

  events(jobId: string, runId?: string, limit = 200): Promise<CronEventRow[]> {
    let q = this.db.selectFrom('cronjob_events').selectAll().where('cronjob_id', '=', jobId);
    if (runId) q = q.where('run_id', '=', runId);
    return q.orderBy('id', 'desc').limit(limit).execute();
  }

  /** Keeps the newest `keep` events of a job. */
  async pruneEvents(jobId: string, keep = 500): Promise<void> {
    const cut = await this.db
      .selectFrom('cronjob_events')
      .select('id')
      .where('cronjob_id', '=', jobId)
      .orderBy('id', 'desc')
      .offset(keep)
      .limit(1)
      .executeTakeFirst();
    if (cut)
      await this.db
        .deleteFrom('cronjob_events')
        .where('cronjob_id', '=', jobId)
        .where('id', '<=', cut.id)
        .execute();
  }
}
