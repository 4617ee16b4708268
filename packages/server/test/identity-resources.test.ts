import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDialects, type Caller } from './helpers/db';
import { adminServer } from './helpers/admin-server';
import type { BerthServer } from '../src/server';

const adminPassword = 'admin-password-for-resource-tests';

for (const dialect of testDialects()) {
  void describe(`identity: users, teams, projects (${dialect})`, () => {
    let server: BerthServer;
    let admin: Caller;

    adminServer(dialect, adminPassword, (s) => ({ server, admin } = s));

    void it('creates return 201 with the object and its metadata; duplicates are 409 ALREADY_EXISTS', async () => {
      const team = await admin.post('/api/v1/teams', { name: 'payments', displayName: 'Payments' });
      assert.equal(team.status, 201);
      assert.equal(team.body.name, 'payments');
      assert.equal(team.body.displayName, 'Payments');
      assert.equal(team.body.createdBy, 'admin');
      assert.equal(team.body.version, 1);
      assert.match(team.body.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(team.body.updatedAt, team.body.createdAt);
      const user = await admin.post('/api/v1/users', {
        name: 'carol',
        password: 'password-123',
        email: 'carol@example.com',
      });
      assert.equal(user.status, 201);
      assert.deepEqual(Object.keys(user.body).sort(), [
        'createdAt',
        'createdBy',
        'disabled',
        'displayName',
        'email',
        'name',
        'updatedAt',
        'version',
      ]);
      assert.equal(
        (await admin.post('/api/v1/projects', { name: 'checkout', team: 'payments' })).status,
        201,
      );
      for (const [url, body] of [
        ['/api/v1/teams', { name: 'payments' }],
        ['/api/v1/users', { name: 'carol', password: 'password-456' }],
        ['/api/v1/projects', { name: 'checkout', team: 'payments' }],
      ] as const) {
        const dup = await admin.post(url, body);
        assert.equal(dup.status, 409, url);
        assert.equal(dup.body.error.code, 'ALREADY_EXISTS');
      }
    });

    void it('unknown references are 404 with the right code', async () => {
      const cases: Array<[Promise<{ status: number; body: { error: { code: string } } }>, string]> = [
        [admin.post('/api/v1/projects', { name: 'orphan', team: 'no-such-team' }), 'TEAM_NOT_FOUND'],
        [
          admin.post('/api/v1/bindings', {
            user: 'nobody',
            role: 'viewer',
            scope: { kind: 'team', name: 'payments' },
          }),
          'USER_NOT_FOUND',
        ],
        [
          admin.post('/api/v1/bindings', {
            user: 'carol',
            role: 'viewer',
            scope: { kind: 'team', name: 'nope' },
          }),
          'TEAM_NOT_FOUND',
        ],
        [
          admin.post('/api/v1/bindings', {
            user: 'carol',
            role: 'viewer',
            scope: { kind: 'project', name: 'nope' },
          }),
          'PROJECT_NOT_FOUND',
        ],
        [admin.get('/api/v1/users/nobody'), 'USER_NOT_FOUND'],
        [admin.get('/api/v1/teams/nope'), 'TEAM_NOT_FOUND'],
        [admin.get('/api/v1/projects/nope'), 'PROJECT_NOT_FOUND'],
        [admin.delete('/api/v1/bindings/nope'), 'BINDING_NOT_FOUND'],
        [admin.patch('/api/v1/users/nobody', { displayName: 'x' }), 'USER_NOT_FOUND'],
      ];
      for (const [pending, code] of cases) {
        const res = await pending;
        assert.equal(res.status, 404, code);
        assert.equal(res.body.error.code, code);
      }
    });

    void it('a project with services cannot be deleted (409); a team with projects neither', async () => {
      const at = new Date().toISOString();
      await server.ctx.db
        .insertInto('services')
        .values({
          id: 'svc-test-1',
          project: 'checkout',
          env: 'test',
          name: 'web',
          display_name: 'web',
          replicas: 1,
          stopped: 0,
          release: 1,
          stable_release: null,
          status: 'healthy',
          ready_replicas: 1,
          message: null,
          generation: 1,
          rollout_task: null,
          rollout_started_at: null,
          restart_nonce: 0,
          deleting: 0,
          created_at: at,
          updated_at: at,
          created_by: 'admin',
          updated_by: 'admin',
          version: 1,
        })
        .execute();
      const res = await admin.delete('/api/v1/projects/checkout');
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, 'CONFLICT');
      assert.match(res.body.error.message, /service.*test\/web.*delete them first/);
      const team = await admin.delete('/api/v1/teams/payments');
      assert.equal(team.status, 409);
      assert.match(team.body.error.message, /checkout/);
      await server.ctx.db.deleteFrom('services').where('id', '=', 'svc-test-1').execute();
      assert.equal((await admin.delete('/api/v1/projects/checkout')).status, 204);
      assert.equal((await admin.delete('/api/v1/teams/payments')).status, 204);
      assert.equal((await admin.get('/api/v1/teams/payments')).status, 404);
    });

    void it('deleting a project removes its bindings, so a new project of that name starts with no members', async () => {
      await admin.post('/api/v1/teams', { name: 'ops' });
      await admin.post('/api/v1/projects', { name: 'infra', team: 'ops' });
      assert.equal(
        (
          await admin.post('/api/v1/bindings', {
            user: 'carol',
            role: 'developer',
            scope: { kind: 'project', name: 'infra' },
          })
        ).status,
        201,
      );
      assert.equal((await admin.delete('/api/v1/projects/infra')).status, 204);
      await admin.post('/api/v1/projects', { name: 'infra', team: 'ops' });
      const left = await admin.get('/api/v1/bindings?scope=project:infra');
      assert.deepEqual(left.body.items, []);
    });

    void it('PATCH /users honours If-Match and bumps version and updatedAt', async () => {
      const before = (await admin.get('/api/v1/users/carol')).body;
      const stale = await admin.patch(
        '/api/v1/users/carol',
        { displayName: 'Carol' },
        { 'if-match': String(before.version + 5) },
      );
      assert.equal(stale.status, 409);
      assert.equal(stale.body.error.code, 'VERSION_CONFLICT');
      assert.equal(stale.body.error.details.currentVersion, before.version);
      const ok = await admin.patch(
        '/api/v1/users/carol',
        { displayName: 'Carol' },
        { 'if-match': `"${before.version}"` },
      );
      assert.equal(ok.status, 200);
      assert.equal(ok.body.displayName, 'Carol');
      assert.equal(ok.body.version, before.version + 1);
      assert.ok(ok.body.updatedAt >= before.updatedAt);
      assert.equal(ok.body.email, 'carol@example.com', 'a merge patch keeps fields it does not name');
    });

    void it('the last platform admin cannot be deleted, disabled or demoted', async () => {
      const del = await admin.delete('/api/v1/users/admin');
      assert.equal(del.status, 409);
      assert.match(del.body.error.message, /last active platform admin/);
      assert.equal((await admin.patch('/api/v1/users/admin', { disabled: true })).status, 409);
      const binding = (await admin.get('/api/v1/bindings?user=admin&scope=platform')).body.items[0];
      assert.equal((await admin.delete(`/api/v1/bindings/${binding.id}`)).status, 409);
      assert.equal((await admin.get('/api/v1/me')).status, 200);
      // While another active admin remains, an admin may be removed.
      await admin.post('/api/v1/bindings', {
        user: 'carol',
        role: 'platform-admin',
        scope: { kind: 'platform' },
      });
      assert.equal((await admin.delete('/api/v1/users/carol')).status, 204);
    });

    void it('GET /envs lists the configured environments', async () => {
      const res = await admin.get('/api/v1/envs');
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.items.map((e: { name: string }) => e.name),
        ['test', 'prod'],
      );
    });
  });
}
