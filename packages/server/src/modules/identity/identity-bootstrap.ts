import type { Config } from '../../config/config';
import type { Db } from '../../db/database';
import { newId, nowIso } from '../../util';
import { hashPassword } from './password-hasher';
import { randomPassword } from './secret-generator';

/** Name of the first platform admin. */
export const adminUserName = 'admin';

/**
 * Seeds what a fresh store needs: the configured environments and the first platform admin.
 * Idempotent and safe when several servers start at once (inserts do nothing on conflict);
 * an existing admin is left alone, even if someone has since changed or demoted it.
 */
export async function bootstrapIdentity(
  db: Db,
  config: Readonly<Config>,
): Promise<{ generatedAdminPassword: string | null }> {
  const at = nowIso();
  for (const env of config.environments) {
    await db
      .insertInto('environments')
      .values({ name: env, display_name: env, created_at: at })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }
  const existing = await db
    .selectFrom('users')
    .select('name')
    .where('name', '=', adminUserName)
    .executeTakeFirst();
  if (existing) return { generatedAdminPassword: null };

  const password = config.adminPassword ?? randomPassword(20);
  const passwordHash = await hashPassword(password);
  const created = await db.transaction().execute(async (tx) => {
    const res = await tx
      .insertInto('users')
      .values({
        name: adminUserName,
        display_name: 'Administrator',
        email: null,
        password_hash: passwordHash,
        disabled: 0,
        created_at: at,
        updated_at: at,
        created_by: 'system',
        version: 1,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    // Another server won the race: its admin and binding stand.
    if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) return false;
    await tx
      .insertInto('role_bindings')
      .values({
        id: newId(),
        user_name: adminUserName,
        role: 'platform-admin',
        scope_kind: 'platform',
        scope_name: '',
        created_at: at,
        created_by: 'system',
      })
      .execute();
    return true;
  });
  return { generatedAdminPassword: created && config.adminPassword === null ? password : null };
}
