import type { FastifyRequest } from 'fastify';
import type { Permission } from '@berth/shared';
import type { Db } from '../../db/database';
import type { Actor, Authenticator, Scope } from '../../http/context';
import type { Authorizer } from './authorizer';
import { readCookie, sessionCookieName } from './session-cookie';
import type { SessionStore } from './session-store';
import type { TokenStore } from './token-store';

/**
 * Resolves the caller of a request: a bearer token when an Authorization header is present
 * (never falling back to the cookie, so a bad token is a clear 401), else the session cookie.
 * Disabled users are rejected on every request, not only at login.
 */
export class RequestAuthenticator implements Authenticator {
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionStore,
    private readonly tokens: TokenStore,
    private readonly authorizer: Authorizer,
  ) {}

  async authenticate(req: FastifyRequest): Promise<Actor | null> {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      const userName = m?.[1] ? await this.tokens.resolve(m[1]) : null;
      if (!userName || !(await this.isActive(userName))) return null;
      return { name: userName, via: 'token', csrfToken: null };
    }
    const secret = readCookie(req.headers.cookie, sessionCookieName);
    if (!secret) return null;
    const session = await this.sessions.resolve(secret);
    if (!session || !(await this.isActive(session.userName))) return null;
    return { name: session.userName, via: 'session', csrfToken: session.csrfToken };
  }

  authorize(actor: Actor, permission: Permission, scope: Scope): Promise<boolean> {
    return this.authorizer.authorize(actor, permission, scope);
  }

  visibleProjects(actor: Actor): Promise<string[] | null> {
    return this.authorizer.visibleProjects(actor);
  }

  private async isActive(userName: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('users')
      .select('disabled')
      .where('name', '=', userName)
      .executeTakeFirst();
    return row !== undefined && row.disabled === 0;
  }
}
