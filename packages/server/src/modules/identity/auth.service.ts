import { BerthError, type Me } from '@berth/shared';
import type { Db } from '../../db/database';
import type { Actor } from '../../http/context';
import { toBinding, toUser } from './identity.mappers';
import type { LoginLimiter } from './login-limiter';
import { burnPasswordCheck, verifyPassword } from './password-hasher';
import type { SessionStore } from './session-store';
import type { TokenStore } from './token-store';

/** A 429 that also tells the client when to come back (the route copies it to Retry-After). */
export class RateLimitedError extends BerthError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', `Too many login attempts; try again in ${retryAfterSeconds} seconds.`, {
      retryAfterSeconds,
    });
    this.name = 'RateLimitedError';
  }
}

/** The same message whether the user is missing, disabled or the password is wrong. */
const invalidCredentials = 'Wrong username or password.';
const invalidToken =
  'This API token is not valid: it is unknown, expired or revoked, or its user is disabled. Create a new one under Admin → API tokens.';
/** The limiter's "username" for token logins; no user can have it (names are DNS labels). */
const tokenLoginKey = '#api-token';

/** Logging in and describing the caller. */
export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionStore,
    private readonly limiter: LoginLimiter,
    private readonly tokens: TokenStore,
  ) {}

  /** Checks credentials (rate-limited) and opens a session; returns the cookie secret and Me. */
  async login(username: string, password: string, ip: string): Promise<{ secret: string; me: Me }> {
    const admission = await this.limiter.admit(username, ip);
    if (!admission.allowed) throw new RateLimitedError(admission.retryAfterSeconds);
    const user = await this.db
      .selectFrom('users')
      .selectAll()
      .where('name', '=', username)
      .executeTakeFirst();
    let ok = false;
    if (user) ok = (await verifyPassword(password, user.password_hash)) && user.disabled === 0;
    else await burnPasswordCheck(password);
    if (!user || !ok) throw new BerthError('INVALID_CREDENTIALS', invalidCredentials);
    await this.limiter.succeeded(username, ip);
    await this.sessions.purgeExpired();
    const session = await this.sessions.create(user.name, ip);
    return {
      secret: session.secret,
      me: await this.me({ name: user.name, via: 'session', csrfToken: session.csrfToken }),
    };
  }

  /**
   * Exchanges an API token for a portal session (rate-limited like passwords, per address). The
   * session ends at the token's expiry if that comes before the session TTL.
   */
  async loginWithToken(token: string, ip: string): Promise<{ secret: string; me: Me; expiresAt: string }> {
    const admission = await this.limiter.admit(tokenLoginKey, ip);
    if (!admission.allowed) throw new RateLimitedError(admission.retryAfterSeconds);
    const found = await this.tokens.lookup(token);
    const user = found
      ? await this.db
          .selectFrom('users')
          .select(['name', 'disabled'])
          .where('name', '=', found.userName)
          .executeTakeFirst()
      : undefined;
    if (!found || !user || user.disabled !== 0) throw new BerthError('INVALID_CREDENTIALS', invalidToken);
    await this.limiter.succeeded(tokenLoginKey, ip);
    await this.sessions.purgeExpired();
    const session = await this.sessions.create(user.name, ip, found.expiresAt);
    return {
      secret: session.secret,
      expiresAt: session.expiresAt,
      me: await this.me({ name: user.name, via: 'session', csrfToken: session.csrfToken }),
    };
  }

  async me(actor: Actor): Promise<Me> {
    const user = await this.db
      .selectFrom('users')
      .selectAll()
      .where('name', '=', actor.name)
      .executeTakeFirstOrThrow();
    const bindings = await this.db
      .selectFrom('role_bindings')
      .selectAll()
      .where('user_name', '=', actor.name)
      .orderBy('id')
      .execute();
    return { user: toUser(user), bindings: bindings.map(toBinding), csrfToken: actor.csrfToken };
  }
}
