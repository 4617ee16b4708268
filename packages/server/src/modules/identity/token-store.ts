import { ConflictError, NotFoundError, type ApiToken } from '@berth/shared';
import type { Db } from '../../db/database';
import { newId, nowIso } from '../../util';
import { toToken } from './identity.mappers';
import { randomSecret, sha256Hex } from './secret-generator';
import { isUniqueViolation } from './store-errors';

/** Every API token starts with this, so secret scanners and people can recognise one. */
export const tokenPrefix = 'berth_';
export const displayPrefixLength = tokenPrefix.length + 6;
/** last_used_at is written at most this often, so busy scripts do not turn reads into writes. */
const lastUsedResolutionMs = 60_000;

/** API tokens for the CLI and scripts: stored as sha256, shown once at creation. */
export class TokenStore {
  constructor(private readonly db: Db) {}

  async create(userName: string, name: string, expiresInDays: number | undefined): Promise<ApiToken> {
    const token = tokenPrefix + randomSecret();
    const createdAt = nowIso();
    const row = {
      id: newId(),
      user_name: userName,
      name,
      prefix: token.slice(0, displayPrefixLength),
      token_hash: sha256Hex(token),
      created_at: createdAt,
      expires_at: expiresInDays ? new Date(Date.now() + expiresInDays * 86_400_000).toISOString() : null,
      last_used_at: null,
    };
    try {
      await this.db.insertInto('api_tokens').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ConflictError(
          `You already have a token named '${name}'; pick another name or delete it first.`,
          { name },
          'ALREADY_EXISTS',
        );
      }
      throw err;
    }
    return { ...toToken(row), token };
  }

  async list(userName: string): Promise<ApiToken[]> {
    const rows = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('user_name', '=', userName)
      .orderBy('name')
      .execute();
    return rows.map(toToken);
  }

  /** Deletes one of the user's tokens; another user's token is reported as not found. */
  async revoke(userName: string, id: string): Promise<void> {
    const res = await this.db
      .deleteFrom('api_tokens')
      .where('id', '=', id)
      .where('user_name', '=', userName)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) {
      throw new NotFoundError('TOKEN_NOT_FOUND', `You have no API token with id '${id}'.`);
    }
  }

  /** The owner of a presented token, if the token is known and unexpired. */
  async resolve(token: string): Promise<string | null> {
    return (await this.lookup(token))?.userName ?? null;
  }

  /** The owner and expiry of a presented token, if it is known and unexpired; marks it used. */
  async lookup(token: string): Promise<{ userName: string; expiresAt: string | null } | null> {
    if (!token.startsWith(tokenPrefix) || token.length > 200) return null;
    const row = await this.db
      .selectFrom('api_tokens')
      .select(['id', 'user_name', 'expires_at', 'last_used_at'])
      .where('token_hash', '=', sha256Hex(token))
      .executeTakeFirst();
    if (!row) return null;
    const now = new Date();
    if (row.expires_at !== null && row.expires_at <= now.toISOString()) return null;
    if (row.last_used_at === null || now.getTime() - Date.parse(row.last_used_at) >= lastUsedResolutionMs) {
      await this.db
        .updateTable('api_tokens')
        .set({ last_used_at: now.toISOString() })
        .where('id', '=', row.id)
        .execute();
    }
    return { userName: row.user_name, expiresAt: row.expires_at };
  }
}
