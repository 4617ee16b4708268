import type { Selectable } from 'kysely';
import { dnsLabelPattern } from '@berth/shared';
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

  /**
   * Rows of the given projects (null: all) that match the filter, oldest move first. A cluster
   * matches where it is a key of `targets` or `current` or an element of `failed_over`: in their
   * JSON text it stands quoted (`"c7"`), and a cluster name is a DNS label (no `%`, `_` or `"`),
   * so a LIKE on the quoted name is exact, on SQLite and PostgreSQL alike.
   */
  list(projects: string[] | null, filter: PlacementMoveFilter = {}): Promise<PlacementMoveRow[]> {
    let q = this.db.selectFrom('placement_moves').selectAll();
    if (projects !== null) {
      if (projects.length === 0) return Promise.resolve([]);
      q = q.where('project', 'in', projects);
    }
    if (filter.project !== undefined) q = q.where('project', '=', filter.project);
    if (filter.env !== undefined) q = q.where('env', '=', filter.env);
    const cluster = filter.cluster;
    if (cluster !== undefined) {
      if (!dnsLabelPattern.test(cluster)) return Promise.resolve([]);
      const quoted = `%"${cluster}"%`;
      q = q.where((eb) =>
        eb.or([
          eb('targets', 'like', quoted),
          eb('current', 'like', quoted),
          eb('failed_over', 'like', quoted),
        ]),
      );
    }
    return q.orderBy('since').orderBy('project').orderBy('env').orderBy('service').limit(1000).execute();
  }
}

/** What `list` narrows to; every field is optional (absent: no narrowing). */
export interface PlacementMoveFilter {
  project?: string | undefined;
  env?: string | undefined;
  cluster?: string | undefined;
}
