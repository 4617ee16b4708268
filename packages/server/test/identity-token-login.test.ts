import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Caller, createUserWith, testDialects } from './helpers/db';
import { adminServer } from './helpers/admin-server';
import type { BerthServer } from '../src/server';

const adminPassword = 'admin-password-for-token-login';

for (const dialect of testDialects()) {
  void describe(`identity: token login (${dialect})`, () => {
    let server: BerthServer;
    let admin: Caller;

    adminServer(dialect, adminPassword, (s) => ({ server, admin } = s), {
      BERTH_SESSION_TTL_SECONDS: String(2 * 86_400),
    });

    void it('exchanges an API token for a cookie session that can write with its CSRF token', async () => {
      const created = await admin.post('/api/v1/me/tokens', { name: 'portal', expiresInDays: 1 });
      assert.equal(created.status, 201);
      const res = await new Caller(server.app, { ip: '10.2.0.1' }).post('/api/v1/auth/token-login', {
        token: created.body.token,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.user.name, 'admin');
      const cookie = String(res.headers['set-cookie']);
      assert.match(cookie, /^berth_session=[A-Za-z0-9_-]{40,}; /);
      assert.match(cookie, /HttpOnly/);
      // The token expires in a day, before the session TTL (two days here): so does the cookie.
      const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
      assert.ok(maxAge > 86_000 && maxAge <= 86_400, `Max-Age ${maxAge}`);
      const session = new Caller(server.app, {
        cookie: cookie.split(';')[0]!,
        csrfToken: res.body.csrfToken,
      });
      const team = await session.post('/api/v1/teams', { name: 'via-token' });
      assert.equal(team.status, 201, JSON.stringify(team.body));
      const listed = await admin.get('/api/v1/me/tokens');
      const portal = listed.body.items.find((tk: { name: string }) => tk.name === 'portal');
      assert.notEqual(portal.lastUsedAt, null, 'the token login counts as a use');

      const audit = await admin.get('/api/v1/audit?action=auth.tokenLogin');
      const event = audit.body.items[0];
      assert.equal(event.result, 'success');
      assert.equal(event.target, created.body.prefix);
      assert.equal(event.request.token, '[redacted]');
      assert.ok(
        !JSON.stringify(audit.body).includes(created.body.token),
        'the token never reaches the audit log',
      );
    });

    void it('refuses unknown, revoked and disabled-user tokens with the same 401, and audits them', async () => {
      const anon = new Caller(server.app, { ip: '10.2.0.2' });
      const unknown = await anon.post('/api/v1/auth/token-login', { token: 'berth_not-a-real-token' });
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body.error.code, 'INVALID_CREDENTIALS');
      assert.match(unknown.body.error.message, /not valid/);
      assert.equal(unknown.headers['set-cookie'], undefined);

      const carol = await createUserWith(admin, 'carol', []);
      const tok = await carol.post('/api/v1/me/tokens', { name: 'cli' });
      assert.equal((await carol.delete(`/api/v1/me/tokens/${tok.body.id}`)).status, 204);
      const revoked = await anon.post('/api/v1/auth/token-login', { token: tok.body.token });
      assert.deepEqual(revoked.body, unknown.body);

      const tok2 = await carol.post('/api/v1/me/tokens', { name: 'cli2' });
      assert.equal((await admin.patch('/api/v1/users/carol', { disabled: true })).status, 200);
      const disabled = await anon.post('/api/v1/auth/token-login', { token: tok2.body.token });
      assert.deepEqual(disabled.body, unknown.body);

      // A 401 is recorded as a denial, as for password logins.
      const denied = await admin.get('/api/v1/audit?action=auth.tokenLogin&result=denied');
      assert.ok(denied.body.items.length >= 3, JSON.stringify(denied.body));
      const badBody = await anon.post('/api/v1/auth/token-login', { token: '', extra: 1 });
      assert.equal(badBody.status, 400);
    });

    void it('is rate limited per address like password login, with Retry-After', async () => {
      const attacker = new Caller(server.app, { ip: '10.2.0.3' });
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          attacker.post('/api/v1/auth/token-login', { token: `berth_guess-${i}` }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.equal(statuses.filter((s) => s === 401).length, 5, statuses.join(','));
      assert.equal(statuses.filter((s) => s === 429).length, 3, statuses.join(','));
      const limited = results.find((r) => r.status === 429)!;
      assert.ok(Number(limited.headers['retry-after']) > 0);
      const good = await admin.post('/api/v1/me/tokens', { name: 'late' });
      const blocked = await attacker.post('/api/v1/auth/token-login', { token: good.body.token });
      assert.equal(blocked.status, 429, 'even a valid token waits out the window');
      const elsewhere = await new Caller(server.app, { ip: '10.2.0.4' }).post('/api/v1/auth/token-login', {
        token: good.body.token,
      });
      assert.equal(elsewhere.status, 200);
    });
  });
}
