import { hostname } from 'node:os';
import { createTokenRequestSchema, loginRequestSchema, type ApiToken, type Me } from '@berth/shared';
import { ApiClient } from '../api-client';
import { parseInteger } from '../args';
import { normalizeUrl, resolveConnection, type StoredConfig } from '../config-store';
import type { CommandContext, CommandDef } from '../context';
import { CliError, invalidInput } from '../errors';
import { renderFields, sanitize } from '../output';
import { promptSecret, readStdinText } from '../prompt';

/**
 * A token name from the host name and the time, as a DNS label: `cli-<host>-<yyyymmddhhmmss>`.
 */
export function tokenName(host: string, now: Date): string {
  const time = now.toISOString().replace(/\D/g, '').slice(0, 14);
  const cleanHost = host
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63 - 'cli--'.length - time.length)
    .replace(/-+$/, '');
  return cleanHost ? `cli-${cleanHost}-${time}` : `cli-${time}`;
}

/** The `name=value` pairs of Set-Cookie headers, as a Cookie header. */
export function cookieHeader(setCookies: readonly string[]): string {
  return setCookies
    .map((c) => c.split(';')[0]!.trim())
    .filter(Boolean)
    .join('; ');
}

async function password(ctx: CommandContext): Promise<string> {
  const given = ctx.args.string('password');
  if (given !== undefined) {
    ctx.io.stderr.write(
      'warning: a password on the command line can be seen by other users; prefer --password-stdin\n',
    );
    return given;
  }
  if (ctx.args.bool('password-stdin')) return readStdinText(ctx.io);
  return promptSecret(ctx.io, 'Password: ', '--password-stdin or --token');
}

/** Logs in with a password, trades the session for an API token, and ends the session. */
async function tokenFromPassword(
  ctx: CommandContext,
  url: string,
  username: string,
): Promise<{ token: ApiToken; me: Me }> {
  const credentials = loginRequestSchema.safeParse({ username, password: await password(ctx) });
  if (!credentials.success) throw invalidInput('login', credentials.error.issues);
  const anonymous = new ApiClient({ baseUrl: url });
  const login = await anonymous.request<Me>('POST', '/api/v1/auth/login', { body: credentials.data });
  const cookie = cookieHeader(login.headers.getSetCookie());
  if (!cookie) throw new CliError('the server accepted the login but set no session cookie');
  const session = new ApiClient({
    baseUrl: url,
    headers: { Cookie: cookie, 'X-CSRF-Token': login.body.csrfToken ?? '' },
  });
  const days = ctx.args.string('expires-in-days');
  const request = createTokenRequestSchema.safeParse({
    name: tokenName(hostname(), new Date()),
    ...(days !== undefined ? { expiresInDays: parseInteger(days, '--expires-in-days', 1, 3650) } : {}),
  });
  if (!request.success) throw invalidInput('token request', request.error.issues);
  try {
    const token = await session.post<ApiToken>('/api/v1/me/tokens', request.data);
    return { token, me: login.body };
  } finally {
    await session.post('/api/v1/auth/logout').catch(() => undefined);
  }
}

async function login(ctx: CommandContext): Promise<number> {
  const url = normalizeUrl(ctx.arg(0));
  const tokenFlag = ctx.args.string('token');
  // `--token -` reads it from stdin, keeping it out of the process list and shell history.
  const givenToken = tokenFlag === '-' ? await readStdinText(ctx.io) : tokenFlag;
  const username = ctx.args.string('username');
  if (
    givenToken !== undefined &&
    (username !== undefined || ctx.args.has('password') || ctx.args.bool('password-stdin'))
  ) {
    throw ctx.usageError('use either --token or --username with a password, not both');
  }
  if (givenToken === undefined && username === undefined)
    throw ctx.usageError('pass --username NAME (or --token TOKEN)');

  let saved: StoredConfig;
  let me: Me;
  if (givenToken !== undefined) {
    me = await new ApiClient({ baseUrl: url, token: givenToken }).get<Me>('/api/v1/me');
    saved = { url, token: givenToken, user: me.user.name };
  } else {
    const result = await tokenFromPassword(ctx, url, username!);
    if (!result.token.token) throw new CliError('the server created a token but did not return its value');
    me = result.me;
    saved = { url, token: result.token.token, user: me.user.name, tokenId: result.token.id };
  }
  await ctx.store.save(saved);
  if (ctx.out.json) ctx.out.printJson({ url, user: me.user, config: ctx.store.file });
  else ctx.out.line(`logged in to ${url} as ${sanitize(me.user.name)} (credentials in ${ctx.store.file})`);
  return 0;
}

async function logout(ctx: CommandContext): Promise<number> {
  const stored = await ctx.store.load().catch(() => null);
  if (stored?.tokenId) {
    const client = new ApiClient({ baseUrl: stored.url, token: stored.token });
    await client.delete(`/api/v1/me/tokens/${encodeURIComponent(stored.tokenId)}`).catch((err: unknown) => {
      ctx.out.warn(`could not revoke the API token on the server: ${(err as Error).message}`);
    });
  }
  const existed = await ctx.store.clear();
  const envNote = ctx.io.env.BERTH_TOKEN ? ' (BERTH_TOKEN is still set in the environment)' : '';
  ctx.io.stderr.write(
    `${existed ? `logged out of ${stored?.url ?? 'the server'}` : 'not logged in'}${envNote}\n`,
  );
  return 0;
}

async function whoami(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const me = await client.get<Me>('/api/v1/me');
  if (ctx.out.json) {
    ctx.out.printJson(me);
    return 0;
  }
  const conn = resolveConnection(await ctx.store.load().catch(() => null), ctx.io.env, ctx.store.file);
  const roles = me.bindings.map(
    (b) => `${b.role}@${b.scope.kind === 'platform' ? 'platform' : `${b.scope.kind}:${b.scope.name}`}`,
  );
  ctx.out.raw(
    renderFields([
      [
        'user',
        me.user.displayName && me.user.displayName !== me.user.name
          ? `${me.user.name} (${me.user.displayName})`
          : me.user.name,
      ],
      ['server', conn.url],
      ['roles', roles.join(', ')],
    ]),
  );
  return 0;
}

/** login, logout, whoami */
export const authCommands: CommandDef[] = [
  {
    name: 'login',
    usage: 'URL (--username NAME [--password-stdin] | --token TOKEN|-)',
    summary: 'log in to a Berth server and store an API token',
    positionals: { min: 1, max: 1 },
    options: [
      {
        name: 'username',
        short: 'u',
        kind: 'string',
        value: 'NAME',
        description: 'log in with this user and a password',
      },
      {
        name: 'password',
        kind: 'string',
        value: 'PASSWORD',
        description: 'the password (visible to other users: prefer --password-stdin)',
      },
      { name: 'password-stdin', kind: 'boolean', description: 'read the password from stdin' },
      {
        name: 'token',
        kind: 'string',
        value: 'TOKEN',
        description: 'store an existing API token instead (- reads it from stdin)',
      },
      {
        name: 'expires-in-days',
        kind: 'string',
        value: 'N',
        description: 'lifetime of the token created (default: no expiry)',
      },
    ],
    run: login,
  },
  {
    name: 'logout',
    usage: '',
    summary: 'revoke the stored API token and forget it',
    positionals: { min: 0, max: 0 },
    run: logout,
  },
  {
    name: 'whoami',
    usage: '',
    summary: 'show the logged-in user and their roles',
    positionals: { min: 0, max: 0 },
    run: whoami,
  },
];
