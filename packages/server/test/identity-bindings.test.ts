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

const adminPassword = 'admin-password-for-binding-tests';

/** The two-team fixture of helpers/db.ts: alpha/a and beta/b, with a viewer, developer and team admins. */
for (const dialect of testDialects()) {
  void describe(`identity: role bindings (${dialect})`, () => {
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

    void it('a team admin cannot grant platform-admin or roles outside their team; a developer cannot grant at all', async () => {
      const platform = await leadAlpha.post('/api/v1/bindings', {
        user: 'dev-a',
        role: 'platform-admin',
        scope: { kind: 'platform' },
      });
      assert.equal(platform.status, 403);
      assert.equal(platform.body.error.code, 'FORBIDDEN');
      const platformViewer = await leadAlpha.post('/api/v1/bindings', {
        user: 'dev-a',
        role: 'viewer',
        scope: { kind: 'platform' },
      });
      assert.equal(platformViewer.status, 403);
      const scoped = await leadAlpha.post('/api/v1/bindings', {
        user: 'dev-a',
        role: 'platform-admin',
        scope: { kind: 'team', name: 'alpha' },
      });
      assert.equal(scoped.status, 400);
      const otherTeam = await leadAlpha.post('/api/v1/bindings', {
        user: 'dev-a',
        role: 'viewer',
        scope: { kind: 'project', name: 'b' },
      });
      assert.equal(otherTeam.status, 404);
      assert.equal(otherTeam.body.error.code, 'PROJECT_NOT_FOUND');
      const byDev = await devA.post('/api/v1/bindings', {
        user: 'viewer-a',
        role: 'developer',
        scope: { kind: 'project', name: 'a' },
      });
      assert.equal(byDev.status, 403);
      const me = await devA.get('/api/v1/me');
      assert.deepEqual(
        me.body.bindings.map((b: { role: string }) => b.role),
        ['developer'],
        'no grant went through',
      );

      const ok = await leadAlpha.post('/api/v1/bindings', {
        user: 'viewer-a',
        role: 'team-admin',
        scope: { kind: 'project', name: 'a' },
      });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(ok.body.createdBy, 'lead-alpha');
      // A project-level team admin may grant up to their own role on that project, not above it.
      const projectAdmin = viewerA;
      const byProjectAdmin = await projectAdmin.post('/api/v1/bindings', {
        user: 'lead-beta',
        role: 'developer',
        scope: { kind: 'project', name: 'a' },
      });
      assert.equal(byProjectAdmin.status, 201);
      assert.equal((await admin.delete(`/api/v1/bindings/${byProjectAdmin.body.id}`)).status, 204);
      assert.equal(
        (
          await projectAdmin.post('/api/v1/bindings', {
            user: 'lead-beta',
            role: 'team-admin',
            scope: { kind: 'team', name: 'alpha' },
          })
        ).status,
        403,
      );
      const dup = await leadAlpha.post('/api/v1/bindings', {
        user: 'viewer-a',
        role: 'team-admin',
        scope: { kind: 'project', name: 'a' },
      });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error.code, 'ALREADY_EXISTS');
      const ghost = await leadAlpha.post('/api/v1/bindings', {
        user: 'ghost',
        role: 'viewer',
        scope: { kind: 'project', name: 'a' },
      });
      assert.equal(ghost.status, 404);
      assert.equal(ghost.body.error.code, 'USER_NOT_FOUND');
      assert.equal((await leadAlpha.delete(`/api/v1/bindings/${ok.body.id}`)).status, 204);
    });

    void it('revoking a binding takes effect on the next request; bindings are listed only where visible', async () => {
      const grant = await admin.post('/api/v1/bindings', {
        user: 'lead-beta',
        role: 'viewer',
        scope: { kind: 'project', name: 'a' },
      });
      assert.equal(grant.status, 201);
      assert.equal((await leadBeta.get('/api/v1/projects/a')).status, 200);
      const devList = await devA.get('/api/v1/bindings');
      const scopes = devList.body.items.map(
        (b: { scope: { kind: string; name?: string } }) => `${b.scope.kind}:${b.scope.name ?? ''}`,
      );
      assert.ok(scopes.includes('project:a'));
      assert.ok(
        !scopes.some((s: string) => s === 'team:beta' || s === 'project:b' || s === 'platform:'),
        JSON.stringify(scopes),
      );
      const filtered = await admin.get('/api/v1/bindings?user=lead-beta&scope=project:a');
      assert.deepEqual(
        filtered.body.items.map((b: { id: string }) => b.id),
        [grant.body.id],
      );
      assert.equal((await admin.get('/api/v1/bindings?scope=galaxy:a')).status, 400);
      const revoke = await leadBeta.delete(`/api/v1/bindings/${grant.body.id}`);
      assert.equal(revoke.status, 403, 'holding a binding does not allow revoking it');
      assert.equal((await leadAlpha.delete(`/api/v1/bindings/${grant.body.id}`)).status, 204);
      assert.equal((await leadBeta.get('/api/v1/projects/a')).status, 404);
      const platformBinding = (await admin.get('/api/v1/bindings?scope=platform')).body.items[0];
      const hiddenDelete = await leadAlpha.delete(`/api/v1/bindings/${platformBinding.id}`);
      assert.equal(hiddenDelete.status, 404);
      assert.equal(hiddenDelete.body.error.code, 'BINDING_NOT_FOUND');
    });
  });
}
