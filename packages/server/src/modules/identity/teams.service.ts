import { ConflictError, NotFoundError, type Page, type Team } from '@berth/shared';
import type { Db } from '../../db/database';
import type { TeamsTable } from '../../db/schema';
import { decodeCursor, pageOf } from '../../http/pagination';
import { nowIso } from '../../util';
import { toTeam } from './identity.mappers';
import { isForeignKeyViolation, isUniqueViolation } from './store-errors';

export function teamNotFound(name: string): NotFoundError {
  return new NotFoundError('TEAM_NOT_FOUND', `Team '${name}' does not exist or you have no access to it.`);
}

/** Teams (business lines). Visibility is decided by the caller and passed in as a name list. */
export class TeamsService {
  constructor(private readonly db: Db) {}

  /** Lists teams by name; `visible` null means every team. */
  async list(visible: string[] | null, limit: number, cursor: string | undefined): Promise<Page<Team>> {
    if (visible !== null && visible.length === 0) return { items: [], nextCursor: null };
    const after = decodeCursor(cursor);
    let q = this.db
      .selectFrom('teams')
      .selectAll()
      .orderBy('name')
      .limit(limit + 1);
    if (visible !== null) q = q.where('name', 'in', visible);
    if (after !== undefined) q = q.where('name', '>', after);
    const page = pageOf(await q.execute(), limit, (r) => r.name);
    return { items: page.items.map(toTeam), nextCursor: page.nextCursor };
  }

  async find(name: string): Promise<Team | null> {
    const row = await this.db.selectFrom('teams').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toTeam(row) : null;
  }

  async create(input: { name: string; displayName?: string | undefined }, createdBy: string): Promise<Team> {
    const at = nowIso();
    const row: TeamsTable = {
      name: input.name,
      display_name: input.displayName ?? input.name,
      created_at: at,
      updated_at: at,
      created_by: createdBy,
      version: 1,
    };
    try {
      await this.db.insertInto('teams').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConflictError(
          `Team '${input.name}' already exists.`,
          { name: input.name },
          'ALREADY_EXISTS',
        );
      }
      throw err;
    }
    return toTeam(row);
  }

  /** Deletes an empty team and the role bindings on it, so a later team of that name starts clean. */
  async delete(name: string): Promise<void> {
    if (!(await this.find(name))) throw teamNotFound(name);
    const projects = await this.db
      .selectFrom('projects')
      .select('name')
      .where('team', '=', name)
      .orderBy('name')
      .execute();
    if (projects.length > 0) {
      throw new ConflictError(
        `Team '${name}' still owns ${projects.length} project(s) (${projects.map((p) => p.name).join(', ')}); delete or move them first.`,
        { projects: projects.map((p) => p.name) },
      );
    }
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx
          .deleteFrom('role_bindings')
          .where('scope_kind', '=', 'team')
          .where('scope_name', '=', name)
          .execute();
        await tx.deleteFrom('teams').where('name', '=', name).execute();
      });
    } catch (err) {
      // A project created between the check and the delete: the foreign key refuses, say so plainly.
      if (isForeignKeyViolation(err))
        throw new ConflictError(`Team '${name}' still owns projects; delete them first.`);
      throw err;
    }
  }
}
