import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Service, Task } from '@berth/shared';
import { run } from '../src/main';
import { fakeServer, json, sse, testIo } from './test-support';

const base = '/api/v1/projects/shop/envs/test/services';

function task(state: Task['state'], done = 0, message = ''): Task {
  return {
    id: 't1',
    kind: 'deploy',
    target: 'shop/test/web',
    state,
    progress: { done, total: 2, message },
    createdAt: '2025-01-31T12:00:00Z',
    createdBy: 'admin',
    startedAt: null,
    finishedAt: null,
    error: state === 'failed' ? 'container web-2 never became ready' : null,
  };
}

const service: Service = {
  name: 'web',
  project: 'shop',
  env: 'test',
  displayName: '',
  replicas: 2,
  stopped: false,
  release: 3,
  stableRelease: 3,
  spec: {
    image: 'localhost/app:1',
    replicas: 2,
    env: [{ name: 'TOKEN', value: null, secret: true, isSet: true }],
    ports: [{ containerPort: 8080, protocol: 'tcp' }],
    resources: {},
    rollout: {
      maxSurge: 1,
      maxUnavailable: 0,
      progressDeadlineSeconds: 120,
      drainSeconds: 2,
      stopGraceSeconds: 10,
    },
    labels: {},
    runAsRoot: false,
  },
  status: 'healthy',
  readyReplicas: 2,
  message: null,
  createdAt: '2025-01-31T12:00:00Z',
  updatedAt: '2025-01-31T12:00:00Z',
  createdBy: 'admin',
  updatedBy: 'admin',
  version: 5,
};

/** Task routes that walk t1 through running to `end`, with two log lines. */
function taskRoutes(end: Task['state']) {
  return {
    'GET /api/v1/tasks/t1': (_req: unknown, res: Parameters<typeof json>[0]) =>
      sse(res, [
        { event: 'task', data: task('running', 1, 'web-1 ready') },
        { event: 'task', data: task(end, 2, 'done') },
      ]),
    'GET /api/v1/tasks/t1/log': (_req: unknown, res: Parameters<typeof json>[0]) =>
      sse(res, [
        { event: 'line', data: { seq: 1, at: '2025-01-31T12:00:01Z', line: 'container web-1 is ready' } },
        { event: 'line', data: { seq: 2, at: '2025-01-31T12:00:02Z', line: 'container web-2 is ready' } },
        { event: 'end', data: task(end) },
      ]),
  };
}

test('--help and <command> --help print usage and exit 0', async () => {
  const io = testIo({});
  assert.equal(await run(['--help'], io), 0);
  assert.match(io.stdout.text, /^usage: berth <command>/);
  assert.match(io.stdout.text, /services create/);
  const sub = testIo({});
  assert.equal(await run(['services', 'create', '--help'], sub), 0);
  assert.match(sub.stdout.text, /^usage: berth services create NAME --image IMG/);
  assert.match(sub.stdout.text, /--readiness CHECK/);
  assert.match(sub.stdout.text, /-e, --environment ENV/);
  const group = testIo({});
  assert.equal(await run(['services', '--help'], group), 0);
  assert.match(group.stdout.text, /subcommands:\n {2}services list/);
});

test('usage errors exit 2 with a short usage line', async () => {
  const unknown = testIo({});
  assert.equal(await run(['deploi', 'web'], unknown), 2);
  assert.equal(
    unknown.stderr.text,
    'error: unknown command "deploi"\nusage: berth <command> [options]   (berth --help lists the commands)\n',
  );
  const option = testIo({});
  assert.equal(await run(['scale', 'web', '3', '--replica', '2'], option), 2);
  assert.match(option.stderr.text, /^error: unknown option --replica\nusage: berth scale NAME REPLICAS\n$/);
  const missing = testIo({ BERTH_URL: 'http://127.0.0.1:1', BERTH_TOKEN: 't' });
  assert.equal(await run(['scale', 'web', 'lots', '-p', 'shop'], missing), 2);
  assert.match(missing.stderr.text, /REPLICAS must be a whole number/);
  const output = testIo({});
  assert.equal(await run(['teams', 'list', '-o', 'yaml'], output), 2);
  assert.match(output.stderr.text, /--output must be json or text/);
  const noProject = testIo({ BERTH_URL: 'http://127.0.0.1:1', BERTH_TOKEN: 't' });
  assert.equal(await run(['services', 'list'], noProject), 2);
  assert.match(noProject.stderr.text, /-p\/--project/);
});

test('without a login a command fails with exit 1 and says how to log in', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const io = testIo({ BERTH_CLI_CONFIG: path.join(dir, 'none.json') });
  assert.equal(await run(['teams', 'list'], io), 1);
  assert.match(io.stderr.text, /^error: not logged in: run "berth login/);
});

test('an invalid spec is reported field by field and never sent', async (t) => {
  const server = await fakeServer({});
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  const code = await run(
    [
      'services',
      'create',
      'web',
      '-p',
      'shop',
      '--image',
      'Not An Image',
      '--replicas',
      '0',
      '--readiness',
      'tcp:70000',
    ],
    io,
  );
  assert.equal(code, 1);
  assert.match(io.stderr.text, /^error: invalid service\n/);
  assert.match(io.stderr.text, /\n {2}spec\.image: must be an image reference/);
  assert.match(io.stderr.text, /\n {2}spec\.readiness\.port: must be 1 to 65535/);
  assert.equal(server.received.length, 0);
});

test('services create sends the spec, waits for the task and prints progress and log lines', async (t) => {
  const server = await fakeServer({
    [`POST ${base}`]: (_req, res) => json(res, 202, { service, task: task('queued') }),
    ...taskRoutes('succeeded'),
  });
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok', BERTH_PROJECT: 'shop' });
  const argv = [
    'services',
    'create',
    'web',
    '--image',
    'localhost/app:1',
    '--replicas',
    '2',
    '--port',
    '8080',
    '--env',
    'A=1',
    '--secret-env',
    'TOKEN=s3cret',
    '-e',
    'test',
  ];
  assert.equal(await run(argv, io), 0, io.stderr.text);
  const post = server.received.find((r) => r.method === 'POST')!;
  assert.deepEqual(post.body, {
    name: 'web',
    spec: {
      image: 'localhost/app:1',
      replicas: 2,
      ports: [{ containerPort: 8080 }],
      env: [
        { name: 'A', value: '1', secret: false },
        { name: 'TOKEN', value: 's3cret', secret: true },
      ],
    },
  });
  assert.equal(post.headers.authorization, 'Bearer tok');
  assert.match(io.stdout.text, /\[1\/2\] web-1 ready/);
  assert.match(io.stdout.text, / {2}container web-1 is ready\n/);
  assert.match(io.stdout.text, / {2}container web-2 is ready\n/);
  assert.match(io.stdout.text, /service web created: release 3 is rolled out\n$/);
  assert.doesNotMatch(io.stdout.text + io.stderr.text, /tok\b|s3cret/);
});

test('a failed task makes the command fail with the task error', async (t) => {
  const server = await fakeServer({
    [`POST ${base}/web/restart`]: (_req, res) => json(res, 202, { service, task: task('queued') }),
    ...taskRoutes('failed'),
  });
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.equal(await run(['restart', 'web', '-p', 'shop'], io), 1);
  assert.match(io.stderr.text, /^error: task t1 failed: container web-2 never became ready\n$/);
});

test('--no-wait prints the task id and does not follow it; -o json keeps stdout JSON while waiting', async (t) => {
  const server = await fakeServer({
    [`POST ${base}/web/scale`]: (_req, res) => json(res, 202, { service, task: task('queued') }),
    ...taskRoutes('succeeded'),
  });
  t.after(() => server.close());
  const env = { BERTH_URL: server.url, BERTH_TOKEN: 'tok', BERTH_PROJECT: 'shop' };
  const io = testIo(env);
  assert.equal(await run(['scale', 'web', '3', '--no-wait'], io), 0);
  assert.match(io.stdout.text, /^task t1 started \(deploy\)/);
  assert.deepEqual(
    server.received.map((r) => r.method + ' ' + r.url.split('?')[0]),
    [`POST ${base}/web/scale`],
  );
  assert.deepEqual(server.received[0]!.body, { replicas: 3 });

  const jsonIo = testIo(env);
  assert.equal(await run(['scale', 'web', '3', '-o', 'json'], jsonIo), 0);
  const printed = JSON.parse(jsonIo.stdout.text) as { task: Task };
  assert.equal(printed.task.state, 'succeeded');
  assert.match(jsonIo.stderr.text, /container web-1 is ready/);
});

test('services update merges onto the current spec and sends its version', async (t) => {
  const server = await fakeServer({
    [`GET ${base}/web`]: (_req, res) => json(res, 200, service),
    [`PUT ${base}/web`]: (_req, res) => json(res, 200, { service, task: null }),
  });
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.equal(
    await run(['services', 'update', 'web', '-p', 'shop', '--env', 'B=2', '--cpu', '0.25'], io),
    0,
    io.stderr.text,
  );
  const put = server.received.find((r) => r.method === 'PUT')!.body as {
    version: number;
    spec: Service['spec'];
  };
  assert.equal(put.version, 5);
  assert.deepEqual(put.spec.env, [
    { name: 'TOKEN', value: null, secret: true },
    { name: 'B', value: '2', secret: false },
  ]);
  assert.deepEqual(put.spec.resources, { cpu: 0.25 });
  assert.equal(put.spec.image, 'localhost/app:1');
  assert.match(io.stdout.text, /updated \(no new release needed\)/);
});

test('API errors print the message and every field error', async (t) => {
  const server = await fakeServer({
    [`POST ${base}/web/scale`]: (_req, res) =>
      json(res, 422, {
        error: {
          code: 'UNPROCESSABLE',
          message: 'No cluster has room for 40 replicas.',
          details: { fields: [{ path: 'replicas', message: 'too many' }] },
        },
      }),
  });
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.equal(await run(['scale', 'web', '40', '-p', 'shop'], io), 1);
  assert.equal(io.stderr.text, 'error: No cluster has room for 40 replicas.\n  replicas: too many\n');
});

test('services list prints a table', async (t) => {
  const server = await fakeServer({
    [`GET ${base}`]: (_req, res) => json(res, 200, { items: [service], nextCursor: null }),
  });
  t.after(() => server.close());
  const io = testIo({ BERTH_URL: server.url, BERTH_TOKEN: 'tok' });
  assert.equal(await run(['services', 'list', '-p', 'shop'], io), 0);
  const [header, row] = io.stdout.text.split('\n');
  assert.match(header!, /^NAME\s+STATUS\s+READY\s+RELEASE\s+IMAGE\s+UPDATED$/);
  assert.match(row!, /^web\s+healthy\s+2\/2\s+3\s+localhost\/app:1\s+\S+$/);
});

test('login with a password trades the session for a token, stores it 0600 and never prints it', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const me = { user: { name: 'admin', displayName: 'Admin' }, bindings: [], csrfToken: 'csrf-1' };
  const server = await fakeServer({
    'POST /api/v1/auth/login': (req, res) => {
      assert.deepEqual(req.body, { username: 'admin', password: 'pw from stdin' });
      json(res, 200, me, { 'Set-Cookie': 'berth_session=sess-1; Path=/; HttpOnly; SameSite=Strict' });
    },
    'POST /api/v1/me/tokens': (req, res) => {
      assert.equal(req.headers.cookie, 'berth_session=sess-1');
      assert.equal(req.headers['x-csrf-token'], 'csrf-1');
      assert.match((req.body as { name: string }).name, /^cli-[a-z0-9-]+-\d{14}$/);
      json(res, 201, {
        id: 'tk1',
        name: 'cli-x',
        prefix: 'brt_',
        createdAt: '',
        expiresAt: null,
        lastUsedAt: null,
        token: 'brt_SECRET_VALUE',
      });
    },
    'POST /api/v1/auth/logout': (_req, res) => {
      res.writeHead(204);
      res.end();
    },
    'GET /api/v1/me': (req, res) =>
      json(res, req.headers.authorization === 'Bearer brt_SECRET_VALUE' ? 200 : 401, me),
  });
  t.after(() => server.close());
  const file = path.join(dir, 'config.json');
  const io = testIo({ BERTH_CLI_CONFIG: file }, 'pw from stdin\n');
  assert.equal(
    await run(['login', server.url, '--username', 'admin', '--password-stdin'], io),
    0,
    io.stderr.text,
  );
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {
    url: server.url,
    token: 'brt_SECRET_VALUE',
    user: 'admin',
    tokenId: 'tk1',
  });
  assert.ok(
    server.received.some((r) => r.url === '/api/v1/auth/logout'),
    'the login session is ended',
  );
  assert.doesNotMatch(io.stdout.text + io.stderr.text, /SECRET|pw from stdin/);

  const who = testIo({ BERTH_CLI_CONFIG: file });
  assert.equal(await run(['whoami'], who), 0, who.stderr.text);
  assert.match(who.stdout.text, /^user: {3}admin \(Admin\)\n/);
});

test('login --token checks the token with GET /me before storing it', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const server = await fakeServer({
    'GET /api/v1/me': (_req, res) =>
      json(res, 401, { error: { code: 'UNAUTHENTICATED', message: 'The token is not valid.' } }),
  });
  t.after(() => server.close());
  const file = path.join(dir, 'config.json');
  const io = testIo({ BERTH_CLI_CONFIG: file });
  assert.equal(await run(['login', server.url, '--token', 'brt_WRONG'], io), 1);
  assert.match(io.stderr.text, /^error: The token is not valid\./);
  await assert.rejects(stat(file), /ENOENT/);
});
