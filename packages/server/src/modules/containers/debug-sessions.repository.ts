import type { Db } from '../../db/database';
import type { DebugSessionsTable } from '../../db/schema';

export type DebugSessionRow = DebugSessionsTable;

/** Store access for debug containers (migration 0026, docs/debug.md). */
export class DebugSessionsRepository {
  constructor(private readonly db: Db) {}

  async insert(row: DebugSessionRow): Promise<void> {
    await this.db.insertInto('debug_sessions').values(row).execute();
  }

  get(id: string): Promise<DebugSessionRow | undefined> {
    return this.db.selectFrom('debug_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A service's debug sessions, newest first; only open ones unless `all`. */
  list(
    serviceId: string,
    opts: { target?: string; all?: boolean; limit?: number } = {},
  ): Promise<DebugSessionRow[]> {
    let q = this.db.selectFrom('debug_sessions').selectAll().where('service_id', '=', serviceId);
    if (opts.target) q = q.where('target', '=', opts.target);
    if (!opts.all) q = q.where('ended_at', 'is', null);
    return q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(opts.limit ?? 100)
      .execute();
  }

  /** Every session not ended yet (the sweeper). */
  open(): Promise<DebugSessionRow[]> {
    return this.db.selectFrom('debug_sessions').selectAll().where('ended_at', 'is', null).execute();
  }

  async setEngineId(id: string, engineId: string): Promise<void> {
    await this.db.updateTable('debug_sessions').set({ engine_id: engineId }).where('id', '=', id).execute();
  }

  /** Claims the session's one shell; false when a shell was already opened or it ended. */
  async attach(id: string, at: string): Promise<boolean> {
    const res = await this.db
      .updateTable('debug_sessions')
      .set({ attached_at: at, seen_at: at })
      .where('id', '=', id)
      .where('attached_at', 'is', null)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** The holder's heartbeat for the shells it holds. */
  async seen(ids: string[], at: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('debug_sessions')
      .set({ seen_at: at })
      .where('id', 'in', ids)
      .where('ended_at', 'is', null)
      .execute();
  }

  async setShellSession(id: string, shellSession: string): Promise<void> {
    await this.db
      .updateTable('debug_sessions')
      .set({ shell_session: shellSession })
      .where('id', '=', id)
      .execute();
  }

  /** Marks the session ended (once: the first reason stays); true when this call ended it. */
  async end(id: string, at: string, reason: string): Promise<boolean> {
    const res = await this.db
      .updateTable('debug_sessions')
      .set({ ended_at: at, end_reason: reason })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}
