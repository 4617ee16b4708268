import type { Selectable } from 'kysely';
import type { Db } from '../../db/database';
import type { AppInstancesTable } from '../../db/schema';
import { nowIso } from '../../util';

export type AppInstanceRow = Selectable<AppInstancesTable>;

/** The app_instances table (migration 0035): the only module that reads or writes it. */
export class AppsRepository {
  constructor(private readonly db: Db) {}

  find(project: string, env: string, name: string): Promise<AppInstanceRow | undefined> {
    return this.db
      .selectFrom('app_instances')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  findById(id: string): Promise<AppInstanceRow | undefined> {
    return this.db.selectFrom('app_instances').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(project: string, env: string): Promise<AppInstanceRow[]> {
    return this.db
      .selectFrom('app_instances')
      .selectAll()
      .where('project', '=', project)
      .where('env', '=', env)
      .orderBy('name')
      .execute();
  }

  /** Instances whose deletion has not finished (resumed after a restart). */
  deleting(): Promise<AppInstanceRow[]> {
    return this.db.selectFrom('app_instances').selectAll().where('deleting', '=', 1).execute();
  }

  async insert(row: AppInstanceRow): Promise<void> {
    await this.db.insertInto('app_instances').values(row).execute();
  }

  async setSecrets(id: string, sealed: string, at: string): Promise<void> {
    await this.db
      .updateTable('app_instances')
      .set({ secrets_sealed: sealed, password_set_at: at, updated_at: at })
      .where('id', '=', id)
      .execute();
  }

  /** The names of the configs an instance owns (JSON array). */
  async setConfigs(id: string, configs: string): Promise<void> {
    await this.db
      .updateTable('app_instances')
      .set({ configs, updated_at: nowIso() })
      .where('id', '=', id)
      .execute();
  }

  async markDeleting(id: string, keepVolumes: boolean): Promise<void> {
    await this.db
      .updateTable('app_instances')
      .set({ deleting: 1, keep_volumes: keepVolumes ? 1 : 0, updated_at: nowIso() })
      .where('id', '=', id)
      .execute();
  }

  /** Instances with an upgrade in progress (resumed by the leader after a restart). */
  upgrading(): Promise<AppInstanceRow[]> {
    return this.db
      .selectFrom('app_instances')
      .selectAll()
      .where('upgrade', 'like', '%"state":"running"%')
      .execute();
  }

  /**
   * Writes the upgrade record (and the instance's version when given). With `expected`, only if
   * the record is still that one: two upgrades started at once, one wins. True when written.
   */
  async setUpgrade(id: string, upgrade: string, opts: { expected?: string | null; version?: string } = {}) {
    let q = this.db
      .updateTable('app_instances')
      .set({ upgrade, updated_at: nowIso(), ...(opts.version ? { version: opts.version } : {}) })
      .where('id', '=', id);
    if (opts.expected !== undefined)
      q = opts.expected === null ? q.where('upgrade', 'is', null) : q.where('upgrade', '=', opts.expected);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('app_instances').where('id', '=', id).execute();
  }
}
