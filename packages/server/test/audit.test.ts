import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Caller, createUserWith, testDialects, type Json } from './helpers/db';
import { adminServer } from './helpers/admin-server';
import type { BerthServer } from '../src/server';

const adminPassword = 'admin-password-for-audit-tests';
const secretPassword = 'very-secret-password-42';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const dialect of testDialects()) {
  void describe(`audit (${dialect})`, () => {
    let server: BerthServer;
    let admin: Caller;
    let lead: Caller;
    /** Bounds around the events made by `lead`, for the time filters. */
    let windowStart: string;
    let windowEnd: string;

    adminServer(dialect, adminPassword, (s) => ({ server, admin } = s));

    before(async () => {
      await admin.post('/api/v1/teams', { name: 'shop' });
      await admin.post('/api/v1/projects', { name: 'web', team: 'shop' });
      await admin.post('/api/v1/projects', { name: 'web-api', team: 'shop' });
      await admin.post('/api/v1/users', { name: 'dana', password: secretPassword });
      lead = await createUserWith(admin, 'lead', [
        { role: 'team-admin', scope: { kind: 'team', name: 'shop' } },
      ]);
      await sleep(5);
      windowStart = new Date().toISOString();
      await sleep(5);
      await lead.post('/api/v1/projects', { name: 'tmp', team: 'shop' });
      await lead.delete('/api/v1/projects/tmp');
      await lead.post('/api/v1/teams', { name: 'denied-team' });
      await sleep(5);
      windowEnd = new Date().toISOString();
      await sleep(5);
      await admin.post('/api/v1/teams', { name: 'later' });
    });

    async function events(query: string): Promise<Json[]> {
      const res = await admin.get(`/api/v1/audit?limit=500&${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.items;
    }

    void it('filters by actor and by result', async () => {
      const byLead = await events('actor=lead');
      assert.deepEqual(byLead.map((e) => e.action).sort(), [
        'projects.create',
        'projects.delete',
        'teams.create',
      ]);
      const denied = await events('actor=lead&result=denied');
      assert.deepEqual(
        denied.map((e) => [e.action, e.statusCode]),
        [['teams.create', 403]],
      );
    });

    void it('filters by action, exactly or by prefix, case-sensitively on every dialect', async () => {
      const prefix = await events('action=teams.');
      assert.ok(prefix.length >= 3);
      assert.ok(prefix.every((e) => e.action.startsWith('teams.')));
      const star = await events('action=team*');
      assert.equal(star.length, prefix.length);
      const exact = await events('action=projects.delete');
      assert.deepEqual(
        exact.map((e) => e.target),
        ['tmp'],
      );
      assert.deepEqual(
        await events('action=projects'),
        [],
        'without a trailing "." or "*" the match is exact',
      );
      assert.deepEqual(await events('action=TEAMS.'), []);
      assert.deepEqual(await events('action=teams_*'), [], 'no LIKE wildcards');
    });

    void it('filters by target (exact or prefix) and target kind', async () => {
      assert.deepEqual(
        (await events('target=web')).map((e) => e.action),
        ['projects.create'],
      );
      const prefixed = await events('target=web*&action=projects.create');
      assert.deepEqual(prefixed.map((e) => e.target).sort(), ['web', 'web-api']);
      const users = await events('targetKind=user');
      assert.ok(users.length >= 2);
      assert.ok(users.every((e) => e.targetKind === 'user'));
      const sessions = await events('targetKind=session&target=lead');
      assert.deepEqual(
        sessions.map((e) => [e.action, e.result]),
        [['auth.login', 'success']],
      );
    });

    void it('filters by time: since inclusive, until exclusive, any RFC 3339 offset', async () => {
      const inWindow = await events(`since=${windowStart}&until=${windowEnd}`);
      assert.deepEqual(
        inWindow.map((e) => e.actor),
        ['lead', 'lead', 'lead'],
      );
      assert.ok(inWindow.every((e) => e.at >= windowStart && e.at < windowEnd));
      const later = await events(`since=${windowEnd}`);
      assert.deepEqual(
        later.map((e) => e.target),
        ['later'],
      );
      const shifted = new Date(windowEnd).toISOString().replace('Z', '+00:00');
      const viaOffset = await admin.get(`/api/v1/audit?since=${encodeURIComponent(shifted)}`);
      assert.deepEqual(
        viaOffset.body.items.map((e: Json) => e.target),
        ['later'],
      );
      const bad = await admin.get('/api/v1/audit?since=yesterday');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.details.fields[0].path, 'since');
      assert.equal(
        (await admin.get('/api/v1/audit?actr=lead')).status,
        400,
        'a mistyped filter is an error, not "everything"',
      );
    });

    void it('lists newest first and pages with a cursor without gaps or overlaps', async () => {
      const all = await events('');
      const ids = all.map((e) => e.id);
      assert.deepEqual(ids, [...ids].sort().reverse());
      assert.equal(all[0].target, 'later');
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: Json = await admin.get(`/api/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        assert.ok(res.body.items.length <= 3);
        seen.push(...res.body.items.map((e: Json) => e.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      // The listing itself adds no events (GETs are not audited), so the pages cover exactly `all`.
      assert.deepEqual(seen, ids);
    });

    void it('redacts passwords in request summaries and never stores them', async () => {
      const created = (await events('action=users.create&target=dana'))[0];
      assert.equal(created.request.name, 'dana');
      assert.equal(created.request.password, '[redacted]');
      await admin.patch('/api/v1/users/dana', { password: 'another-secret-99' });
      const patched = (await events('action=users.update&target=dana'))[0];
      assert.equal(patched.request.password, '[redacted]');
      await new Caller(server.app, { ip: '10.9.9.9' }).post('/api/v1/auth/login', {
        username: 'dana',
        password: 'wrong-secret-77',
      });
      const login = (await events('action=auth.login&target=dana'))[0];
      assert.equal(login.result, 'denied');
      assert.equal(login.statusCode, 401);
      assert.equal(login.sourceIp, '10.9.9.9');
      assert.equal(login.request.username, 'dana');
      assert.equal(login.request.password, '[redacted]');
      const token = (await admin.post('/api/v1/me/tokens', { name: 'audited' })).body.token as string;
      const raw = await server.ctx.db.selectFrom('audit_events').select('request').execute();
      const dump = raw.map((r) => r.request ?? '').join('\n');
      for (const secret of [secretPassword, 'another-secret-99', 'wrong-secret-77', token, adminPassword]) {
        assert.ok(!dump.includes(secret), 'a secret reached the audit table');
      }
    });

    void it('GET /projects/:project/audit lists only that project', async () => {
      const res = await admin.get('/api/v1/projects/tmp/audit');
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.items.map((e: Json) => e.action),
        ['projects.delete', 'projects.create'],
      );
      assert.ok(res.body.items.every((e: Json) => e.project === 'tmp'));
      const viaLead = await lead.get('/api/v1/projects/web/audit');
      assert.equal(viaLead.status, 200);
    });
  });
}
