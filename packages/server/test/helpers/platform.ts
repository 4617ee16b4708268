import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PodmanEngine } from '@berth/engine-podman';
import { loadConfig } from '../../src/config/config';
import { buildServer, type BerthServer, type BuildOptions } from '../../src/server';
import type { MonitoringModule } from '../../src/modules/monitoring/monitoring.module';
import { createTestDatabase, type TestDialect } from './db';

export const podmanSocket = process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-test/podman.sock';
export const testImage = 'localhost/berth-busybox:1';
export const adminPassword = 'admin-password-for-tests';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small JSON client for tests, authenticated with a bearer token. */
export class TestApi {
  constructor(
    readonly url: string,
    public token: string | null,
  ) {}

  async call<T = Record<string, unknown>>(
    method: string,
    p: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const res = await fetch(this.url + p, {
      method,
      headers: {
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (logs, metrics): keep the text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = Record<string, unknown>>(p: string) {
    return this.call<T>('GET', p);
  }
  post<T = Record<string, unknown>>(p: string, body?: unknown) {
    return this.call<T>('POST', p, body ?? {});
  }
  put<T = Record<string, unknown>>(p: string, body: unknown) {
    return this.call<T>('PUT', p, body);
  }
  delete<T = Record<string, unknown>>(p: string) {
    return this.call<T>('DELETE', p);
  }

  /** Logs in with a password and swaps the session for an API token. */
  static async login(url: string, username: string, password: string): Promise<TestApi> {
    const res = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${await res.text()}`);
    const me = (await res.json()) as { csrfToken: string };
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    const tok = await fetch(`${url}/api/v1/me/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie, 'X-CSRF-Token': me.csrfToken },
      body: JSON.stringify({ name: `t${randomBytes(4).toString('hex')}` }),
    });
    if (tok.status !== 201) throw new Error(`token creation failed: ${tok.status} ${await tok.text()}`);
    const { token } = (await tok.json()) as { token: string };
    return new TestApi(url, token);
  }
}

export interface TestPlatform {
  server: BerthServer;
  url: string;
  api: TestApi;
  dataDir: string;
  instanceId: string;
  engine: PodmanEngine;
  close(): Promise<void>;
}

/**
 * A real Berth on the real Podman engine, with its own data dir, port and instance id; on
 * SQLite, or on a fresh PostgreSQL database with `dialect: 'postgres'`.
 */
export async function startPlatform(
  env: Record<string, string> = {},
  opts: {
    dialect?: TestDialect;
    build?: Omit<BuildOptions, 'engine'>;
    /** A real stack (test/helpers/monitoring.ts startMonitoring().module); default: monitoring off. */
    monitoring?: MonitoringModule;
  } = {},
): Promise<TestPlatform> {
  const pgDb = opts.dialect === 'postgres' ? await createTestDatabase('postgres') : null;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-it-'));
  const instanceId = `t${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    BERTH_DATA_DIR: dataDir,
    BERTH_LISTEN: '127.0.0.1:0',
    BERTH_ADMIN_PASSWORD: adminPassword,
    BERTH_PODMAN_SOCKET: podmanSocket,
    BERTH_INSTANCE_ID: instanceId,
    BERTH_LOG_LEVEL: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent',
    BERTH_RECONCILE_INTERVAL_MS: '250',
    BERTH_STATS_INTERVAL_MS: '1000',
    // never a Prometheus someone runs on the default port: a test passes its own (opts.monitoring)
    BERTH_MONITORING: 'off',
    ...(pgDb ? { BERTH_DATABASE_URL: pgDb.url } : {}),
    // A portal built elsewhere (helpers building side by side must not share packages/web/dist).
    ...(process.env.BERTH_TEST_WEB_DIST ? { BERTH_WEB_DIST: process.env.BERTH_TEST_WEB_DIST } : {}),
    ...env,
  });
  const engine = new PodmanEngine({ socketPath: podmanSocket, cluster: 'local' });
  const server = await buildServer(config, {
    ...opts.build,
    engine,
    ...(opts.monitoring ? { monitoring: opts.monitoring } : {}),
  });
  let url: string;
  let api: TestApi;
  try {
    url = await server.start();
    api = await TestApi.login(url, 'admin', adminPassword);
  } catch (err) {
    // a server left open keeps the file's process alive after its tests failed
    await server.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    await pgDb?.drop().catch(() => undefined);
    throw err;
  }
  return {
    server,
    url,
    api,
    dataDir,
    instanceId,
    engine,
    async close() {
      await server.close();
      await removeInstanceContainers(engine, instanceId);
      rmSync(dataDir, { recursive: true, force: true });
      await pgDb?.drop();
    },
  };
}

export async function removeInstanceContainers(engine: PodmanEngine, instanceId: string): Promise<void> {
  const left = [
    ...(await engine.listContainers({ 'berth.instance': instanceId })),
    // cron runs carry their own instance label; one left behind would keep its env network in use
    ...(await engine.listContainers({ 'berth.cron-instance': instanceId })),
  ];
  await Promise.all(left.map((c) => engine.removeContainer(c.id)));
  // the instance's env networks (docs/networks.md), once no container is on them
  const networks = await engine.listNetworks({ 'berth.instance': instanceId });
  for (const n of networks) await engine.removeNetwork(n.name);
}

/** Polls until fn returns a truthy value or the time is up. */
export async function eventually<T>(
  fn: () => Promise<T | null | undefined | false>,
  what: string,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

/** A busybox web server whose page says the VERSION env var; ready when it serves. */
export function webSpec(version: string, replicas = 3, extra: Record<string, unknown> = {}) {
  return {
    image: testImage,
    command: [
      'sh',
      '-c',
      'mkdir -p /tmp/www && echo "$VERSION" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
    ],
    env: [{ name: 'VERSION', value: version }],
    ports: [{ containerPort: 8080 }],
    readiness: { type: 'http', path: '/index.html', periodSeconds: 1 },
    rollout: {
      maxSurge: 1,
      maxUnavailable: 0,
      drainSeconds: 1,
      stopGraceSeconds: 5,
      // generous: on a machine loaded far past its cores a container took minutes to start, and
      // a rollback there is noise in tests that count lost requests (services.it tests rollback)
      progressDeadlineSeconds: 300,
    },
    replicas,
    ...extra,
  };
}

/** Creates user `name` (password `<name>-password`) with `role` on `project`, logged in. */
export async function userWithRole(
  p: Pick<TestPlatform, 'api' | 'url'>,
  name: string,
  role: string,
  project: string,
): Promise<TestApi> {
  const u = await p.api.post('/api/v1/users', { name, password: `${name}-password` });
  if (u.status !== 201) throw new Error(`user ${name}: ${u.status} ${JSON.stringify(u.body)}`);
  const b = await p.api.post('/api/v1/bindings', {
    user: name,
    role,
    scope: { kind: 'project', name: project },
  });
  if (b.status !== 201) throw new Error(`binding of ${name}: ${b.status} ${JSON.stringify(b.body)}`);
  return TestApi.login(p.url, name, `${name}-password`);
}

/** Creates a team and project as admin; returns the services base path for env test. */
export async function makeProject(api: TestApi, project: string, team = `team-${project}`): Promise<string> {
  const t = await api.post('/api/v1/teams', { name: team });
  if (t.status !== 201 && t.status !== 409) throw new Error(`team: ${t.status} ${JSON.stringify(t.body)}`);
  const p = await api.post('/api/v1/projects', { name: project, team });
  if (p.status !== 201) throw new Error(`project: ${p.status} ${JSON.stringify(p.body)}`);
  return `/api/v1/projects/${project}/envs/test/services`;
}

export async function waitTask(
  api: TestApi,
  taskId: string,
  // longer than webSpec's progress deadline: a task ends by itself (succeeded or rolled back)
  timeoutMs = 360_000,
): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const r = await api.get<Record<string, unknown>>(`/api/v1/tasks/${taskId}`);
      const state = r.body.state as string;
      return ['succeeded', 'failed', 'cancelled'].includes(state) ? r.body : null;
    },
    `task ${taskId}`,
    timeoutMs,
  );
}
