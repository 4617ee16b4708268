import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { probeCreateSchema, re2Refusal } from '@berth/shared';
import type { ProbesTable } from '../src/db/schema';
import { renderProbeModule, renderProbeTarget, statusCodes } from '../src/modules/probes/probe-config';
import { ownershipRefusal, type OwnershipFacts } from '../src/modules/probes/probe-ownership';
import { buildServer, type BerthServer } from '../src/server';
import { newId, nowIso } from '../src/util';
import {
  createTestDatabase,
  createUserWith,
  loginAs,
  testConfig,
  testDialects,
  type Caller,
  type TestDatabase,
} from './helpers/db';

/*
 * Probes (docs/probes.md) without a monitoring stack: what a probe renders into, what a project
 * may probe, and the API on both dialects (stored, audited, tenancy); the real blackbox exporter
 * and Prometheus run in probes.it.test.ts.
 */

const adminPassword = 'admin-password-probes';

function row(over: Partial<ProbesTable> = {}): ProbesTable {
  return {
    id: 'p1',
    project: 'a',
    env: 'test',
    name: 'home',
    kind: 'http',
    target: 'https://www.a.example.test/health',
    expect_status: '2xx,301',
    body_must_match: null,
    body_must_not_match: 'ERROR',
    latency_threshold_ms: 1500,
    interval_seconds: 15,
    enabled: 1,
    alert_rule: null,
    created_at: '',
    created_by: 'admin',
    updated_at: '',
    updated_by: 'admin',
    ...over,
  };
}

describe('probe rendering and checks', () => {
  test('status classes expand into the codes blackbox accepts', () => {
    const codes = statusCodes('2xx,301');
    assert.equal(codes.length, 101);
    assert.equal(codes[0], 200);
    assert.equal(codes.at(-1), 301);
    assert.ok(!codes.includes(500));
  });

  test("a probe's module carries its status codes, body regex and timeout; its target the owner's labels", () => {
    const m = renderProbeModule(row()) as { timeout: string; http: Record<string, unknown> };
    assert.equal(m.timeout, '1.5s');
    assert.deepEqual(m.http.fail_if_body_matches_regexp, ['ERROR']);
    const t = JSON.parse(renderProbeTarget(row())) as Array<{
      targets: string[];
      labels: Record<string, string>;
    }>;
    assert.deepEqual(t[0]!.targets, ['https://www.a.example.test/health']);
    assert.equal(t[0]!.labels.module, 'berth_probe_p1');
    assert.equal(t[0]!.labels.berth_project, 'a');
    assert.equal(t[0]!.labels.project, 'a');
    assert.equal(t[0]!.labels.berth_probe, 'home');
    assert.equal(t[0]!.labels.__scrape_interval__, '15s');
    // in Prometheus' form: it refuses '2.5s' and never creates the target
    assert.equal(t[0]!.labels.__scrape_timeout__, '2500ms');
    // the scrape timeout never exceeds the interval (Prometheus would drop the target)
    const fast = JSON.parse(renderProbeTarget(row({ interval_seconds: 1 }))) as typeof t;
    assert.equal(fast[0]!.labels.__scrape_timeout__, '1s');
  });

  test('regexes Go (RE2) refuses are refused with the reason; RE2 syntax passes', () => {
    for (const re of ['(?=x)', 'a(?!b)', '(?<=a)b', '(a)\\1', '(?>a)', 'a++', '(?<n>a)', 'a{1001}'])
      assert.ok(re2Refusal(re), re);
    for (const re of ['ERROR', '(?i)error', '(?P<n>a)b', '(?s:a.b)', '^ok$', '[0-9]{3}', 'a\\\\1'])
      assert.equal(re2Refusal(re), null, re);
    const parsed = probeCreateSchema.safeParse({
      name: 'x',
      kind: 'http',
      url: 'http://a/',
      bodyMustMatch: '(?=a)',
    });
    assert.ok(!parsed.success);
    assert.deepEqual(parsed.error.issues[0]!.path, ['bodyMustMatch']);
    const tcpUrl = probeCreateSchema.safeParse({ name: 'x', kind: 'tcp', address: 'a:1', url: 'http://a/' });
    assert.ok(!tcpUrl.success);
  });

  test('ownership: route hosts at gateway ports, route backends; never the fence', () => {
    const facts: OwnershipFacts = {
      hosts: new Set(['www.a.example.test']),
      backends: new Set(['10.9.0.5:8080']),
      gatewayPorts: new Set([80, 443, 8443]),
      tcpEntryPorts: new Set([5432]),
    };
    const where = { project: 'a', env: 'test' };
    const fence = {
      allowLoopback: false,
      listeners: [{ what: 'the Berth API', host: '0.0.0.0', port: 7070 }],
    };
    const ok = (kind: 'http' | 'tcp', target: string) => ownershipRefusal(kind, target, facts, where, fence);
    assert.equal(ok('http', 'https://www.a.example.test/health'), null);
    assert.equal(ok('http', 'https://WWW.A.example.test:8443/'), null);
    assert.equal(ok('http', 'http://10.9.0.5:8080/x'), null);
    assert.equal(ok('tcp', '10.9.0.5:8080'), null);
    assert.equal(ok('tcp', 'www.a.example.test:5432'), null);
    assert.match(ok('http', 'http://www.a.example.test:7070/')!.message, /not a port the gateway/);
    assert.match(ok('http', 'http://www.b.example.test/')!.message, /not the host of a route of a\/test/);
    assert.match(ok('http', 'http://10.9.0.5:9090/')!.message, /not a server backend/);
    assert.match(ok('http', 'http://169.254.169.254/')!.message, /link-local/);
    assert.match(ok('http', 'http://127.0.0.1:8080/')!.message, /loopback/);
    assert.match(ok('tcp', '127.0.0.1:7070')!.message, /listener of Berth itself/);
    assert.match(ok('tcp', 'www.a.example.test:22')!.message, /not a TCP entry port/);
    assert.match(ok('http', 'http://[::1]/')!.message, /IPv6/);
    assert.equal(ok('tcp', 'www.a.example.test:22')!.path, 'address');
  });
});

for (const dialect of testDialects()) {
  describe(`probes API (${dialect})`, () => {
    let db: TestDatabase;
    let server: BerthServer;
    let admin: Caller;
    let devA: Caller;
    let viewerA: Caller;
    let devB: Caller;
    const base = '/api/v1/projects/a/envs/test/probes';

    async function addRoute(project: string, name: string, host: string, servers: string[]) {
      const now = nowIso();
      await server.ctx.db
        .insertInto('gateway_routes')
        .values({
          id: newId(),
          project,
          env: 'test',
          name,
          host,
          path_prefix: '/',
          spec: JSON.stringify({ host, backends: { servers: servers.map((address) => ({ address })) } }),
          canary: null,
          created_at: now,
          updated_at: now,
          created_by: 'admin',
          updated_by: 'admin',
          version: 1,
        })
        .execute();
    }

    before(async () => {
      db = await createTestDatabase(dialect);
      // monitoring off: probes are stored; uptime answers 503
      server = await buildServer(
        testConfig(db, { BERTH_ADMIN_PASSWORD: adminPassword, BERTH_MONITORING: 'off' }),
      );
      admin = await loginAs(server.app, 'admin', adminPassword);
      for (const team of ['alpha', 'beta']) await admin.post('/api/v1/teams', { name: team });
      await admin.post('/api/v1/projects', { name: 'a', team: 'alpha' });
      await admin.post('/api/v1/projects', { name: 'b', team: 'beta' });
      const project = (name: string) => ({ kind: 'project' as const, name });
      devA = await createUserWith(admin, 'dev-a', [{ role: 'developer', scope: project('a') }]);
      viewerA = await createUserWith(admin, 'viewer-a', [{ role: 'viewer', scope: project('a') }]);
      devB = await createUserWith(admin, 'dev-b', [{ role: 'developer', scope: project('b') }]);
      await addRoute('a', 'www', 'www.a.example.test', ['10.9.0.5:8080']);
      await addRoute('b', 'www', 'www.b.example.test', ['10.9.1.5:8080']);
    });
    after(async () => {
      await server?.close();
      await db?.drop();
    });

    test('a developer creates, replaces and deletes a probe with its alert rule; each change is audited', async () => {
      const created = await devA.post(base, {
        name: 'home',
        kind: 'http',
        url: 'https://www.a.example.test/health',
        bodyMustNotMatch: 'ERROR',
        alert: { for: '2m', severity: 'critical' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.alertRule, 'probe-home');
      assert.equal(created.body.expectStatus, '2xx');
      assert.equal(created.body.intervalSeconds, 30);
      assert.equal(created.body.reload.reloaded, false);
      const rule = await devA.get('/api/v1/projects/a/envs/test/alert-rules/probe-home');
      assert.equal(rule.status, 200);
      assert.equal(rule.body.template, 'probe');
      assert.deepEqual(rule.body.scope, { probe: 'home' });
      assert.equal(rule.body.severity, 'critical');
      const list = await viewerA.get(base);
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.items.map((p: { name: string; up: unknown }) => [p.name, p.up]),
        [['home', null]],
      );
      const put = await devA.call('PUT', `${base}/home`, {
        kind: 'tcp',
        address: '10.9.0.5:8080',
        intervalSeconds: 10,
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.address, '10.9.0.5:8080');
      assert.equal(put.body.url, null);
      assert.equal(put.body.alertRule, 'probe-home');
      const dup = await devA.post(base, { name: 'home', kind: 'tcp', address: '10.9.0.5:8080' });
      assert.equal(dup.status, 409);
      const audit = await admin.get('/api/v1/audit?actor=dev-a&limit=20');
      assert.ok(
        audit.body.items.some(
          (e: { target: string; result: string }) => e.target === 'a/test/home' && e.result === 'success',
        ),
        JSON.stringify(audit.body.items.map((e: { target: string }) => e.target)),
      );
      const up = await devA.get(`${base}/home/uptime?range=1h`);
      assert.equal(up.status, 503);
      assert.match(up.body.error.message, /Monitoring is off/);
      const del = await devA.call('DELETE', `${base}/home`);
      assert.equal(del.status, 200, JSON.stringify(del.body));
      assert.equal((await devA.get(`${base}/home`)).status, 404);
      assert.equal((await devA.get('/api/v1/projects/a/envs/test/alert-rules/probe-home')).status, 404);
    });

    test('an edit sends the updatedAt it read: a change made meanwhile is a 409, not overwritten', async () => {
      const created = await devA.post(base, { name: 'edited', kind: 'tcp', address: '10.9.0.5:8080' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const read = created.body.updatedAt as string;
      // someone else changes the interval after the editor read the probe
      const other = await admin.call('PUT', `${base}/edited`, {
        kind: 'tcp',
        address: '10.9.0.5:8080',
        intervalSeconds: 5,
        expectedUpdatedAt: read,
      });
      assert.equal(other.status, 200, JSON.stringify(other.body));
      const stale = await devA.call('PUT', `${base}/edited`, {
        kind: 'tcp',
        address: '10.9.0.5:8080',
        intervalSeconds: 60,
        expectedUpdatedAt: read,
      });
      assert.equal(stale.status, 409, JSON.stringify(stale.body));
      assert.equal(stale.body.error.code, 'VERSION_CONFLICT');
      assert.match(stale.body.error.message, /changed by admin .* after you read it; read it again/);
      assert.equal((await devA.get(`${base}/edited`)).body.intervalSeconds, 5, 'the other change stays');
      const fresh = await devA.call('PUT', `${base}/edited`, {
        kind: 'tcp',
        address: '10.9.0.5:8080',
        intervalSeconds: 60,
        expectedUpdatedAt: other.body.updatedAt,
      });
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
      assert.equal(fresh.body.intervalSeconds, 60);
      assert.equal(fresh.body.updatedBy, 'dev-a');
      assert.equal((await devA.call('DELETE', `${base}/edited`)).status, 200);
    });

    test('a viewer cannot change probes', async () => {
      const r = await viewerA.post(base, { name: 'v', kind: 'tcp', address: '10.9.0.5:8080' });
      assert.equal(r.status, 403);
    });

    test("another project's developer sees nothing of a's probes and cannot probe a's host or backend", async () => {
      const created = await devA.post(base, {
        name: 'site',
        kind: 'http',
        url: 'http://www.a.example.test/',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal((await devB.get(base)).status, 404);
      assert.equal((await devB.get(`${base}/site`)).status, 404);
      assert.equal((await devB.call('DELETE', `${base}/site`)).status, 404);
      const host = await devB.post('/api/v1/projects/b/envs/test/probes', {
        name: 'x',
        kind: 'http',
        url: 'http://www.a.example.test/',
      });
      assert.equal(host.status, 422);
      assert.equal(host.body.error.details.fields[0].path, 'url');
      assert.match(host.body.error.message, /not the host of a route of b\/test/);
      const backend = await devB.post('/api/v1/projects/b/envs/test/probes', {
        name: 'x',
        kind: 'tcp',
        address: '10.9.0.5:8080',
      });
      assert.equal(backend.status, 422);
      assert.match(backend.body.error.message, /not a server backend of a route of b\/test/);
      assert.equal((await devB.get('/api/v1/projects/b/envs/test/probes')).body.items.length, 0);
      assert.equal((await devA.get(`${base}/site`)).status, 200);
    });
  });
}
