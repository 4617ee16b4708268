import type { Selectable } from 'kysely';
import type { Db } from '../../db/database';
import type { CertificatesTable } from '../../db/schema';

export type CertificateRow = Selectable<CertificatesTable>;

/** The `certificates` table (migration 0008). */
export class CertificatesRepository {
  constructor(private readonly db: Db) {}

  list(project: string, after: string | undefined, limit: number): Promise<CertificateRow[]> {
    let q = this.db.selectFrom('certificates').selectAll().where('project', '=', project);
    if (after !== undefined) q = q.where('name', '>', after);
    return q
      .orderBy('name')
      .limit(limit + 1)
      .execute();
  }

  find(project: string, name: string): Promise<CertificateRow | undefined> {
    return this.db
      .selectFrom('certificates')
      .selectAll()
      .where('project', '=', project)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  /** The rows of several projects (callers filter by name). */
  ofProjects(projects: string[]): Promise<CertificateRow[]> {
    if (projects.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('certificates').selectAll().where('project', 'in', projects).execute();
  }

  async projectExists(project: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('projects')
      .select('name')
      .where('name', '=', project)
      .executeTakeFirst();
    return row !== undefined;
  }

  async insert(row: CertificateRow): Promise<void> {
    await this.db.insertInto('certificates').values(row).execute();
  }

  /** Replaces a row if its version is still `expected`; false when someone else changed it. */
  async replace(row: CertificateRow, expected: number): Promise<boolean> {
    const { id, ...rest } = row;
    const r = await this.db
      .updateTable('certificates')
      .set(rest)
      .where('id', '=', id)
      .where('version', '=', expected)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('certificates').where('id', '=', id).execute();
  }
}
