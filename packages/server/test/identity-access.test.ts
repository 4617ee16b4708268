import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createTestDatabase,
  startTwoTeams,
  testDialects,
  type Caller,
  type TestDatabase,
} from './helpers/db';
import type { BerthServer } from '../src/server';

const adminPassword = 'admin-password-for-access-tests';
const names = (items: Array<{ name: string }>) => items.map((i) => i.name).sort();

/** The two-team fixture of helpers/db.ts: alpha/a and beta/b, with a viewer, developer and team admins. */
for (const dialect of testDialects()) {
  void describe(`identity: authorization (${dialect})`, () => {
    let db: TestDatabase;
    let server: BerthServer;
    let admin: Caller;
    let viewerA: Caller;
    let devA: Caller;
    let leadAlpha: Caller;
    let leadBeta: Caller;

    before(async () => {
      db = await createTestDatabase(dialect);
      ({ server, admin, viewerA, devA, leadAlpha, leadBeta } = await startTwoTeams(db, adminPassword));
    });
    after(async () => {
      await server?.close();
      await db?.drop();
    });

    void it('a viewer cannot mutate: 403 naming the permission, audited as denied', async () => {
      const res = await viewerA.delete('/api/v1/projects/a');
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'FORBIDDEN');
      assert.equal(res.body.error.details.permission, 'projects:write');
      assert.equal((await admin.get('/api/v1/projects/a')).status, 200, 'the project is still there');
      const created = await viewerA.post('/api/v1/projects', { name: 'a2', team: 'alpha' });
      assert.equal(created.status, 403);
      const audit = await admin.get('/api/v1/audit?actor=viewer-a&result=denied');
      const actions = audit.body.items.map((e: { action: string }) => e.action);
      assert.ok(actions.includes('projects.delete'), JSON.stringify(actions));
      assert.ok(actions.includes('projects.create'));
      const del = audit.body.items.find((e: { action: string }) => e.action === 'projects.delete');
      assert.equal(del.statusCode, 403);
      assert.equal(del.project, 'a');
    });

    void it('a developer of project a gets 404 for project b, exactly like a missing project, and never sees b', async () => {
      const hidden = await devA.get('/api/v1/projects/b');
      const missing = await devA.get('/api/v1/projects/nope');
      assert.equal(hidden.status, 404);
      assert.equal(hidden.body.error.code, 'PROJECT_NOT_FOUND');
      assert.equal(missing.status, 404);
      assert.equal(
        hidden.body.error.message.replace("'b'", "'x'"),
        missing.body.error.message.replace("'nope'", "'x'"),
      );
      assert.equal((await devA.delete('/api/v1/projects/b')).status, 404);
      assert.equal((await devA.get('/api/v1/projects/b/audit')).status, 404);
      assert.deepEqual(names((await devA.get('/api/v1/projects')).body.items), ['a']);
      assert.deepEqual(names((await devA.get('/api/v1/projects?team=beta')).body.items), []);
      assert.deepEqual(names((await devA.get('/api/v1/teams')).body.items), ['alpha']);
      const team = await devA.get('/api/v1/teams/beta');
      assert.equal(team.status, 404);
      assert.equal(team.body.error.code, 'TEAM_NOT_FOUND');
      assert.equal((await devA.get('/api/v1/projects/a')).status, 200);
      const denied = await admin.get('/api/v1/audit?actor=dev-a&result=denied');
      const targets = denied.body.items.map(
        (e: { action: string; target: string }) => `${e.action} ${e.target}`,
      );
      assert.ok(targets.includes('projects.get b'), JSON.stringify(targets));
      assert.ok(targets.includes('teams.get beta'), JSON.stringify(targets));
    });

    void it("audit events of b are invisible to a's developer and team admin", async () => {
      assert.equal(
        (
          await leadBeta.post('/api/v1/bindings', {
            user: 'dev-a',
            role: 'viewer',
            scope: { kind: 'project', name: 'nope' },
          })
        ).status,
        404,
      );
      assert.equal((await leadBeta.delete('/api/v1/projects/b')).status, 204);
      assert.equal((await admin.post('/api/v1/projects', { name: 'b', team: 'beta' })).status, 201);
      assert.equal((await leadAlpha.delete('/api/v1/projects/a')).status, 204);
      assert.equal((await admin.post('/api/v1/projects', { name: 'a', team: 'alpha' })).status, 201);
      assert.equal(
        (
          await admin.post('/api/v1/bindings', {
            user: 'dev-a',
            role: 'developer',
            scope: { kind: 'project', name: 'a' },
          })
        ).status,
        201,
      );
      assert.equal(
        (
          await admin.post('/api/v1/bindings', {
            user: 'viewer-a',
            role: 'viewer',
            scope: { kind: 'project', name: 'a' },
          })
        ).status,
        201,
      );

      const all = await admin.get('/api/v1/audit?limit=500');
      assert.ok(
        all.body.items.some((e: { project: string | null }) => e.project === 'b'),
        'the admin sees b events',
      );
      const dev = await devA.get('/api/v1/audit?limit=500');
      assert.equal(dev.status, 200);
      assert.deepEqual(dev.body.items, [], 'developers hold no audit:read');
      const devProject = await devA.get('/api/v1/projects/a/audit');
      assert.equal(devProject.status, 403);
      const lead = await leadAlpha.get('/api/v1/audit?limit=500');
      assert.ok(lead.body.items.length > 0);
      assert.ok(
        lead.body.items.every((e: { project: string | null }) => e.project === 'a'),
        JSON.stringify(lead.body.items.map((e: { project: string | null }) => e.project)),
      );
      assert.deepEqual((await leadAlpha.get('/api/v1/audit?project=b')).body.items, []);
      assert.equal((await leadAlpha.get('/api/v1/projects/b/audit')).status, 404);
      const own = await leadAlpha.get('/api/v1/projects/a/audit?action=projects.delete');
      assert.equal(own.status, 200);
      assert.equal(own.body.items[0].actor, 'lead-alpha');
    });

    void it('team admins create and delete projects only in their own team', async () => {
      const created = await leadAlpha.post('/api/v1/projects', {
        name: 'a-new',
        team: 'alpha',
        displayName: 'A new one',
      });
      assert.equal(created.status, 201);
      for (const key of ['name', 'createdAt', 'updatedAt', 'createdBy', 'version', 'team', 'displayName'])
        assert.ok(key in created.body, key);
      assert.equal(created.body.createdBy, 'lead-alpha');
      assert.equal(created.body.version, 1);
      const foreign = await leadAlpha.post('/api/v1/projects', { name: 'b-new', team: 'beta' });
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.error.code, 'TEAM_NOT_FOUND');
      assert.equal((await devA.post('/api/v1/projects', { name: 'a-dev', team: 'alpha' })).status, 403);
      assert.equal((await leadAlpha.delete('/api/v1/projects/b')).status, 404);
      assert.equal((await leadAlpha.delete('/api/v1/projects/a-new')).status, 204);
      assert.equal((await leadAlpha.post('/api/v1/teams', { name: 'gamma' })).status, 403);
    });

    void it('users: only platform admins manage them; everyone may read themselves', async () => {
      assert.equal((await devA.get('/api/v1/users')).status, 403);
      assert.equal((await devA.post('/api/v1/users', { name: 'eve', password: 'password-123' })).status, 403);
      const self = await devA.get('/api/v1/users/dev-a');
      assert.equal(self.status, 200);
      assert.equal(self.body.name, 'dev-a');
      assert.equal('passwordHash' in self.body || 'password_hash' in self.body, false);
      assert.equal((await devA.get('/api/v1/users/admin')).status, 403);
      assert.equal((await devA.patch('/api/v1/users/dev-a', { displayName: 'Me' })).status, 403);
      const list = await admin.get('/api/v1/users?limit=2');
      assert.equal(list.body.items.length, 2);
      assert.ok(list.body.nextCursor);
      const next = await admin.get(`/api/v1/users?limit=500&cursor=${list.body.nextCursor}`);
      const all = [...names(list.body.items), ...names(next.body.items)];
      assert.deepEqual(all, ['admin', 'dev-a', 'lead-alpha', 'lead-beta', 'viewer-a']);
    });
  });
}
