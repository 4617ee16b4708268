import type { Db } from '../../db/database';
import { nowIso } from '../../util';
import { randomSecret, sha256Hex } from './secret-generator';

/** A live session as the authenticator needs it. */
export interface SessionInfo {
  userName: string;
  csrfToken: string;
}

/**
 * Portal sessions. The cookie carries a random secret; the store keeps only its sha256, so a
 * copy of the database cannot be replayed as a cookie.
 */
export class SessionStore {
  constructor(
    private readonly db: Db,
    private readonly ttlSeconds: number,
  ) {}

  /** Starts a session; returns the secret for the cookie (shown only here) and the CSRF token. */
  async create(
    userName: string,
    sourceIp: string,
    /** An earlier end than the TTL (a session opened with an API token ends when the token does). */
    notAfter: string | null = null,
  ): Promise<{ secret: string; csrfToken: string; expiresAt: string }> {
    const secret = randomSecret();
    const csrfToken = randomSecret();
    const now = new Date();
    const ttlEnd = new Date(now.getTime() + this.ttlSeconds * 1000).toISOString();
    const expiresAt = notAfter !== null && notAfter < ttlEnd ? notAfter : ttlEnd;
    await this.db
      .insertInto('sessions')
      .values({
        id: sha256Hex(secret),
        user_name: userName,
        csrf_token: csrfToken,
        created_at: now.toISOString(),
        expires_at: expiresAt,
        source_ip: sourceIp,
      })
      .execute();
    return { secret, csrfToken, expiresAt };
  }

  /** The unexpired session of a cookie secret, or null. */
  async resolve(secret: string): Promise<SessionInfo | null> {
    const row = await this.db
      .selectFrom('sessions')
      .select(['user_name', 'csrf_token', 'expires_at'])
      .where('id', '=', sha256Hex(secret))
      .executeTakeFirst();
    if (!row) return null;
    if (row.expires_at <= nowIso()) return null;
    return { userName: row.user_name, csrfToken: row.csrf_token };
  }

  async destroy(secret: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', sha256Hex(secret)).execute();
  }

  /** Ends every session of a user (password change, disable). */
  async destroyAllOf(userName: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('user_name', '=', userName).execute();
  }

  /** Drops expired rows; called on login so the table does not grow without bound. */
  async purgeExpired(): Promise<void> {
    await this.db.deleteFrom('sessions').where('expires_at', '<=', nowIso()).execute();
  }
}
