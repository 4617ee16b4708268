import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { metricsToken } from '../src/modules/containers/metrics';
import { startMonitoring, type TestMonitoring } from './helpers/monitoring';
import {
  eventually,
  makeProject,
  startPlatform,
  testImage,
  waitTask,
  type TestPlatform,
} from './helpers/platform';

/*
 * Alert rules on the real Prometheus (docs/alert-rules.md): CPU-burning busybox containers fire
 * their service's rule with the contract's labels; a rule on one container fires for it only and
 * ends with it; an invalid custom rule is refused with promtool's message while Prometheus keeps
 * the rules it has.
 */

interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

const rules = '/api/v1/projects/ar/envs/test/alert-rules';

describe('alert rules on Prometheus', () => {
  let mon: TestMonitoring;
  let p: TestPlatform;
  let containers: string[] = [];
  let monDir = '';

  async function promAlerts(): Promise<PromAlert[]> {
    const res = await fetch(`${mon.prometheusUrl}/api/v1/alerts`);
    return ((await res.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
  }
  const firing = async (alertname: string) =>
    (await promAlerts()).filter((a) => a.labels.alertname === alertname && a.state === 'firing');

  before(async () => {
    monDir = mkdtempSync(path.join(tmpdir(), 'berth-mon-'));
    mon = await startMonitoring({ dir: monDir });
    p = await startPlatform({}, { build: { monitoring: mon.module } });
    await mon.connectBerth(p.url, metricsToken(p.dataDir, null));
    await makeProject(p.api, 'ar');
    const created = await p.api.post('/api/v1/projects/ar/envs/test/services', {
      name: 'burn',
      spec: {
        image: testImage,
        command: ['sh', '-c', 'while :; do :; done'],
        resources: { cpu: 0.5 },
        replicas: 2,
        rollout: { stopGraceSeconds: 1, progressDeadlineSeconds: 300 },
      },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitTask(p.api, (created.body as { task: { id: string } }).task.id);
    const list = await p.api.get<{ items: Array<{ name: string }> }>(
      '/api/v1/projects/ar/envs/test/services/burn/containers',
    );
    containers = list.body.items.map((c) => c.name).sort();
    assert.equal(containers.length, 2);
  });

  after(async () => {
    try {
      await p?.close();
    } finally {
      await mon?.stop();
      if (monDir) rmSync(monDir, { recursive: true, force: true });
    }
  });

  test("a CPU-burning container fires its service's rule, with the contract's labels", async () => {
    // a rule names only channels of its project (saved only: this test reads Prometheus)
    const ops = await p.api.post('/api/v1/projects/ar/channels', {
      name: 'ops',
      settings: { kind: 'slack', url: 'https://hooks.example.invalid/services/ops' },
    });
    assert.equal(ops.status, 201, JSON.stringify(ops.body));
    const r = await p.api.post(rules, {
      name: 'burn-cpu',
      template: 'cpu',
      scope: { service: 'burn' },
      // percent of the 0.5-core limit; a burner gets far more than this even on a busy machine
      threshold: 20,
      for: '0s',
      severity: 'critical',
      channels: ['ops'],
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual((r.body as { reload: unknown }).reload, { reloaded: true });
    const id = (r.body as { id: string }).id;
    const alerts = await eventually(
      async () => {
        const a = await firing('berth_burn_cpu');
        return a.length === 2 ? a : null;
      },
      'both burners firing burn-cpu in Prometheus',
      120_000,
      500,
    );
    for (const a of alerts) {
      assert.equal(a.labels.berth_project, 'ar');
      assert.equal(a.labels.berth_env, 'test');
      assert.equal(a.labels.berth_rule, id);
      assert.equal(a.labels.berth_rule_name, 'burn-cpu');
      assert.equal(a.labels.severity, 'critical');
      assert.equal(a.labels.berth_channels, 'ops');
      assert.equal(a.labels.service, 'burn');
    }
    assert.deepEqual(alerts.map((a) => a.labels.container).sort(), containers);
    // the preview shows the value (percent of the limit) of each container
    const preview = await p.api.post<{
      expr: string;
      samples: Array<{ metric: Record<string, string>; value: number }>;
    }>(`${rules}/preview`, { template: 'cpu', scope: { service: 'burn' }, threshold: 20 });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.equal(preview.body.samples.length, 2);
    assert.ok(
      preview.body.samples.every((s) => s.value > 20),
      JSON.stringify(preview.body.samples),
    );
  });

  test('a rule on one of two containers fires for that container only, and ends with it', async () => {
    const [one, other] = containers as [string, string];
    const r = await p.api.post(rules, {
      name: 'one-cpu',
      template: 'cpu',
      scope: { service: 'burn', container: one },
      threshold: 20,
      for: '0s',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const alerts = await eventually(async () => {
      const a = await firing('berth_one_cpu');
      return a.length ? a : null;
    }, 'one-cpu firing');
    // both burn (burn-cpu fires for both; on a saturated machine a burner can drop under 20 % of
    // its 0.5 CPU for a scrape, so wait for both again); the one-container rule names only its own
    await eventually(
      async () => (await firing('berth_burn_cpu')).length === 2,
      'both burners firing burn-cpu again',
    );
    assert.deepEqual(
      alerts.map((a) => a.labels.container),
      [one],
    );
    assert.ok(!alerts.some((a) => a.labels.container === other));

    // the container dies: the rule ends (disabled, with the reason), as a version and in the audit log
    const destroyed = await p.api.post(
      `/api/v1/projects/ar/envs/test/services/burn/containers/${one}/destroy`,
    );
    assert.equal(destroyed.status, 202, JSON.stringify(destroyed.body));
    const ended = await eventually(
      async () => {
        const g = await p.api.get<{ enabled: boolean; endedReason: string | null }>(`${rules}/one-cpu`);
        return g.body.enabled === false ? g.body : null;
      },
      'the one-container rule ending',
      120_000,
    );
    assert.match(ended.endedReason ?? '', new RegExp(`container ${one} is gone`));
    // the audit event follows the rule's change
    await eventually(async () => {
      const audit = await p.api.get<{ items: Array<{ message: string }> }>(
        '/api/v1/audit?action=alert-rules.ended',
      );
      return audit.body.items.some((e) => e.message.includes(one));
    }, 'the audit event of the ended rule');
    const versions = await p.api.get<{ items: Array<{ author: string; reason: string }> }>(
      `${rules}/versions`,
    );
    assert.equal(versions.body.items[0]!.author, 'system');
    assert.match(versions.body.items[0]!.reason, /rule one-cpu ended/);
    await eventually(
      async () => (await firing('berth_one_cpu')).length === 0,
      'one-cpu no longer firing',
      60_000,
    );
  });

  test('a crashing service fires its restarts rule (counted from its Crashed events in /metrics)', async () => {
    const created = await p.api.post('/api/v1/projects/ar/envs/test/services', {
      name: 'crash',
      spec: {
        image: testImage,
        command: ['sh', '-c', 'sleep 1; exit 3'],
        replicas: 1,
        rollout: { stopGraceSeconds: 1, progressDeadlineSeconds: 600 },
      },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const r = await p.api.post(rules, {
      name: 'crash-restarts',
      template: 'restarts',
      scope: { service: 'crash' },
      threshold: 0,
      window: '5m',
      for: '0s',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const alerts = await eventually(
      async () => {
        const a = await firing('berth_crash_restarts');
        return a.length ? a : null;
      },
      'crash-restarts firing',
      120_000,
      500,
    );
    assert.equal(alerts[0]!.labels.service, 'crash');
    assert.equal(alerts[0]!.labels.berth_rule_name, 'crash-restarts');
    // and the counter is Berth's: /metrics has the service's restarts
    const metrics = await fetch(`${p.url}/metrics`, {
      headers: { Authorization: `Bearer ${metricsToken(p.dataDir, null)}` },
    }).then((x) => x.text());
    const m = /berth_service_restarts_total\{project="ar",env="test",service="crash"\} (\d+)/.exec(metrics);
    assert.ok(m && Number(m[1]) >= 1, metrics);
    assert.match(metrics, /berth_service_restarts_total\{project="ar",env="test",service="burn"\} \d+/);
    // gone before the suite ends (a crashing container caught mid-exit cannot be removed)
    assert.equal((await p.api.delete('/api/v1/projects/ar/envs/test/services/crash')).status, 202);
    await eventually(
      async () => (await p.api.get('/api/v1/projects/ar/envs/test/services/crash')).status === 404,
      'the crashing service deleted',
    );
  });

  test("an invalid custom rule answers 422 with promtool's message; Prometheus keeps its rules", async () => {
    const file = path.join(mon.rulesDir, 'ar.test.yml');
    const before = readFileSync(file, 'utf8');
    const versions = (await p.api.get<{ items: unknown[] }>(`${rules}/versions`)).body.items.length;
    const bad = await p.api.post<{ error: { message: string; details: { promtool: string } } }>(rules, {
      name: 'broken',
      template: 'custom',
      promql: 'sum(rate(berth_container_cpu_percent[5m]',
    });
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    assert.match(bad.body.error.message, /promtool/);
    assert.match(bad.body.error.details.promtool, /parse error|unclosed/i);
    // nothing changed: the store, the versions, the file, and Prometheus' rules
    assert.equal((await p.api.get(`${rules}/broken`)).status, 404);
    assert.equal((await p.api.get<{ items: unknown[] }>(`${rules}/versions`)).body.items.length, versions);
    assert.equal(readFileSync(file, 'utf8'), before);
    const loaded = (await (await fetch(`${mon.prometheusUrl}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string }> }> };
    };
    const names = loaded.data.groups.flatMap((g) => g.rules.map((x) => x.name));
    assert.ok(names.includes('berth_burn_cpu'), JSON.stringify(names));
    // and keeps evaluating them (the surviving burner, and its new sibling, fire)
    await eventually(async () => (await firing('berth_burn_cpu')).length > 0, 'burn-cpu still firing');
  });
});
