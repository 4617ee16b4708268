import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, containerPath, errorFromResponse, servicePath } from '../src/api-client';
import { ApiError, CliError } from '../src/errors';
import { fakeServer, json, sse } from './test-support';

test('errorFromResponse maps the API error body, with field errors', () => {
  const body = JSON.stringify({
    error: {
      code: 'INVALID_REQUEST',
      message: 'Invalid request body.',
      details: { fields: [{ path: 'spec.replicas', message: 'must be at most 100' }, { bogus: 1 }] },
    },
  });
  const err = errorFromResponse(400, 'Bad Request', body);
  assert.equal(err.status, 400);
  assert.equal(err.code, 'INVALID_REQUEST');
  assert.equal(err.message, 'Invalid request body.');
  assert.deepEqual(err.fields, [{ path: 'spec.replicas', message: 'must be at most 100' }]);
  assert.equal(err.exitCode, 1);
});

test('errorFromResponse copes with non-JSON bodies and hints at login on 401', () => {
  assert.equal(
    errorFromResponse(502, 'Bad Gateway', '<html>').message,
    'the server answered HTTP 502 Bad Gateway',
  );
  const unauth = errorFromResponse(
    401,
    '',
    JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'Log in first.' } }),
  );
  assert.match(unauth.message, /^Log in first\. Run "berth login"/);
  const wrong = errorFromResponse(
    401,
    '',
    JSON.stringify({ error: { code: 'INVALID_CREDENTIALS', message: 'Wrong username or password.' } }),
  );
  assert.equal(wrong.message, 'Wrong username or password.');
});

test('requests carry the bearer token and JSON; errors become ApiError', async (t) => {
  const server = await fakeServer({
    'GET /api/v1/me': (req, res) => json(res, 200, { auth: req.headers.authorization }),
    'POST /api/v1/teams': (_req, res) =>
      json(res, 409, { error: { code: 'ALREADY_EXISTS', message: "Team 'a' exists." } }),
  });
  t.after(() => server.close());
  const client = new ApiClient({ baseUrl: `${server.url}/`, token: 'tok' });
  assert.deepEqual(await client.get('/api/v1/me'), { auth: 'Bearer tok' });
  await assert.rejects(
    client.post('/api/v1/teams', { name: 'a' }),
    (e: unknown) => e instanceof ApiError && e.status === 409 && e.code === 'ALREADY_EXISTS',
  );
  assert.deepEqual(server.received[1]!.body, { name: 'a' });
  assert.equal(server.received[1]!.headers['content-type'], 'application/json');
});

test('list follows nextCursor through every page', async (t) => {
  const server = await fakeServer({
    'GET /api/v1/teams': (req, res) => {
      const cursor = new URL(req.url, 'http://x').searchParams.get('cursor');
      json(
        res,
        200,
        cursor ? { items: [{ name: 'b' }], nextCursor: null } : { items: [{ name: 'a' }], nextCursor: 'c1' },
      );
    },
  });
  t.after(() => server.close());
  const page = await new ApiClient({ baseUrl: server.url }).list<{ name: string }>('/api/v1/teams');
  assert.deepEqual(
    page.items.map((i) => i.name),
    ['a', 'b'],
  );
  assert.equal(server.received.length, 2);
  assert.match(server.received[1]!.url, /cursor=c1/);
});

test('an unreachable server is a CliError naming the URL', async () => {
  const client = new ApiClient({ baseUrl: 'http://127.0.0.1:1' });
  await assert.rejects(
    client.get('/api/v1/me'),
    (e: unknown) =>
      e instanceof CliError && /cannot reach the Berth server at http:\/\/127\.0\.0\.1:1/.test(e.message),
  );
});

test('stream yields the events of a chunked SSE response and asks for an event stream', async (t) => {
  const server = await fakeServer({
    'GET /api/v1/tasks/t1/log': (_req, res) =>
      sse(res, [
        { event: 'line', data: { seq: 1, at: 'x', line: 'container web-1 ready ✓' } },
        { event: 'end', data: null },
      ]),
  });
  t.after(() => server.close());
  const events = [];
  for await (const e of new ApiClient({ baseUrl: server.url }).stream('/api/v1/tasks/t1/log', {
    follow: true,
  }))
    events.push(e);
  assert.deepEqual(
    events.map((e) => e.event),
    ['line', 'end'],
  );
  assert.equal((JSON.parse(events[0]!.data) as { line: string }).line, 'container web-1 ready ✓');
  assert.equal(server.received[0]!.headers.accept, 'text/event-stream');
  assert.match(server.received[0]!.url, /follow=true/);
});

test('paths encode their segments', () => {
  assert.equal(
    servicePath('shop', 'test', 'web', '/scale'),
    '/api/v1/projects/shop/envs/test/services/web/scale',
  );
  assert.equal(
    containerPath('p', 'e', 's', 'a/b', '/logs'),
    '/api/v1/projects/p/envs/e/services/s/containers/a%2Fb/logs',
  );
});
