/**
 * Hardening of reads (issue 10), tried as a developer of another project: /metrics needs the
 * scrape token, gateways show no snippets, versions or nodes to non-admins, denied reads are
 * audited like denied writes; and the leader lease survives renewal errors until it really expires.
 */
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { KyselyPlugin } from 'kysely';
import { LeaderLease, type LeaseLog } from '../src/runtime/leader-lease';
import { migrateToLatest, openDatabase } from '../src/db/database';
import { nowIso } from '../src/util';
import { createTestDatabase, type TestDatabase } from './helpers/db';
import { freePort } from './helpers/net';
import { eventually, makeProject, startPlatform, TestApi, type TestPlatform } from './helpers/platform';

type Obj = Record<string, unknown>;

interface AuditRow {
  actor: string;
  action: string;
  result: string;
  statusCode: number;
  project: string | null;
}

describe('hardening: scoped reads as a developer of another project', () => {
  let p: TestPlatform;
  let dev: TestApi;
  const metricsToken = `metrics-${randomBytes(12).toString('hex')}`;

  /** Audit events of one action, newest first, as the admin reads them. */
  async function audits(action: string): Promise<AuditRow[]> {
    const r = await p.api.get<{ items: AuditRow[] }>(
      `/api/v1/audit?action=${encodeURIComponent(action)}&limit=50`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items.filter((e) => e.action === action);
  }

  before(async () => {
    p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off', BERTH_METRICS_TOKEN: metricsToken });
    await makeProject(p.api, 'shop');
    await makeProject(p.api, 'blog');
    const password = `pw-${randomBytes(6).toString('hex')}`;
    assert.equal((await p.api.post('/api/v1/users', { name: 'mallory', password })).status, 201);
    const grant = await p.api.post('/api/v1/bindings', {
      user: 'mallory',
      role: 'developer',
      scope: { kind: 'project', name: 'blog' },
    });
    assert.equal(grant.status, 201, JSON.stringify(grant.body));
    dev = await TestApi.login(p.url, 'mallory', password);
  });
  after(async () => {
    await p?.close();
  });

  it('/metrics answers only the scrape token or a platform admin; refusals are audited', async () => {
    const anonymous = new TestApi(p.url, null);
    const refused = await anonymous.get<{ error: { message: string } }>('/metrics');
    assert.equal(refused.status, 401);
    assert.match(refused.body.error.message, /Authorization: Bearer/);
    assert.equal((await new TestApi(p.url, 'not-the-token-at-all').get('/metrics')).status, 401);
    const asDev = await dev.get<{ error: { message: string } }>('/metrics');
    assert.equal(asDev.status, 403);
    assert.match(asDev.body.error.message, /platform admin/);
    const scraped = await new TestApi(p.url, metricsToken).get<string>('/metrics');
    assert.equal(scraped.status, 200);
    assert.match(scraped.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal((await p.api.get('/metrics')).status, 200, "a platform admin's API token works too");
    const denied = (await audits('meta.metrics')).filter((e) => e.result === 'denied');
    assert.equal(denied.length, 3, JSON.stringify(denied));
    assert.deepEqual(denied.map((e) => e.statusCode).sort(), [401, 401, 403]);
  });

  it('the generated scrape token lives in the data dir when BERTH_METRICS_TOKEN is unset', async () => {
    const q = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off' });
    try {
      const token = readFileSync(path.join(q.dataDir, 'metrics.token'), 'utf8').trim();
      assert.ok(token.length >= 32);
      assert.equal((await new TestApi(q.url, token).get('/metrics')).status, 200);
      assert.equal((await new TestApi(q.url, null).get('/metrics')).status, 401);
    } finally {
      await q.close();
    }
  });

  it('gateways show a developer no snippets, versions, diffs or nodes', async () => {
    const created = await p.api.post<Obj>('/api/v1/gateways', {
      name: 'edge',
      env: 'test',
      listen: `127.0.0.1:${await freePort()}`,
      description: 'edge nodes',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const asAdmin = await p.api.get<Obj>('/api/v1/gateways/edge');
    assert.ok(asAdmin.body.snippets, 'admins see snippets');
    const one = await dev.get<Obj>('/api/v1/gateways/edge');
    assert.equal(one.status, 200);
    assert.equal(one.body.name, 'edge');
    assert.equal('snippets' in one.body, false, JSON.stringify(one.body));
    const list = await dev.get<{ items: Obj[] }>('/api/v1/gateways');
    assert.ok(list.body.items.length >= 1);
    for (const g of list.body.items) assert.equal('snippets' in g, false);
    for (const url of [
      '/api/v1/gateways/edge/versions',
      '/api/v1/gateways/edge/versions/1',
      '/api/v1/gateways/edge/versions/1/diff/1',
      '/api/v1/gateways/edge/nodes',
    ]) {
      const r = await dev.get<{ error: { message: string } }>(url);
      assert.equal(r.status, 403, `${url}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error.message, /platform:admin/);
    }
    const denied = (await audits('gateways.versions')).filter((e) => e.actor === 'mallory');
    assert.equal(denied.length, 1);
    assert.equal(denied[0]!.result, 'denied');
    assert.equal((await audits('gateways.nodes')).filter((e) => e.actor === 'mallory').length, 1);
  });

  it("another project's tasks, logs, events, stats and shell sessions are denied and audited", async () => {
    const db = p.server.ctx.db;
    const taskId = `task${randomBytes(6).toString('hex')}`;
    await db
      .insertInto('tasks')
      .values({
        id: taskId,
        kind: 'deploy',
        target: 'shop/test/web',
        service_id: null,
        state: 'succeeded',
        progress_done: 1,
        progress_total: 1,
        progress_message: 'done',
        created_at: nowIso(),
        created_by: 'admin',
        started_at: nowIso(),
        finished_at: nowIso(),
        error: null,
      })
      .execute();
    assert.equal((await p.api.get(`/api/v1/tasks/${taskId}`)).status, 200);
    const task = await dev.get<{ error: { message: string } }>(`/api/v1/tasks/${taskId}`);
    assert.equal(task.status, 404);
    assert.match(task.body.error.message, /does not exist or you have no access/);
    assert.equal((await dev.get(`/api/v1/tasks/${taskId}/log`)).status, 404);
    const missing = `task${randomBytes(6).toString('hex')}`;
    assert.equal((await dev.get(`/api/v1/tasks/${missing}`)).status, 404, 'a missing task: same answer');
    const taskAudits = (await audits('tasks.get')).filter((e) => e.actor === 'mallory');
    assert.equal(taskAudits.length, 1, 'only the hidden task is a denial, not the missing one');
    assert.equal(taskAudits[0]!.result, 'denied');
    assert.equal((await audits('tasks.log')).filter((e) => e.actor === 'mallory').length, 1);

    const svc = '/api/v1/projects/shop/envs/test/services/web';
    for (const [url, action] of [
      [`${svc}/logs`, 'services.logs'],
      [`${svc}/containers/web-1/logs`, 'containers.logs'],
      [`${svc}/events`, 'services.events'],
      [`${svc}/stats`, 'services.stats'],
    ] as const) {
      const r = await dev.get(url);
      assert.equal(r.status, 404, `${url}: ${JSON.stringify(r.body)}`);
      const rows = (await audits(action)).filter((e) => e.actor === 'mallory');
      assert.equal(rows.length, 1, `${action}: one audit event per denied request`);
      assert.equal(rows[0]!.result, 'denied');
      assert.equal(rows[0]!.project, 'shop');
    }

    const sessionId = randomBytes(8).toString('hex');
    const serviceId = `svc${randomBytes(4).toString('hex')}`;
    await db
      .insertInto('shell_sessions')
      .values({
        id: sessionId,
        actor: 'admin',
        service_id: serviceId,
        container: 'web-1',
        user: 'app',
        started_at: nowIso(),
        ended_at: nowIso(),
        exit_code: 0,
        recording: '',
      })
      .execute();
    const session = await dev.get(`/api/v1/shell-sessions/${sessionId}`);
    assert.equal(session.status, 404);
    const sessionAudits = (await audits('shellSessions.get')).filter((e) => e.actor === 'mallory');
    assert.equal(sessionAudits.length, 1);
    assert.equal(sessionAudits[0]!.result, 'denied');
  });
});

describe('hardening: the leader lease survives renewal errors until it really expires', () => {
  let testDb: TestDatabase;
  before(async () => {
    testDb = await createTestDatabase('sqlite');
  });
  after(async () => {
    await testDb.drop();
  });

  it('logs and retries failed renewals; stops only after the expiry passed, and says so', async () => {
    const opened = openDatabase(testDb.url);
    await migrateToLatest(opened.db);
    let failing = false;
    // Every statement on the lease table fails while `failing`, as a locked database would.
    const plugin: KyselyPlugin = {
      transformQuery(args) {
        if (failing) throw new Error('SQLITE_BUSY: database is locked');
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    };
    const db = opened.db.withPlugin(plugin);
    const logged: { level: string; msg: string; obj: Obj }[] = [];
    const log: LeaseLog = {
      info: (obj, msg) => logged.push({ level: 'info', msg, obj: obj as Obj }),
      warn: (obj, msg) => logged.push({ level: 'warn', msg, obj: obj as Obj }),
      error: (obj, msg) => logged.push({ level: 'error', msg, obj: obj as Obj }),
    };
    const ttlMs = 1200;
    const lease = new LeaderLease(db, 'controllers', `t:${process.pid}`, {
      ttlMs,
      renewMs: 150,
      retryMs: 100,
      log,
    });
    const changes: { leading: boolean; at: number }[] = [];
    lease.start((leading) => changes.push({ leading, at: Date.now() }));
    try {
      await eventually(async () => (changes.length === 1 ? true : null), 'leadership', 5000, 20);
      assert.equal(changes[0]!.leading, true);

      // A short outage (well within the lease): warnings, retries, leadership kept.
      failing = true;
      await eventually(
        async () => (logged.filter((l) => l.level === 'warn').length >= 2 ? true : null),
        'two logged renewal failures',
        5000,
        20,
      );
      failing = false;
      await eventually(
        async () => (logged.some((l) => l.level === 'info' && /renewed/.test(l.msg)) ? true : null),
        'a successful renewal after the outage',
        5000,
        20,
      );
      assert.equal(changes.length, 1, 'leadership survived the short outage');
      const warn = logged.find((l) => l.level === 'warn')!;
      assert.match(warn.msg, /could not renew the leader lease 'controllers'/);
      assert.match(String((warn.obj.err as Error).message), /database is locked/);

      // A long outage: leadership ends only once the last written lease has expired.
      const lastRenewal = Date.now();
      failing = true;
      await eventually(async () => (changes.length === 2 ? true : null), 'leadership lost', 10_000, 20);
      assert.equal(changes[1]!.leading, false);
      const lostAfter = changes[1]!.at - lastRenewal;
      assert.ok(
        lostAfter >= ttlMs - 200,
        `stopped ${lostAfter} ms after the last renewal, before the expiry`,
      );
      const error = logged.find((l) => l.level === 'error');
      assert.ok(error, JSON.stringify(logged.map((l) => l.msg)));
      assert.match(
        error.msg,
        /lost the leader lease 'controllers' at \d{4}-\d\d-\d\dT[\d:.]+Z .*controllers stopped/,
      );

      // The database comes back: the lease is won again.
      failing = false;
      await eventually(async () => (changes.length === 3 ? true : null), 'leadership regained', 5000, 20);
      assert.equal(changes[2]!.leading, true);
    } finally {
      failing = false;
      await lease.stop();
      await opened.close();
    }
  });
});
