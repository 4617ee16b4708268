import type { z } from 'zod';
import {
  ConflictError,
  NotFoundError,
  type createUserRequestSchema,
  type Page,
  type updateUserRequestSchema,
  type User,
} from '@berth/shared';
import type { Db } from '../../db/database';
import type { UsersTable } from '../../db/schema';
import { decodeCursor, pageOf } from '../../http/pagination';
import { nowIso } from '../../util';
import { toUser } from './identity.mappers';
import { hashPassword } from './password-hasher';
import type { SessionStore } from './session-store';
import { isUniqueViolation } from './store-errors';

type CreateUser = z.output<typeof createUserRequestSchema>;
type UpdateUser = z.output<typeof updateUserRequestSchema>;

function userNotFound(name: string): NotFoundError {
  return new NotFoundError('USER_NOT_FOUND', `User '${name}' does not exist.`);
}

/** Users: creation, changes (with optimistic concurrency) and deletion, guarding the last admin. */
export class UsersService {
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionStore,
  ) {}

  async list(limit: number, cursor: string | undefined): Promise<Page<User>> {
    const after = decodeCursor(cursor);
    let q = this.db
      .selectFrom('users')
      .selectAll()
      .orderBy('name')
      .limit(limit + 1);
    if (after !== undefined) q = q.where('name', '>', after);
    const page = pageOf(await q.execute(), limit, (r) => r.name);
    return { items: page.items.map(toUser), nextCursor: page.nextCursor };
  }

  async get(name: string): Promise<User> {
    return toUser(await this.row(name));
  }

  async create(input: CreateUser, createdBy: string): Promise<User> {
    const at = nowIso();
    const row: UsersTable = {
      name: input.name,
      display_name: input.displayName ?? input.name,
      email: input.email ?? null,
      password_hash: await hashPassword(input.password),
      disabled: 0,
      created_at: at,
      updated_at: at,
      created_by: createdBy,
      version: 1,
    };
    try {
      await this.db.insertInto('users').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConflictError(
          `User '${input.name}' already exists.`,
          { name: input.name },
          'ALREADY_EXISTS',
        );
      }
      throw err;
    }
    return toUser(row);
  }

  /** Applies a merge patch; `expectedVersion` (from If-Match) must match when given. */
  async update(name: string, patch: UpdateUser, expectedVersion: number | null): Promise<User> {
    const current = await this.row(name);
    if (expectedVersion !== null && expectedVersion !== current.version)
      throw versionConflict(name, current.version);
    if (patch.disabled === true && current.disabled === 0) await this.assertNotLastAdmin(name, 'disable');
    const changes: Partial<UsersTable> = {
      updated_at: nowIso(),
      version: current.version + 1,
      ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
      ...(patch.email !== undefined ? { email: patch.email } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled ? 1 : 0 } : {}),
      ...(patch.password !== undefined ? { password_hash: await hashPassword(patch.password) } : {}),
    };
    // The version in the WHERE clause makes a concurrent change lose cleanly instead of silently.
    const res = await this.db
      .updateTable('users')
      .set(changes)
      .where('name', '=', name)
      .where('version', '=', current.version)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw versionConflict(name, (await this.row(name)).version);
    // A new password or a disabled account must end the sessions that were opened before.
    if (patch.password !== undefined || patch.disabled === true) await this.sessions.destroyAllOf(name);
    return toUser(await this.row(name));
  }

  /** Deletes a user; their sessions, tokens and bindings go with them (foreign keys cascade). */
  async delete(name: string): Promise<void> {
    await this.row(name);
    await this.assertNotLastAdmin(name, 'delete');
    await this.db.deleteFrom('role_bindings').where('user_name', '=', name).execute();
    await this.db.deleteFrom('users').where('name', '=', name).execute();
  }

  private async row(name: string): Promise<UsersTable> {
    const row = await this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw userNotFound(name);
    return row;
  }

  /** Refuses to lock everyone out: some active platform admin must remain. */
  private async assertNotLastAdmin(name: string, verb: string): Promise<void> {
    const admins = await this.db
      .selectFrom('role_bindings')
      .innerJoin('users', 'users.name', 'role_bindings.user_name')
      .select('users.name')
      .where('role_bindings.role', '=', 'platform-admin')
      .where('role_bindings.scope_kind', '=', 'platform')
      .where('users.disabled', '=', 0)
      .execute();
    const names = new Set(admins.map((a) => a.name));
    if (names.has(name) && names.size === 1) {
      throw new ConflictError(
        `Cannot ${verb} '${name}': it is the last active platform admin. Make another user platform admin first.`,
      );
    }
  }
}

function versionConflict(name: string, currentVersion: number): ConflictError {
  return new ConflictError(
    `User '${name}' was changed by someone else (now version ${currentVersion}); read it again and retry.`,
    { currentVersion },
    'VERSION_CONFLICT',
  );
}
