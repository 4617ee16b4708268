import { Buffer } from 'node:buffer';
import { z } from 'zod';
import { BerthError, UnavailableError } from '@berth/shared';
import type { Actor, AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { RateLimitedError } from '../identity/auth.service';
import { LoginLimiter } from '../identity/login-limiter';
import { burnPasswordCheck, verifyPassword } from '../identity/password-hasher';
import { TokenStore, tokenPrefix } from '../identity/token-store';
import type { RegistryAccess } from './registry-access';
import { credentialUsername, parseScope, type AccessEntry, type RegistryTokens } from './registry-tokens';

const tokenQuery = z
  .object({
    service: z.string().max(300).optional(),
    scope: z.union([z.string().max(1000), z.array(z.string().max(1000)).max(50)]).optional(),
    account: z.string().max(200).optional(),
    client_id: z.string().max(200).optional(),
    offline_token: z.string().max(10).optional(),
  })
  .passthrough();

/** The limiter's "username" for API tokens sent as registry passwords (as for token logins). */
const tokenKey = '#api-token';

/**
 * `GET /api/v1/registry/token`: the token endpoint of the embedded registry (distribution's
 * token-auth flow). Basic auth with a Berth username and password, or any username with an API
 * token as password, or a short-lived credential Berth minted for a build or a pull. Anonymous
 * callers get a token with no access, so the registry refuses them. Failed logins are rate-limited
 * like the login route and audited; credentials are never logged.
 */
export function registerRegistryTokenRoute(
  routes: RouteRegistry,
  ctx: AppContext,
  access: RegistryAccess,
  tokens: RegistryTokens | null,
): void {
  const limiter = new LoginLimiter(ctx.db);
  const apiTokens = new TokenStore(ctx.db);

  const audit = (actor: string, message: string, ip: string, status: number) =>
    ctx.audit
      .record({
        actor,
        action: 'registry.token',
        targetKind: 'registry',
        target: ctx.config.registryListen ?? 'registry',
        project: null,
        request: null,
        result: 'denied',
        statusCode: status,
        sourceIp: ip,
        message,
      })
      .catch((err: unknown) => ctx.log.error({ err }, 'audit write failed'));

  /** The user behind Basic credentials, or null when they are wrong (rate-limited first). */
  async function login(username: string, password: string, ip: string): Promise<string | null> {
    const viaToken = password.startsWith(tokenPrefix);
    const key = viaToken ? tokenKey : username;
    const admission = await limiter.admit(key, ip);
    if (!admission.allowed) throw new RateLimitedError(admission.retryAfterSeconds);
    let user: string | null = null;
    if (viaToken) user = (await apiTokens.lookup(password))?.userName ?? null;
    else {
      const row = await ctx.db
        .selectFrom('users')
        .select(['name', 'password_hash', 'disabled'])
        .where('name', '=', username)
        .executeTakeFirst();
      if (row) user = (await verifyPassword(password, row.password_hash)) ? row.name : null;
      else await burnPasswordCheck(password);
    }
    if (user) {
      const active = await ctx.db
        .selectFrom('users')
        .select('disabled')
        .where('name', '=', user)
        .executeTakeFirst();
      if (!active || active.disabled !== 0) user = null;
    }
    if (user) await limiter.succeeded(key, ip);
    return user;
  }

  routes.add({
    id: 'registry.token',
    method: 'GET',
    url: '/api/v1/registry/token',
    summary:
      'Token endpoint of the embedded registry (podman login works with a Berth password or API token); grants only what the caller may do',
    tags: ['registries'],
    access: 'public',
    query: tokenQuery,
    async handler({ query, req }) {
      if (!tokens)
        throw new UnavailableError(
          'The embedded registry is off (BERTH_REGISTRY_LISTEN=off): no tokens to issue.',
        );
      const scopes = (
        query.scope === undefined ? [] : Array.isArray(query.scope) ? query.scope : [query.scope]
      )
        .flatMap((s) => s.split(' '))
        .filter(Boolean);
      const requested = scopes.map(parseScope).filter((s): s is AccessEntry => s !== null);
      const header = req.headers.authorization ?? '';
      const basic = /^Basic\s+(\S+)\s*$/i.exec(header);
      if (header !== '' && !basic) {
        await audit('anonymous', 'registry login without Basic credentials', req.ip, 401);
        return unauthorized(
          'The registry token endpoint takes Basic auth: a Berth username with its password or an API token.',
        );
      }
      if (!basic) {
        const t = tokens.registryToken('anonymous', []);
        return { token: t.token, access_token: t.token, expires_in: t.expiresIn, issued_at: t.issuedAt };
      }
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const username = colon < 0 ? decoded : decoded.slice(0, colon);
      const password = colon < 0 ? '' : decoded.slice(colon + 1);
      let subject: string;
      let granted: AccessEntry[];
      const credential = username === credentialUsername ? tokens.openCredential(password) : null;
      if (credential) {
        subject = credential.subject;
        granted = intersect(requested, credential.access);
      } else {
        let user: string | null;
        try {
          user = await login(username, password, req.ip);
        } catch (err) {
          if (err instanceof RateLimitedError) {
            await audit(username.slice(0, 100), 'registry login rate-limited', req.ip, 429);
            return {
              status: 429,
              body: err.toBody(),
              headers: { 'retry-after': String(err.retryAfterSeconds) },
            };
          }
          throw err;
        }
        if (!user) {
          await audit(
            username.slice(0, 100),
            'registry login failed: wrong username, password or token',
            req.ip,
            401,
          );
          return unauthorized('Wrong username or password (or API token) for the registry.');
        }
        subject = user;
        const actor: Actor = { name: user, via: 'token', csrfToken: null };
        granted = await access.grant(actor, requested);
      }
      const t = tokens.registryToken(subject, granted);
      return { token: t.token, access_token: t.token, expires_in: t.expiresIn, issued_at: t.issuedAt };
    },
  });
}

function unauthorized(message: string) {
  return {
    status: 401,
    body: new BerthError('INVALID_CREDENTIALS', message).toBody(),
    headers: { 'www-authenticate': 'Basic realm="berth registry"' },
  };
}

/** What was asked for, cut down to what a credential allows (same type and name, common actions). */
function intersect(requested: AccessEntry[], allowed: AccessEntry[]): AccessEntry[] {
  const out: AccessEntry[] = [];
  for (const want of requested) {
    const may = allowed.find((a) => a.type === want.type && a.name === want.name);
    if (!may) continue;
    const actions = [...new Set(want.actions)].filter(
      (a) => may.actions.includes(a) || may.actions.includes('*'),
    );
    if (actions.length > 0) out.push({ type: want.type, name: want.name, actions });
  }
  return out;
}
