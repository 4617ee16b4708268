import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AlertTemplate } from '@berth/shared';
import { renderExpr, renderRuleFile, type RuleInput } from '../src/modules/alert-rules/alert-templates';
import { renderMetrics } from '../src/modules/containers/metrics';
import { AlertRulesService, type AlertRulesMonitoring } from '../src/modules/alert-rules/alert-rules.service';
import { checkRulesFile } from '../src/modules/monitoring/promtool';
import { newId, nowIso } from '../src/util';
import { buildServer, type BerthServer } from '../src/server';
import {
  createTestDatabase,
  createUserWith,
  loginAs,
  testConfig,
  testDialects,
  type Caller,
  type TestDatabase,
} from './helpers/db';

const adminPassword = 'admin-password-alert-rules';

function rule(template: AlertTemplate, over: Partial<RuleInput> = {}): RuleInput {
  const scope =
    template === 'http5xx' || template === 'latency'
      ? { route: 'shop' }
      : template === 'probe'
        ? { probe: 'home' }
        : template === 'certificate'
          ? { certificate: 'wild' }
          : template === 'custom'
            ? {}
            : { service: 'web' };
  return {
    id: 'r1',
    project: 'a',
    env: 'test',
    name: `r-${template}`,
    template,
    scope,
    threshold: null,
    for: '1m',
    window: null,
    quantile: null,
    severity: 'warning',
    labels: {},
    channels: [],
    summary: null,
    description: null,
    promql: template === 'custom' ? 'up == 0' : null,
    ...over,
  };
}

/** Every `metric{…}` selector of an expression, with its matchers. */
function selectors(expr: string): Array<{ metric: string; matchers: string }> {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)].map((m) => ({
    metric: m[1]!,
    matchers: m[2]!,
  }));
}

function promtool(text: string): { status: number | null; out: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-rules-'));
  try {
    const file = path.join(dir, 'rules.yml');
    writeFileSync(file, text);
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('alert templates', () => {
  const templates: AlertTemplate[] = [
    'cpu',
    'memory',
    'restarts',
    'oom',
    'unavailable',
    'http5xx',
    'latency',
    'probe',
    'certificate',
  ];

  test('every selector of every template is pinned to the rule’s own project (and env)', () => {
    for (const t of templates) {
      const sels = selectors(renderExpr(rule(t)));
      assert.ok(sels.length > 0, t);
      for (const s of sels) {
        assert.match(s.matchers, /(^|,)project="a"(,|$)/, `${t}: ${s.metric}{${s.matchers}}`);
        // certificates belong to the project, not to an environment
        if (t !== 'certificate') assert.match(s.matchers, /(^|,)env="test"(,|$)/, `${t}: ${s.metric}`);
      }
    }
  });

  test('one container: the CPU rule selects that container only, in both series', () => {
    const expr = renderExpr(
      rule('cpu', { scope: { service: 'web', container: 'a-test-web-r1-abc123' }, threshold: 50 }),
    );
    assert.equal(
      expr,
      'berth_container_cpu_percent{project="a",env="test",service="web",container="a-test-web-r1-abc123"} / on(project, env, service, container) berth_container_cpu_limit_cores{project="a",env="test",service="web",container="a-test-web-r1-abc123"} > 50',
    );
  });

  test('user text is escaped: promtool accepts a file with hostile labels and annotations', () => {
    const hostile = 'x"} or up{job=~".*'; // would widen the selector if concatenated raw
    const text = renderRuleFile('a', 'test', [
      ...templates.map((t) => rule(t, { name: `r-${t}` })),
      rule('cpu', {
        name: 'hostile',
        labels: { team: hostile, note: 'line\nbreak: {{ query "up" }}' },
        summary: '{{ range query "berth_container_cpu_percent" }}{{ . }}{{ end }}',
        description: 'a "quoted" \\ text',
        channels: ['ops', 'pager'],
      }),
    ]);
    const check = promtool(text);
    assert.equal(check.status, 0, check.out);
    assert.match(check.out, /SUCCESS: 10 rules found/);
    // the label value stays a value, the annotation stays text (no template call left)
    assert.ok(text.includes(JSON.stringify(hostile)));
    assert.ok(!/summary: "\{\{ range query/.test(text), text);
    assert.match(text, /berth_channels: "ops,pager"/);
  });

  test('promtool refuses a bad custom expression, naming it', () => {
    const check = promtool(renderRuleFile('a', 'test', [rule('custom', { promql: 'sum(rate(up[5m]' })]));
    assert.notEqual(check.status, 0);
    assert.match(check.out, /parse error|unclosed/i);
  });
});

describe('metrics the templates read', () => {
  test('CPU limit per container, restarts and OOM kills per service, certificate expiry', () => {
    const sample = {
      at: '2026-12-07T00:00:00.000Z',
      cpuPercent: 40,
      memoryBytes: 1,
      memoryLimitBytes: 2,
      netRxBytes: 0,
      netTxBytes: 0,
      blockReadBytes: 0,
      blockWriteBytes: 0,
    };
    const text = renderMetrics({
      services: [{ id: 's1', project: 'a', env: 'test', name: 'web', desired: 2, ready: 1 }],
      samples: [
        { serviceId: 's1', release: 1, cluster: 'local', sample: { ...sample, container: 'c-limited' } },
        { serviceId: 's1', release: 1, cluster: 'local', sample: { ...sample, container: 'c-unlimited' } },
      ],
      cpuLimits: new Map([['c-limited', 0.5]]),
      crashes: [{ serviceId: 's1', restarts: 3, oomKills: 1 }],
      certificates: [{ project: 'a', name: 'wild', notAfter: '2027-01-01T00:00:00.000Z' }],
    });
    assert.match(
      text,
      /\nberth_container_cpu_limit_cores\{project="a",env="test",service="web",container="c-limited",release="1",cluster="local"\} 0\.5\n/,
    );
    assert.doesNotMatch(text, /berth_container_cpu_limit_cores\{[^}]*c-unlimited/);
    assert.match(text, /\nberth_service_restarts_total\{project="a",env="test",service="web"\} 3\n/);
    assert.match(text, /\nberth_service_oom_kills_total\{project="a",env="test",service="web"\} 1\n/);
    assert.match(
      text,
      /\nberth_certificate_not_after_seconds\{project="a",certificate="wild"\} 1798761600\n/,
    );
  });
});

for (const dialect of testDialects()) {
  describe(`alert rules API (${dialect})`, () => {
    let db: TestDatabase;
    let t: {
      server: BerthServer;
      admin: Caller;
      viewerA: Caller;
      devA: Caller;
      leadBeta: Caller;
    };
    const base = '/api/v1/projects/a/envs/test/alert-rules';

    async function addService(project: string, env: string, name: string): Promise<string> {
      const id = newId();
      const now = nowIso();
      await t.server.ctx.db
        .insertInto('services')
        .values({
          id,
          project,
          env,
          name,
          display_name: '',
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
          created_at: now,
          updated_at: now,
          created_by: 'admin',
          updated_by: 'admin',
          version: 1,
        })
        .execute();
      return id;
    }

    before(async () => {
      db = await createTestDatabase(dialect);
      // monitoring off: the rules are stored and versioned without a Prometheus
      const server = await buildServer(
        testConfig(db, { BERTH_ADMIN_PASSWORD: adminPassword, BERTH_MONITORING: 'off' }),
      );
      const admin = await loginAs(server.app, 'admin', adminPassword);
      for (const team of ['alpha', 'beta']) await admin.post('/api/v1/teams', { name: team });
      await admin.post('/api/v1/projects', { name: 'a', team: 'alpha' });
      await admin.post('/api/v1/projects', { name: 'b', team: 'beta' });
      const project = (name: string) => ({ kind: 'project' as const, name });
      t = {
        server,
        admin,
        viewerA: await createUserWith(admin, 'viewer-a', [{ role: 'viewer', scope: project('a') }]),
        devA: await createUserWith(admin, 'dev-a', [{ role: 'developer', scope: project('a') }]),
        leadBeta: await createUserWith(admin, 'lead-beta', [
          { role: 'team-admin', scope: { kind: 'team', name: 'beta' } },
        ]),
      };
      await addService('a', 'test', 'web');
      await addService('b', 'test', 'api');
      // the channel the rules of a name (saved only: nothing is sent here)
      const ops = await admin.post('/api/v1/projects/a/channels', {
        name: 'ops',
        settings: { kind: 'slack', url: 'https://hooks.example.invalid/services/ops' },
      });
      assert.equal(ops.status, 201, JSON.stringify(ops.body));
    });
    after(async () => {
      await t?.server.close();
      await db?.drop();
    });

    test('a developer creates, changes and deletes a rule; every change is a version with its diff', async () => {
      const created = await t.devA.post(base, {
        name: 'web-cpu',
        template: 'cpu',
        scope: { service: 'web' },
        threshold: 80,
        for: '2m',
        severity: 'critical',
        labels: { team: 'shop' },
        channels: ['ops'],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.version, 1);
      assert.match(created.body.expr, /berth_container_cpu_percent\{project="a",env="test",service="web"\}/);
      const listed = await t.viewerA.get(base);
      assert.deepEqual(
        listed.body.items.map((r: { name: string }) => r.name),
        ['web-cpu'],
      );
      const updated = await t.devA.call('PUT', `${base}/web-cpu`, {
        template: 'cpu',
        scope: { service: 'web' },
        threshold: 90,
        for: '2m',
        severity: 'critical',
      });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.version, 2);
      const versions = await t.viewerA.get(`${base}/versions`);
      assert.deepEqual(
        versions.body.items.map((v: { number: number; author: string }) => [v.number, v.author]),
        [
          [2, 'dev-a'],
          [1, 'dev-a'],
        ],
      );
      assert.match(versions.body.items[0].diff, /-.*> 80/);
      assert.match(versions.body.items[0].diff, /\+.*> 90/);
      const v1 = await t.viewerA.get(`${base}/versions/1`);
      assert.match(v1.body.file, /berth_rule_name: "web-cpu"/);
      // rollback restores version 1's rule (same id, so alerts keep their berth_rule)
      const rb = await t.devA.post(`${base}/rollback`, { version: 1 });
      assert.equal(rb.status, 200, JSON.stringify(rb.body));
      assert.equal(rb.body.version, 3);
      assert.equal(rb.body.rules[0].threshold, 80);
      assert.equal(rb.body.rules[0].id, created.body.id);
      const del = await t.devA.delete(`${base}/web-cpu`);
      assert.equal(del.status, 204);
      assert.equal((await t.viewerA.get(base)).body.items.length, 0);
      const last = await t.viewerA.get(`${base}/versions/4`);
      assert.match(last.body.file, /rules: \[\]/);
      // the audit log has the change
      const audit = await t.admin.get('/api/v1/audit?action=alert-rules.create');
      assert.ok(
        audit.body.items.some((e: { target: string }) => e.target === 'a/test/web-cpu'),
        JSON.stringify(audit.body.items),
      );
    });

    test('bad input is refused at the field and changes nothing', async () => {
      const before = (await t.viewerA.get(`${base}/versions`)).body.items.length;
      const noService = await t.devA.post(base, { name: 'x', template: 'cpu', scope: { service: 'nope' } });
      assert.equal(noService.status, 400);
      assert.match(noService.body.error.message, /Service 'nope' does not exist in a\/test/);
      const wrongScope = await t.devA.post(base, {
        name: 'x',
        template: 'restarts',
        scope: { service: 'web', container: 'a-test-web-r1-aaaaaa' },
      });
      assert.equal(wrongScope.status, 400);
      assert.match(wrongScope.body.error.message, /count restarts per service/);
      const reserved = await t.devA.post(base, {
        name: 'x',
        template: 'cpu',
        scope: { service: 'web' },
        labels: { berth_project: 'b' },
      });
      assert.equal(reserved.status, 400);
      const gone = await t.devA.post(base, {
        name: 'x',
        template: 'cpu',
        scope: { service: 'web', container: 'a-test-web-r1-zzzzzz' },
      });
      assert.equal(gone.status, 400);
      assert.match(gone.body.error.message, /not a current container/);
      assert.equal((await t.viewerA.get(`${base}/versions`)).body.items.length, before);
    });

    test("a rule names only its project's channels: another project's is refused at channels.N; a named channel is not deleted", async () => {
      const bRules = '/api/v1/projects/b/envs/test/alert-rules';
      // b's team admin knows a has a channel 'ops' and tries to route b's alerts through it
      const cross = await t.leadBeta.post(bRules, {
        name: 'api-down',
        template: 'unavailable',
        scope: { service: 'api' },
        channels: ['ops'],
      });
      assert.equal(cross.status, 422, JSON.stringify(cross.body));
      assert.deepEqual(cross.body.error.details.fields, [
        { path: 'channels.0', message: "no channel 'ops' in project 'b'" },
      ]);
      assert.match(
        cross.body.error.message,
        /Channel 'ops' does not exist in project 'b' \(it has no channels yet\)\. Create it first/,
      );
      assert.equal((await t.leadBeta.get(bRules)).body.items.length, 0, 'nothing was stored');
      // in its own project: the missing one named at its index, the existing ones listed
      const typo = await t.devA.post(base, {
        name: 'web-down',
        template: 'unavailable',
        scope: { service: 'web' },
        channels: ['ops', 'pagr'],
      });
      assert.equal(typo.status, 422);
      assert.equal(typo.body.error.details.fields[0].path, 'channels.1');
      assert.match(typo.body.error.message, /'pagr' does not exist in project 'a' \(its channels: ops\)/);
      const made = await t.devA.post(base, {
        name: 'web-down',
        template: 'unavailable',
        scope: { service: 'web' },
        channels: ['ops'],
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      // update is checked the same way
      const upd = await t.devA.call('PUT', `${base}/web-down`, {
        template: 'unavailable',
        scope: { service: 'web' },
        channels: ['gone'],
      });
      assert.equal(upd.status, 422);
      assert.equal(upd.body.error.details.fields[0].path, 'channels.0');
      assert.deepEqual((await t.devA.get(`${base}/web-down`)).body.channels, ['ops']);

      // deleting the channel while the rule names it: 409 naming the rule, the channel stays
      const del = await t.devA.delete('/api/v1/projects/a/channels/ops');
      assert.equal(del.status, 409, JSON.stringify(del.body));
      assert.equal(del.body.error.code, 'CHANNEL_IN_USE');
      assert.deepEqual(del.body.error.details.rules, ['test/web-down']);
      assert.match(
        del.body.error.message,
        /named by alert rule test\/web-down; take it out of their channels/,
      );
      assert.equal((await t.devA.get('/api/v1/projects/a/channels/ops')).status, 200);

      // out of the rule's channels: the channel can go; a rollback to a version naming it cannot
      const named = (await t.viewerA.get(`${base}/versions`)).body.items[0].number as number;
      const off = await t.devA.call('PUT', `${base}/web-down`, {
        template: 'unavailable',
        scope: { service: 'web' },
        channels: [],
      });
      assert.equal(off.status, 200, JSON.stringify(off.body));
      const temp = await t.devA.post('/api/v1/projects/a/channels', {
        name: 'temp',
        settings: { kind: 'slack', url: 'https://hooks.example.invalid/services/temp' },
      });
      assert.equal(temp.status, 201);
      const useTemp = await t.devA.call('PUT', `${base}/web-down`, {
        template: 'unavailable',
        scope: { service: 'web' },
        channels: ['temp'],
      });
      assert.equal(useTemp.status, 200);
      const withTemp = useTemp.body.version as number;
      const noTemp = await t.devA.call('PUT', `${base}/web-down`, {
        template: 'unavailable',
        scope: { service: 'web' },
        channels: [],
      });
      assert.equal(noTemp.status, 200);
      assert.equal((await t.devA.delete('/api/v1/projects/a/channels/temp')).status, 204);
      const rb = await t.devA.post(`${base}/rollback`, { version: withTemp });
      assert.equal(rb.status, 422, JSON.stringify(rb.body));
      assert.match(
        rb.body.error.message,
        new RegExp(
          `Version ${withTemp} of the alert rules of a/test names a channel deleted since\\. Channel 'temp' does not exist`,
        ),
      );
      const fine = await t.devA.post(`${base}/rollback`, { version: named });
      assert.equal(fine.status, 200, JSON.stringify(fine.body));
      assert.deepEqual(fine.body.rules.find((r: { name: string }) => r.name === 'web-down').channels, [
        'ops',
      ]);
      assert.equal((await t.devA.delete(`${base}/web-down`)).status, 204);
    });

    test('custom PromQL is for platform admins: a developer gets 403 with the reason', async () => {
      const dev = await t.devA.post(base, { name: 'raw', template: 'custom', promql: 'up == 0' });
      assert.equal(dev.status, 403);
      assert.match(dev.body.error.message, /platform admin: custom PromQL is not pinned to one project/);
      const admin = await t.admin.post(base, { name: 'raw', template: 'custom', promql: 'up == 0' });
      assert.equal(admin.status, 201, JSON.stringify(admin.body));
      // and the developer cannot change or delete the admin's custom rule either
      assert.equal((await t.devA.delete(`${base}/raw`)).status, 403);
      assert.equal((await t.admin.delete(`${base}/raw`)).status, 204);
    });

    test('tenancy: project b cannot read or change a’s rules, nor scope a rule to a’s service', async () => {
      assert.equal(
        (await t.devA.post(base, { name: 'mine', template: 'unavailable', scope: { service: 'web' } }))
          .status,
        201,
      );
      assert.equal((await t.leadBeta.get(base)).status, 404);
      assert.equal((await t.leadBeta.get(`${base}/mine`)).status, 404);
      assert.equal((await t.leadBeta.delete(`${base}/mine`)).status, 404);
      assert.equal((await t.leadBeta.get(`${base}/versions`)).status, 404);
      const cross = await t.leadBeta.post('/api/v1/projects/b/envs/test/alert-rules', {
        name: 'spy',
        template: 'cpu',
        scope: { service: 'web' },
      });
      assert.equal(cross.status, 400);
      assert.match(cross.body.error.message, /Service 'web' does not exist in b\/test/);
      assert.equal(
        (await t.viewerA.post(base, { name: 'v', template: 'unavailable', scope: { service: 'web' } }))
          .status,
        403,
      );
      assert.equal((await t.devA.delete(`${base}/mine`)).status, 204);
    });

    test('the rule files follow the store: written again at start, a refused change leaves them as they were', async () => {
      const rulesDir = mkdtempSync(path.join(tmpdir(), 'berth-rules-dir-'));
      try {
        let reloads = 0;
        let checks = 0;
        const monitoring: AlertRulesMonitoring = {
          prometheus: { query: () => Promise.resolve({ ok: true as const, samples: [] }) },
          rulesDir,
          checkRules: (file) => {
            checks += 1;
            return checkRulesFile(file);
          },
          reloadPrometheus: () => {
            reloads += 1;
            return Promise.resolve();
          },
        };
        const admin = { name: 'admin', via: 'token' as const, csrfToken: null };
        const rules = new AlertRulesService(t.server.ctx, monitoring);
        const created = await rules.create(
          'a',
          'test',
          {
            name: 'kept',
            template: 'unavailable',
            scope: { service: 'web' },
            for: '1m',
            severity: 'warning',
            labels: {},
            channels: [],
            enabled: true,
          },
          admin,
        );
        assert.deepEqual(created.reload, { reloaded: true });
        // promtool ran once, outside the store's transaction (the real change rendered the same file)
        assert.equal(checks, 1);
        const file = path.join(rulesDir, 'a.test.yml');
        const text = readFileSync(file, 'utf8');
        assert.match(text, /alert: "berth_kept"/);
        // promtool refuses: 422 with its message, the file and the store as they were
        await assert.rejects(
          rules.create(
            'a',
            'test',
            {
              name: 'broken',
              template: 'custom',
              promql: 'rate(up[5m]',
              scope: {},
              for: '1m',
              severity: 'warning',
              labels: {},
              channels: [],
              enabled: true,
            },
            admin,
          ),
          (err: Error & { code?: string; details?: { promtool?: string } }) =>
            err.code === 'UNPROCESSABLE' && /parse error|unclosed/i.test(err.details?.promtool ?? ''),
        );
        assert.equal(readFileSync(file, 'utf8'), text);
        assert.deepEqual(
          (await rules.list('a', 'test')).map((r) => r.name),
          ['kept'],
        );
        assert.deepEqual(
          readdirSync(rulesDir).filter((n) => n.includes('candidate')),
          [],
          'no candidate left behind',
        );
        // a Berth starting on the same store writes the file again; a stale file of Berth's goes,
        // a file that is not Berth's stays
        rmSync(file);
        writeFileSync(
          path.join(rulesDir, 'gone.test.yml'),
          '# Alert rules of project gone, environment test\ngroups: []\n',
        );
        writeFileSync(path.join(rulesDir, 'theirs.yml'), 'groups: []\n');
        const before = reloads;
        await new AlertRulesService(t.server.ctx, monitoring).syncFiles();
        assert.equal(readFileSync(file, 'utf8'), text);
        assert.equal(existsSync(path.join(rulesDir, 'gone.test.yml')), false);
        assert.equal(existsSync(path.join(rulesDir, 'theirs.yml')), true);
        assert.equal(reloads, before + 1);
        await rules.remove('a', 'test', 'kept', admin);
      } finally {
        rmSync(rulesDir, { recursive: true, force: true });
      }
    });

    test('preview without monitoring answers 503 saying how to turn it on', async () => {
      const r = await t.devA.post(`${base}/preview`, {
        template: 'cpu',
        scope: { service: 'web' },
        threshold: 50,
      });
      assert.equal(r.status, 503);
      assert.match(r.body.error.message, /Monitoring is off/);
    });
  });
}
