import { sql } from 'kysely';
import type { Db } from '../../db/database';
import type { ShellSessionsTable } from '../../db/schema';

/** A shell session row with the path of its service (null once the service is deleted). */
export interface ShellSessionRow extends ShellSessionsTable {
  project: string | null;
  env: string | null;
  service: string | null;
}

export interface ShellSessionFilter {
  /** Projects whose sessions may be listed; null = every session, orphans included. */
  projects: string[] | null;
  actor?: string;
  project?: string;
  service?: string;
  before?: string;
  limit: number;
}

/** Store access for shell sessions and their recordings. */
export class ShellSessionsRepository {
  constructor(private readonly db: Db) {}

  async insert(row: ShellSessionsTable): Promise<void> {
    await this.db.insertInto('shell_sessions').values(row).execute();
  }

  /** Appends recorded JSON lines; `||` concatenates text on SQLite and PostgreSQL alike. */
  async append(id: string, text: string): Promise<void> {
    if (!text) return;
    await this.db
      .updateTable('shell_sessions')
      .set({ recording: sql<string>`recording || ${text}` })
      .where('id', '=', id)
      .execute();
  }

  async finish(id: string, endedAt: string, exitCode: number | null): Promise<void> {
    await this.db
      .updateTable('shell_sessions')
      .set({ ended_at: endedAt, exit_code: exitCode })
      .where('id', '=', id)
      .execute();
  }

  private base() {
    return this.db
      .selectFrom('shell_sessions')
      .leftJoin('services', 'services.id', 'shell_sessions.service_id')
      .selectAll('shell_sessions')
      .select(['services.project as project', 'services.env as env', 'services.name as service']);
  }

  /** Newest first, without recordings; keyset pages on the time-ordered id. */
  list(f: ShellSessionFilter): Promise<Array<Omit<ShellSessionRow, 'recording'>>> {
    let q = this.db
      .selectFrom('shell_sessions')
      .leftJoin('services', 'services.id', 'shell_sessions.service_id')
      .select([
        'shell_sessions.id',
        'shell_sessions.actor',
        'shell_sessions.service_id',
        'shell_sessions.container',
        'shell_sessions.user',
        'shell_sessions.started_at',
        'shell_sessions.ended_at',
        'shell_sessions.exit_code',
        'services.project as project',
        'services.env as env',
        'services.name as service',
      ]);
    if (f.projects) q = q.where('services.project', 'in', f.projects.length ? f.projects : ['']);
    if (f.actor) q = q.where('shell_sessions.actor', '=', f.actor);
    if (f.project) q = q.where('services.project', '=', f.project);
    if (f.service) q = q.where('services.name', '=', f.service);
    if (f.before) q = q.where('shell_sessions.id', '<', f.before);
    return q
      .orderBy('shell_sessions.id', 'desc')
      .limit(f.limit + 1)
      .execute();
  }

  get(id: string): Promise<ShellSessionRow | undefined> {
    return this.base().where('shell_sessions.id', '=', id).executeTakeFirst();
  }
}
