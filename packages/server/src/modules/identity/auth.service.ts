import { BerthError, type Me } from '@berth/shared';
import type { Db } from '../../db/database';
import type { Actor } from '../../http/context';
import { toBinding, toUser } from './identity.mappers';
import type { LoginLimiter } from './login-limiter';
import { burnPasswordCheck, verifyPassword } from './password-hasher';
import type { SessionStore } from './session-store';

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

/** Logging in and describing the caller. */
export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionStore,
    private readonly limiter: LoginLimiter,
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
