import { loginRequestSchema, tokenLoginRequestSchema } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import { RateLimitedError } from './auth.service';
import type { IdentityServices } from './identity-services';
import { displayPrefixLength } from './token-store';
import { clearedSessionCookie, readCookie, sessionCookie, sessionCookieName } from './session-cookie';

/** POST /auth/login, /auth/token-login and /auth/logout: the portal's cookie sessions. */
export function registerAuthRoutes(registry: RouteRegistry, s: IdentityServices): void {
  const secure = s.config.publicUrl.startsWith('https:');

  registry.add({
    id: 'auth.login',
    method: 'POST',
    url: '/api/v1/auth/login',
    summary: 'Log in with username and password; sets the session cookie and returns Me with the CSRF token',
    tags: ['auth'],
    access: 'public',
    body: loginRequestSchema,
    response: { status: 200, description: 'Me, with the csrfToken to send as X-CSRF-Token on writes' },
    // Audit login attempts under the username tried, so `?target=<user>` finds them.
    target: { kind: 'session', name: (_params, body) => body.username },
    async handler({ body, req, reply }) {
      try {
        const { secret, me } = await s.auth.login(body.username, body.password, req.ip);
        return {
          status: 200,
          body: me,
          headers: { 'set-cookie': sessionCookie(secret, s.config.sessionTtlSeconds, secure) },
        };
      } catch (err) {
        if (err instanceof RateLimitedError) void reply.header('retry-after', String(err.retryAfterSeconds));
        throw err;
      }
    },
  });

  registry.add({
    id: 'auth.tokenLogin',
    method: 'POST',
    url: '/api/v1/auth/token-login',
    summary:
      'Log in with an API token (rate-limited like passwords); sets the session cookie, which ends no later than the token',
    tags: ['auth'],
    access: 'public',
    body: tokenLoginRequestSchema,
    response: { status: 200, description: 'Me, with the csrfToken to send as X-CSRF-Token on writes' },
    // The token's display prefix (as token lists show it) names the target; the rest is redacted.
    target: { kind: 'session', name: (_params, body) => body.token.slice(0, displayPrefixLength) },
    async handler({ body, req, reply }) {
      try {
        const { secret, me, expiresAt } = await s.auth.loginWithToken(body.token, req.ip);
        const maxAge = Math.max(1, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
        return { status: 200, body: me, headers: { 'set-cookie': sessionCookie(secret, maxAge, secure) } };
      } catch (err) {
        if (err instanceof RateLimitedError) void reply.header('retry-after', String(err.retryAfterSeconds));
        throw err;
      }
    },
  });

  registry.add({
    id: 'auth.logout',
    method: 'POST',
    url: '/api/v1/auth/logout',
    summary: 'End the current session and clear its cookie',
    tags: ['auth'],
    access: 'authenticated',
    response: { status: 204, description: 'Logged out' },
    target: { kind: 'session' },
    async handler({ actor, req }) {
      const secret = readCookie(req.headers.cookie, sessionCookieName);
      if (actor.via === 'session' && secret) await s.sessions.destroy(secret);
      return { status: 204, headers: { 'set-cookie': clearedSessionCookie(secure) } };
    },
  });
}
