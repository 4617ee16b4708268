import { ConflictError, NotFoundError, type Page, type Project } from '@berth/shared';
import type { Db } from '../../db/database';
import type { ProjectsTable } from '../../db/schema';
import { decodeCursor, pageOf } from '../../http/pagination';
import { nowIso } from '../../util';
import { toProject } from './identity.mappers';
import { isForeignKeyViolation, isUniqueViolation } from './store-errors';

export function projectNotFound(name: string): NotFoundError {
  return new NotFoundError(
    'PROJECT_NOT_FOUND',
    `Project '${name}' does not exist or you have no access to it.`,
  );
}

/** Projects: the unit of access control. Callers pass the visibility they computed. */
export class ProjectsService {
  constructor(private readonly db: Db) {}

  /** Lists projects by name; `visible` null means every project. */
  async list(
    visible: string[] | null,
    filter: { team?: string | undefined },
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<Project>> {
    if (visible !== null && visible.length === 0) return { items: [], nextCursor: null };
    const after = decodeCursor(cursor);
    let q = this.db
      .selectFrom('projects')
      .selectAll()
      .orderBy('name')
      .limit(limit + 1);
    if (visible !== null) q = q.where('name', 'in', visible);
    if (filter.team !== undefined) q = q.where('team', '=', filter.team);
    if (after !== undefined) q = q.where('name', '>', after);
    const page = pageOf(await q.execute(), limit, (r) => r.name);
    return { items: page.items.map(toProject), nextCursor: page.nextCursor };
  }

  async get(name: string): Promise<Project> {
    const row = await this.db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw projectNotFound(name);
    return toProject(row);
  }

  /** Creates a project in an existing team (the caller has checked the team and the permission). */
  async create(
    input: { name: string; team: string; displayName?: string | undefined },
    createdBy: string,
  ): Promise<Project> {
    const at = nowIso();
    const row: ProjectsTable = {
      name: input.name,
      team: input.team,
      display_name: input.displayName ?? input.name,
      created_at: at,
      updated_at: at,
      created_by: createdBy,
      version: 1,
    };
    try {
      await this.db.insertInto('projects').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConflictError(
          `Project '${input.name}' already exists.`,
          { name: input.name },
          'ALREADY_EXISTS',
        );
      }
      throw err;
    }
    return toProject(row);
  }

  /** Deletes a project without services, and the role bindings on it. */
  async delete(name: string): Promise<void> {
    await this.get(name);
    const services = await this.db
      .selectFrom('services')
      .select(['name', 'env'])
      .where('project', '=', name)
      .orderBy('env')
      .orderBy('name')
      .execute();
    if (services.length > 0) {
      const listed = services.slice(0, 10).map((s) => `${s.env}/${s.name}`);
      throw new ConflictError(
        `Project '${name}' still has ${services.length} service(s) (${listed.join(', ')}${services.length > 10 ? ', …' : ''}); delete them first.`,
        { services: services.length },
      );
    }
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx
          .deleteFrom('role_bindings')
          .where('scope_kind', '=', 'project')
          .where('scope_name', '=', name)
          .execute();
        await tx.deleteFrom('projects').where('name', '=', name).execute();
      });
    } catch (err) {
      // A service created between the check and the delete: the foreign key refuses, say so plainly.
      if (isForeignKeyViolation(err))
        throw new ConflictError(`Project '${name}' still has services; delete them first.`);
      throw err;
    }
  }
}
