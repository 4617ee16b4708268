import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Caller, createUserWith, loginAs, testDialects } from './helpers/db';
import { adminServer } from './helpers/admin-server';
import type { BerthServer } from '../src/server';

const adminPassword = 'admin-password-for-identity-tests';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

for (const dialect of testDialects()) {
  void describe(`identity: authentication (${dialect})`, () => {
    let server: BerthServer;
    let admin: Caller;

    adminServer(dialect, adminPassword, (s) => ({ server, admin } = s));

    void it('login sets an HttpOnly SameSite=Lax cookie, returns Me with a CSRF token, and stores only a hash', async () => {
      const res = await new Caller(server.app, { ip: '10.1.0.1' }).post('/api/v1/auth/login', {
        username: 'admin',
        password: adminPassword,
      });
      assert.equal(res.status, 200);
      const cookie = String(res.headers['set-cookie']);
      assert.match(cookie, /^berth_session=[A-Za-z0-9_-]{40,}; /);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
      assert.match(cookie, /Path=\//);
      assert.equal(res.body.user.name, 'admin');
      assert.equal(typeof res.body.csrfToken, 'string');
      assert.ok(res.body.csrfToken.length >= 32);
      assert.deepEqual(
        res.body.bindings.map((b: { role: string; scope: unknown }) => [b.role, b.scope]),
        [['platform-admin', { kind: 'platform' }]],
      );
      const secret = cookie.split(';')[0]!.split('=')[1]!;
      const rows = await server.ctx.db.selectFrom('sessions').select('id').execute();
      assert.ok(
        rows.some((r) => r.id === sha256(secret)),
        'the session is stored by its sha256',
      );
      assert.ok(!rows.some((r) => r.id === secret), 'the raw secret is never stored');
      const me = await new Caller(server.app, { cookie: cookie.split(';')[0]! }).get('/api/v1/me');
      assert.equal(me.status, 200);
      assert.equal(me.body.csrfToken, res.body.csrfToken);
    });

    void it('a wrong password and an unknown user get the same 401 INVALID_CREDENTIALS', async () => {
      const anon = new Caller(server.app, { ip: '10.1.0.2' });
      const wrong = await anon.post('/api/v1/auth/login', { username: 'admin', password: 'nope-nope' });
      const unknown = await anon.post('/api/v1/auth/login', { username: 'nobody', password: 'nope-nope' });
      assert.equal(wrong.status, 401);
      assert.equal(unknown.status, 401);
      assert.equal(wrong.body.error.code, 'INVALID_CREDENTIALS');
      assert.deepEqual(unknown.body, wrong.body, 'the answer must not reveal whether the user exists');
      assert.equal(wrong.headers['set-cookie'], undefined);
    });

    void it('five failures per user and address give 429 with Retry-After, even for the right password', async () => {
      const attacker = new Caller(server.app, { ip: '10.1.0.3' });
      // Fired in parallel: the limiter counts before it checks, so no guess slips through a race.
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          attacker.post('/api/v1/auth/login', { username: 'admin', password: 'guess-guess' }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [401, 401, 401, 401, 401, 429, 429, 429]);
      const blocked = await attacker.post('/api/v1/auth/login', {
        username: 'admin',
        password: adminPassword,
      });
      assert.equal(blocked.status, 429);
      assert.equal(blocked.body.error.code, 'RATE_LIMITED');
      const retryAfter = Number(blocked.headers['retry-after']);
      assert.ok(retryAfter > 0 && retryAfter <= 900, `Retry-After ${retryAfter}`);
      // Another address is not affected, and the count lives in the store (survives restarts).
      const other = await new Caller(server.app, { ip: '10.1.0.4' }).post('/api/v1/auth/login', {
        username: 'admin',
        password: adminPassword,
      });
      assert.equal(other.status, 200);
      const row = await server.ctx.db
        .selectFrom('login_attempts')
        .selectAll()
        .where('key', '=', 'user:admin|ip:10.1.0.3')
        .executeTakeFirst();
      assert.ok(row && row.failures > 5);
    });

    void it('one address spraying many usernames is cut off after 50 attempts', async () => {
      const sprayer = new Caller(server.app, { ip: '10.1.0.5' });
      const results = await Promise.all(
        Array.from({ length: 55 }, (_, i) =>
          sprayer.post('/api/v1/auth/login', { username: `spray${i}`, password: 'password1' }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 401).length, 50);
      assert.equal(results.filter((r) => r.status === 429).length, 5);
    });

    void it('cookie-authenticated writes need the X-CSRF-Token header; reads do not', async () => {
      const noCsrf = new Caller(server.app, { cookie: admin.creds.cookie! });
      const denied = await noCsrf.post('/api/v1/teams', { name: 'csrf-team' });
      assert.equal(denied.status, 403);
      assert.equal(denied.body.error.code, 'CSRF_FAILED');
      const wrong = await noCsrf.call(
        'POST',
        '/api/v1/teams',
        { name: 'csrf-team' },
        { 'x-csrf-token': 'forged' },
      );
      assert.equal(wrong.status, 403);
      assert.equal((await noCsrf.get('/api/v1/teams/csrf-team')).status, 404, 'nothing was created');
      assert.equal((await noCsrf.get('/api/v1/teams')).status, 200);
      const ok = await admin.post('/api/v1/teams', { name: 'csrf-team' });
      assert.equal(ok.status, 201);
    });

    void it('logout ends the session (and needs the CSRF token too)', async () => {
      const session = await loginAs(server.app, 'admin', adminPassword, '10.1.0.6');
      const forged = await new Caller(server.app, { cookie: session.creds.cookie! }).post(
        '/api/v1/auth/logout',
      );
      assert.equal(forged.status, 403);
      assert.equal((await session.get('/api/v1/me')).status, 200);
      const out = await session.post('/api/v1/auth/logout');
      assert.equal(out.status, 204);
      assert.match(String(out.headers['set-cookie']), /^berth_session=; .*Max-Age=0/);
      const after = await session.get('/api/v1/me');
      assert.equal(after.status, 401);
      assert.equal(after.body.error.code, 'UNAUTHENTICATED');
    });

    void it('an expired session is rejected', async () => {
      const session = await loginAs(server.app, 'admin', adminPassword, '10.1.0.7');
      const secret = session.creds.cookie!.split('=')[1]!;
      await server.ctx.db
        .updateTable('sessions')
        .set({ expires_at: '2000-01-01T00:00:00.000Z' })
        .where('id', '=', sha256(secret))
        .execute();
      assert.equal((await session.get('/api/v1/me')).status, 401);
    });

    void it('API tokens: value shown once, bearer works without CSRF, revoked and expired tokens fail', async () => {
      const created = await admin.post('/api/v1/me/tokens', { name: 'ci' });
      assert.equal(created.status, 201);
      const token: string = created.body.token;
      assert.match(token, /^berth_[A-Za-z0-9_-]{40,}$/);
      assert.equal(created.body.prefix, token.slice(0, created.body.prefix.length));
      const listed = await admin.get('/api/v1/me/tokens');
      const item = listed.body.items.find((t: { id: string }) => t.id === created.body.id);
      assert.ok(item);
      assert.equal('token' in item, false, 'the value is never shown again');
      const stored = await server.ctx.db
        .selectFrom('api_tokens')
        .select('token_hash')
        .where('id', '=', created.body.id)
        .executeTakeFirstOrThrow();
      assert.equal(stored.token_hash, sha256(token));

      const bearer = new Caller(server.app, { bearer: token });
      const me = await bearer.get('/api/v1/me');
      assert.equal(me.status, 200);
      assert.equal(me.body.user.name, 'admin');
      assert.equal(me.body.csrfToken, null);
      assert.equal(
        (await bearer.post('/api/v1/teams', { name: 'token-team' })).status,
        201,
        'bearer writes need no CSRF token',
      );
      const used = await server.ctx.db
        .selectFrom('api_tokens')
        .select('last_used_at')
        .where('id', '=', created.body.id)
        .executeTakeFirstOrThrow();
      assert.ok(used.last_used_at);

      assert.equal((await admin.delete(`/api/v1/me/tokens/${created.body.id}`)).status, 204);
      const revoked = await bearer.get('/api/v1/me');
      assert.equal(revoked.status, 401);
      const again = await admin.delete(`/api/v1/me/tokens/${created.body.id}`);
      assert.equal(again.status, 404);
      assert.equal(again.body.error.code, 'TOKEN_NOT_FOUND');

      const short = await admin.post('/api/v1/me/tokens', { name: 'short', expiresInDays: 1 });
      assert.equal(
        (await new Caller(server.app, { bearer: short.body.token }).get('/api/v1/me')).status,
        200,
      );
      await server.ctx.db
        .updateTable('api_tokens')
        .set({ expires_at: '2000-01-01T00:00:00.000Z' })
        .where('id', '=', short.body.id)
        .execute();
      assert.equal(
        (await new Caller(server.app, { bearer: short.body.token }).get('/api/v1/me')).status,
        401,
      );
    });

    void it("a duplicate token name is 409, and nobody can revoke another user's token", async () => {
      assert.equal((await admin.post('/api/v1/me/tokens', { name: 'dup' })).status, 201);
      const dup = await admin.post('/api/v1/me/tokens', { name: 'dup' });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error.code, 'ALREADY_EXISTS');
      const other = await createUserWith(admin, 'tokenthief', []);
      const mine = (await admin.get('/api/v1/me/tokens')).body.items.find(
        (t: { name: string }) => t.name === 'dup',
      );
      const res = await other.delete(`/api/v1/me/tokens/${mine.id}`);
      assert.equal(res.status, 404);
      assert.ok(
        (await admin.get('/api/v1/me/tokens')).body.items.some((t: { id: string }) => t.id === mine.id),
      );
    });

    void it('missing, malformed and unknown credentials get 401 with the error shape', async () => {
      for (const creds of [
        {},
        { bearer: 'berth_notatoken' },
        { bearer: 'garbage' },
        { cookie: 'berth_session=forged' },
      ]) {
        const res = await new Caller(server.app, creds).get('/api/v1/me');
        assert.equal(res.status, 401, JSON.stringify(creds));
        assert.equal(res.body.error.code, 'UNAUTHENTICATED');
        assert.equal(typeof res.body.error.message, 'string');
      }
    });

    void it('disabling a user rejects their sessions, tokens and logins; a password change ends sessions', async () => {
      const bob = await createUserWith(admin, 'bob', []);
      const token = (await bob.post('/api/v1/me/tokens', { name: 'bobs' })).body.token as string;
      const disabled = await admin.patch('/api/v1/users/bob', { disabled: true });
      assert.equal(disabled.status, 200);
      assert.equal(disabled.body.disabled, true);
      assert.equal((await bob.get('/api/v1/me')).status, 401);
      assert.equal((await new Caller(server.app, { bearer: token }).get('/api/v1/me')).status, 401);
      assert.equal(
        (await admin.patch('/api/v1/users/bob', { disabled: false, password: 'new-password-1' })).status,
        200,
      );
      assert.equal(
        (await new Caller(server.app, { bearer: token }).get('/api/v1/me')).status,
        200,
        'tokens work again',
      );
      const fresh = await loginAs(server.app, 'bob', 'new-password-1', '10.1.0.8');
      await server.ctx.db.updateTable('users').set({ disabled: 1 }).where('name', '=', 'bob').execute();
      await assert.rejects(
        loginAs(server.app, 'bob', 'new-password-1', '10.1.0.8'),
        /INVALID_CREDENTIALS/,
        'a disabled user cannot log in even with the right password',
      );
      await server.ctx.db.updateTable('users').set({ disabled: 0 }).where('name', '=', 'bob').execute();
      assert.equal((await admin.patch('/api/v1/users/bob', { password: 'newer-password-2' })).status, 200);
      assert.equal(
        (await fresh.get('/api/v1/me')).status,
        401,
        'sessions opened before a password change end',
      );
    });
  });
}
