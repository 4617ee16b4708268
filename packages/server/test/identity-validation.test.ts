import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDialects, type ApiResult, type Caller } from './helpers/db';
import { adminServer } from './helpers/admin-server';

const adminPassword = 'admin-password-for-validation-tests';

function assertErrorShape(res: ApiResult, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error.code, code);
  assert.equal(typeof res.body.error.message, 'string');
  assert.ok(res.body.error.message.length > 0);
}

for (const dialect of testDialects()) {
  void describe(`identity: request validation (${dialect})`, () => {
    let admin: Caller;

    adminServer(dialect, adminPassword, (s) => ({ admin } = s));

    void it('bad JSON is 400 INVALID_REQUEST', async () => {
      assertErrorShape(await admin.call('POST', '/api/v1/teams', '{"name": "x",'), 400, 'INVALID_REQUEST');
      assertErrorShape(await admin.call('POST', '/api/v1/auth/login', 'not json'), 400, 'INVALID_REQUEST');
    });

    void it('an unknown field is 400 naming the field', async () => {
      const res = await admin.post('/api/v1/teams', { name: 'valid', colour: 'red' });
      assertErrorShape(res, 400, 'INVALID_REQUEST');
      assert.match(res.body.error.message, /colour/);
      assert.ok(res.body.error.details.fields.some((f: { message: string }) => f.message.includes('colour')));
      assert.equal((await admin.get('/api/v1/teams/valid')).status, 404);
    });

    void it('an invalid name is 400 with the field path, in bodies and in paths', async () => {
      const res = await admin.post('/api/v1/teams', { name: 'Bad_Name' });
      assertErrorShape(res, 400, 'INVALID_REQUEST');
      assert.deepEqual(
        res.body.error.details.fields.map((f: { path: string }) => f.path),
        ['name'],
      );
      assertErrorShape(
        await admin.post('/api/v1/users', { name: 'ok-name', password: 'short' }),
        400,
        'INVALID_REQUEST',
      );
      assertErrorShape(
        await admin.post('/api/v1/projects', { name: '-x', team: 't' }),
        400,
        'INVALID_REQUEST',
      );
      assertErrorShape(await admin.get('/api/v1/projects/Not_A_Label'), 400, 'INVALID_REQUEST');
      assertErrorShape(await admin.get(`/api/v1/users/${'a'.repeat(64)}`), 400, 'INVALID_REQUEST');
    });

    void it('a body over 1 MiB is 413', async () => {
      const big = JSON.stringify({ name: 'big', displayName: 'x'.repeat(1024 * 1024 + 10) });
      assertErrorShape(await admin.call('POST', '/api/v1/teams', big), 413, 'PAYLOAD_TOO_LARGE');
    });

    void it('missing bodies, wrong media types and bad query parameters are 4xx, never 5xx', async () => {
      assertErrorShape(await admin.call('POST', '/api/v1/teams', ''), 400, 'INVALID_REQUEST');
      assertErrorShape(
        await admin.call('POST', '/api/v1/teams', '<team/>', { 'content-type': 'application/xml' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      assertErrorShape(
        await admin.call('POST', '/api/v1/teams', 'name=x', { 'content-type': 'text/plain' }),
        400,
        'INVALID_REQUEST',
      );
      assertErrorShape(await admin.get('/api/v1/teams?limit=0'), 400, 'INVALID_REQUEST');
      assertErrorShape(await admin.get('/api/v1/teams?limit=abc'), 400, 'INVALID_REQUEST');
      assertErrorShape(await admin.get('/api/v1/projects?tema=x'), 400, 'INVALID_REQUEST');
      assertErrorShape(await admin.get('/api/v1/teams?cursor=%25%25'), 400, 'INVALID_REQUEST');
      assertErrorShape(
        await admin.post('/api/v1/bindings', { user: 'admin', role: 'god', scope: { kind: 'platform' } }),
        400,
        'INVALID_REQUEST',
      );
      assertErrorShape(
        await admin.post('/api/v1/bindings', { user: 'admin', role: 'viewer', scope: { kind: 'team' } }),
        400,
        'INVALID_REQUEST',
      );
      assertErrorShape(
        await admin.patch('/api/v1/users/admin', { displayName: 'A' }, { 'if-match': 'soon' }),
        400,
        'INVALID_REQUEST',
      );
      assertErrorShape(await admin.post('/api/v1/auth/login', { username: 'admin' }), 400, 'INVALID_REQUEST');
    });

    void it('invalid writes are audited as failures, with the reason', async () => {
      await admin.post('/api/v1/teams', { name: 'Audited_Bad' });
      const res = await admin.get('/api/v1/audit?action=teams.create&result=failure');
      const event = res.body.items.find(
        (e: { request: { name?: string } | null }) => e.request?.name === 'Audited_Bad',
      );
      assert.ok(event, JSON.stringify(res.body.items));
      assert.equal(event.statusCode, 400);
      assert.match(event.message, /name/);
    });
  });
}
