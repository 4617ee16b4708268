import { sql, type RawBuilder } from 'kysely';
import type { ContainerSearchHit, SearchMatch, ServiceSearchHit } from '@berth/shared';
import type { Db, Dialect } from '../../db/database';
import { activeStates } from '../services/services.repository';

/** The highest code point: every string that starts with p sorts below p + this. */
const maxChar = '\u{10FFFF}';

type ContainerColumn = 'name' | 'engine_id' | 'ip' | 'image';

/**
 * Prefix queries over services and live containers, each an index range scan (migration 0006):
 * `col >= p AND col < p + U+10FFFF`, compared bytewise (COLLATE "C" on PostgreSQL), so `%`, `_`
 * and case mean nothing special. `projects` limits the hits (null: every project).
 */
export class SearchRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  private col(ref: string): RawBuilder<string> {
    return this.dialect === 'postgres'
      ? sql<string>`${sql.ref(ref)} collate "C"`
      : sql<string>`${sql.ref(ref)}`;
  }

  async servicesByName(
    prefix: string,
    projects: string[] | null,
    limit: number,
  ): Promise<ServiceSearchHit[]> {
    const name = this.col('services.name');
    let q = this.db
      .selectFrom('services')
      .select(['project', 'env', 'name', 'display_name', 'status'])
      .where(name, '>=', prefix)
      .where(name, '<', prefix + maxChar)
      .where('deleting', '=', 0)
      .orderBy(name)
      .limit(limit);
    if (projects) q = q.where('project', 'in', projects);
    const rows = await q.execute();
    return rows.map((r) => ({
      kind: 'service',
      project: r.project,
      env: r.env,
      service: r.name,
      displayName: r.display_name,
      status: r.status,
      match: 'name',
      value: r.name,
    }));
  }

  /** Live containers whose column starts with the prefix, with their service's path. */
  async containersBy(
    column: ContainerColumn,
    prefix: string,
    projects: string[] | null,
    limit: number,
  ): Promise<Array<ContainerSearchHit & { displayName: string; status: string }>> {
    const value = this.col(`containers.${column}`);
    let q = this.db
      .selectFrom('containers')
      .innerJoin('services', 'services.id', 'containers.service_id')
      .select([
        'containers.name as container',
        'containers.state',
        'containers.ip',
        'containers.engine_id',
        'containers.image',
        'services.project',
        'services.env',
        'services.name as service',
        'services.display_name',
        'services.status',
      ])
      .where(value, '>=', prefix)
      .where(value, '<', prefix + maxChar)
      .where('containers.state', 'in', [...activeStates])
      .where('services.deleting', '=', 0)
      .orderBy(value)
      .limit(limit);
    if (projects) q = q.where('services.project', 'in', projects);
    const rows = await q.execute();
    const match: SearchMatch = column === 'engine_id' ? 'id' : column === 'name' ? 'name' : column;
    return rows.map((r) => ({
      kind: 'container',
      project: r.project,
      env: r.env,
      service: r.service,
      container: r.container,
      state: r.state,
      ip: r.ip,
      match,
      value: (column === 'name' ? r.container : column === 'engine_id' ? r.engine_id : r[column]) ?? '',
      displayName: r.display_name,
      status: r.status,
    }));
  }
}
