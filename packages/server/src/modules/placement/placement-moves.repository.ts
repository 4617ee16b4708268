import type { Selectable } from 'kysely';
import type { Db } from '../../db/database';
import type { PlacementMovesTable } from '../../db/schema';

export type PlacementMoveRow = Selectable<PlacementMovesTable>;

/** The `placement_moves` table (migration 0016): services whose replicas are moving. */
export class PlacementMovesRepository {
  constructor(private readonly db: Db) {}

  /** Inserts or replaces a service's row; `since` stays the first time it started moving. */
  async save(row: PlacementMoveRow): Promise<void> {
    await this.db
      .insertInto('placement_moves')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['project', 'env', 'service']).doUpdateSet({
          targets: row.targets,
          current: row.current,
          failed_over: row.failed_over,
          notes: row.notes,
          unplaced: row.unplaced,
          updated_at: row.updated_at,
        }),
      )
      .execute();
  }

  async remove(project: string, env: string, service: string): Promise<void> {
    await this.db
      .deleteFrom('placement_moves')
      .where('project', '=', project)
      .where('env', '=', env)
      .where('service', '=', service)
      .execute();
  }

  /** Rows of the given projects (null: all), oldest move first. */
  list(projects: string[] | null): Promise<PlacementMoveRow[]> {
    let q = this.db.selectFrom('placement_moves').selectAll();
    if (projects !== null) {
      if (projects.length === 0) return Promise.resolve([]);
      q = q.where('project', 'in', projects);
    }
    return q.orderBy('since').orderBy('project').orderBy('env').orderBy('service').limit(1000).execute();
  }
}
