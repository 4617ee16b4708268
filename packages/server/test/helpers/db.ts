import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config/config';
import { buildServer, type BerthServer } from '../../src/server';

export type TestDialect = 'sqlite' | 'postgres';

/**
 * The dialects the store suites run against: SQLite always, PostgreSQL when BERTH_TEST_PG_URL
 * points at a server (scripts/pg-test.sh starts one). Loop over these, as Kysely's tests do.
 */
export function testDialects(): TestDialect[] {
  return process.env.BERTH_TEST_PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** A fresh, empty database of one dialect with a temp data dir; drop() removes both. */
export interface TestDatabase {
  dialect: TestDialect;
  /** Value for BERTH_DATABASE_URL. */
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-test-'));
  if (dialect === 'sqlite') {
    return {
      dialect,
      url: path.join(dataDir, 'berth.sqlite'),
      dataDir,
      drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
    };
  }
  const admin = process.env.BERTH_TEST_PG_URL;
  if (!admin)
    throw new Error('BERTH_TEST_PG_URL is not set: run scripts/pg-test.sh and export the URL it prints');
  // The name is generated here (hex only), so interpolating it into DDL is safe.
  const name = `berth_test_${randomBytes(6).toString('hex')}`;
  await withPg(admin, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    dialect,
    url: url.toString(),
    dataDir,
    async drop() {
      await withPg(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function withPg(url: string, fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

/** Config of a test server on a test database; `env` adds or overrides BERTH_* variables. */
export function testConfig(db: TestDatabase, env: Record<string, string | undefined> = {}): Readonly<Config> {
  return loadConfig({
    BERTH_DATA_DIR: db.dataDir,
    BERTH_DATABASE_URL: db.url,
    BERTH_LOG_LEVEL: 'silent',
    BERTH_SUPERVISE: '0',
    ...env,
  });
}

// Tests walk arbitrary JSON responses; typing each one would only restate the assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ApiResult {
  status: number;
  body: Json;
  headers: Record<string, string | string[] | number | undefined>;
}

/** Credentials a Caller sends: a session cookie (+ CSRF token), a bearer token, or nothing. */
export interface Credentials {
  cookie?: string;
  csrfToken?: string | null;
  bearer?: string;
  ip?: string;
}

/** Calls the API through app.inject() as one client; writes send X-CSRF-Token when it has one. */
export class Caller {
  constructor(
    readonly app: FastifyInstance,
    readonly creds: Credentials = {},
  ) {}

  async call(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResult> {
    const h: Record<string, string> = { ...headers };
    if (this.creds.cookie) h.cookie = this.creds.cookie;
    if (this.creds.bearer) h.authorization = `Bearer ${this.creds.bearer}`;
    if (this.creds.csrfToken && method !== 'GET' && !('x-csrf-token' in h))
      h['x-csrf-token'] = this.creds.csrfToken;
    if (body !== undefined && !('content-type' in h)) h['content-type'] = 'application/json';
    const res = await this.app.inject({
      method: method as 'GET',
      url,
      headers: h,
      remoteAddress: this.creds.ip ?? '127.0.0.1',
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    let parsed: Json = null;
    if (res.body) {
      try {
        parsed = JSON.parse(res.body);
      } catch {
        parsed = res.body;
      }
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  }

  get(url: string) {
    return this.call('GET', url);
  }
  post(url: string, body: unknown = {}) {
    return this.call('POST', url, body);
  }
  patch(url: string, body: unknown, headers?: Record<string, string>) {
    return this.call('PATCH', url, body, headers);
  }
  delete(url: string) {
    return this.call('DELETE', url);
  }
}

/** Logs in through POST /auth/login and returns a cookie-session caller; throws unless 200. */
export async function loginAs(
  app: FastifyInstance,
  username: string,
  password: string,
  ip = '127.0.0.1',
): Promise<Caller> {
  const res = await new Caller(app, { ip }).post('/api/v1/auth/login', { username, password });
  if (res.status !== 200)
    throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  const setCookie = String(res.headers['set-cookie'] ?? '');
  return new Caller(app, { cookie: setCookie.split(';')[0] ?? '', csrfToken: res.body.csrfToken, ip });
}

/** Creates a user (as `admin`) and grants the given roles; returns a logged-in caller for them. */
export async function createUserWith(
  admin: Caller,
  name: string,
  grants: Array<{ role: string; scope: { kind: 'platform' } | { kind: 'team' | 'project'; name: string } }>,
): Promise<Caller> {
  const password = `pw-${name}-${randomBytes(4).toString('hex')}`;
  const created = await admin.post('/api/v1/users', { name, password });
  if (created.status !== 201)
    throw new Error(`create user ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  for (const g of grants) {
    const res = await admin.post('/api/v1/bindings', { user: name, ...g });
    if (res.status !== 201)
      throw new Error(`grant ${g.role} to ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return loginAs(admin.app, name, password, admin.creds.ip);
}

/** The callers of the two-team fixture: teams alpha/beta with projects a/b. */
export interface TwoTeams {
  server: BerthServer;
  admin: Caller;
  /** Viewer of project a. */
  viewerA: Caller;
  /** Developer of project a. */
  devA: Caller;
  /** Team admin of alpha. */
  leadAlpha: Caller;
  /** Team admin of beta. */
  leadBeta: Caller;
}

/**
 * A server on `db` with two teams, each with a project (alpha/a and beta/b), and users: a viewer
 * and a developer of project a, a team admin of alpha, a team admin of beta.
 */
export async function startTwoTeams(db: TestDatabase, adminPassword: string): Promise<TwoTeams> {
  const server = await buildServer(testConfig(db, { BERTH_ADMIN_PASSWORD: adminPassword }));
  const admin = await loginAs(server.app, 'admin', adminPassword);
  for (const team of ['alpha', 'beta']) await expectStatus(admin.post('/api/v1/teams', { name: team }), 201);
  await expectStatus(admin.post('/api/v1/projects', { name: 'a', team: 'alpha' }), 201);
  await expectStatus(admin.post('/api/v1/projects', { name: 'b', team: 'beta' }), 201);
  const project = (name: string) => ({ kind: 'project' as const, name });
  const team = (name: string) => ({ kind: 'team' as const, name });
  return {
    server,
    admin,
    viewerA: await createUserWith(admin, 'viewer-a', [{ role: 'viewer', scope: project('a') }]),
    devA: await createUserWith(admin, 'dev-a', [{ role: 'developer', scope: project('a') }]),
    leadAlpha: await createUserWith(admin, 'lead-alpha', [{ role: 'team-admin', scope: team('alpha') }]),
    leadBeta: await createUserWith(admin, 'lead-beta', [{ role: 'team-admin', scope: team('beta') }]),
  };
}

async function expectStatus(res: Promise<ApiResult>, status: number): Promise<void> {
  const r = await res;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
}
