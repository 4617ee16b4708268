import type { Kysely } from 'kysely';
import type { Db } from '../../db/database';
import { nowIso } from '../../util';

/** A row of `pipelines` (migration 0004). */
export interface PipelineRow {
  id: string;
  project: string;
  name: string;
  env: string;
  service: string;
  repo_url: string;
  repo_ref: string;
  credentials_kind: 'none' | 'token' | 'deploy-key';
  /** Sealed JSON of the credentials (crypto/secret-box); never plaintext. */
  credentials_sealed: string | null;
  template: string;
  pre_script: string;
  build_script: string;
  artifact_path: string;
  start_command: string;
  port: number;
  dockerfile: string;
  timeout_seconds: number;
  webhook_secret_sealed: string | null;
  next_build: number;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  version: number;
}

/** A row of `builds`. */
export interface BuildRow {
  id: string;
  pipeline_id: string;
  project: string;
  number: number;
  state: string;
  trigger_kind: string;
  trigger_source: string | null;
  trigger_by: string;
  ref: string;
  commit_json: string | null;
  steps_json: string;
  image: string | null;
  image_digest: string | null;
  task_id: string;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

interface DeliveryRow {
  pipeline_id: string;
  delivery_id: string;
  received_at: string;
}

type CodeflowTables = {
  pipelines: PipelineRow;
  builds: BuildRow;
  webhook_deliveries: DeliveryRow;
};

/** Store access of codeflow; its tables are typed here, outside the core schema. */
export class CodeflowRepository {
  private readonly db: Kysely<CodeflowTables>;
  constructor(db: Db) {
    this.db = db.withTables<CodeflowTables>() as unknown as Kysely<CodeflowTables>;
  }

  listPipelines(project: string, after: string | undefined, limit: number): Promise<PipelineRow[]> {
    let q = this.db
      .selectFrom('pipelines')
      .selectAll()
      .where('project', '=', project)
      .orderBy('name')
      .limit(limit + 1);
    if (after !== undefined) q = q.where('name', '>', after);
    return q.execute();
  }

  async findPipeline(project: string, name: string): Promise<PipelineRow | null> {
    const row = await this.db
      .selectFrom('pipelines')
      .selectAll()
      .where('project', '=', project)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ?? null;
  }

  async pipelineById(id: string): Promise<PipelineRow | null> {
    const row = await this.db.selectFrom('pipelines').selectAll().where('id', '=', id).executeTakeFirst();
    return row ?? null;
  }

  async insertPipeline(row: PipelineRow): Promise<void> {
    await this.db.insertInto('pipelines').values(row).execute();
  }

  /** Writes when the stored version is `expected`; false when someone else changed it. */
  async updatePipeline(id: string, expected: number, set: Partial<PipelineRow>): Promise<boolean> {
    const res = await this.db
      .updateTable('pipelines')
      .set({ ...set, version: expected + 1 })
      .where('id', '=', id)
      .where('version', '=', expected)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async deletePipeline(id: string): Promise<void> {
    await this.db.deleteFrom('webhook_deliveries').where('pipeline_id', '=', id).execute();
    await this.db.deleteFrom('builds').where('pipeline_id', '=', id).execute();
    await this.db.deleteFrom('pipelines').where('id', '=', id).execute();
  }

  /** Takes the next build number atomically (a conditional increment, retried on a race). */
  async takeBuildNumber(id: string): Promise<number> {
    for (;;) {
      const row = await this.db
        .selectFrom('pipelines')
        .select('next_build')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const res = await this.db
        .updateTable('pipelines')
        .set({ next_build: row.next_build + 1 })
        .where('id', '=', id)
        .where('next_build', '=', row.next_build)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 1) return row.next_build;
    }
  }

  async insertBuild(row: BuildRow): Promise<void> {
    await this.db.insertInto('builds').values(row).execute();
  }

  async updateBuild(id: string, set: Partial<BuildRow>): Promise<void> {
    await this.db.updateTable('builds').set(set).where('id', '=', id).execute();
  }

  async build(project: string, id: string): Promise<BuildRow | null> {
    const row = await this.db
      .selectFrom('builds')
      .selectAll()
      .where('project', '=', project)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ?? null;
  }

  async buildById(id: string): Promise<BuildRow | null> {
    const row = await this.db.selectFrom('builds').selectAll().where('id', '=', id).executeTakeFirst();
    return row ?? null;
  }

  /** Newest first. */
  listBuilds(pipelineId: string, beforeNumber: number | undefined, limit: number): Promise<BuildRow[]> {
    let q = this.db
      .selectFrom('builds')
      .selectAll()
      .where('pipeline_id', '=', pipelineId)
      .orderBy('number', 'desc')
      .limit(limit + 1);
    if (beforeNumber !== undefined) q = q.where('number', '<', beforeNumber);
    return q.execute();
  }

  buildsInState(states: string[]): Promise<BuildRow[]> {
    return this.db.selectFrom('builds').selectAll().where('state', 'in', states).orderBy('id').execute();
  }

  /** Task ids of the pipeline's builds older than the newest `keep` finished ones. */
  async oldBuildTasks(pipelineId: string, keep: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('builds')
      .select('task_id')
      .where('pipeline_id', '=', pipelineId)
      .where('finished_at', 'is not', null)
      .orderBy('number', 'desc')
      .offset(keep)
      .limit(10_000)
      .execute();
    return rows.map((r) => r.task_id);
  }

  /** Records a webhook delivery; false when it was seen before (a replay). */
  async recordDelivery(pipelineId: string, deliveryId: string): Promise<boolean> {
    try {
      await this.db
        .insertInto('webhook_deliveries')
        .values({ pipeline_id: pipelineId, delivery_id: deliveryId, received_at: nowIso() })
        .execute();
      return true;
    } catch {
      const seen = await this.db
        .selectFrom('webhook_deliveries')
        .select('delivery_id')
        .where('pipeline_id', '=', pipelineId)
        .where('delivery_id', '=', deliveryId)
        .executeTakeFirst();
      if (seen) return false;
      throw new Error(`could not record webhook delivery ${deliveryId}`);
    }
  }
}
