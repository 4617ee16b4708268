import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PrometheusClient } from '../src/modules/monitoring/prometheus-client';
import {
  checkAlertmanagerConfig,
  checkPrometheusConfig,
  checkRulesFile,
} from '../src/modules/monitoring/promtool';
import { monitoringPaths, writeStackFiles } from '../src/modules/monitoring/stack';
import { startMonitoring, type TestMonitoring } from './helpers/monitoring';
import { eventually } from './helpers/platform';

const goodRules = `groups:
  - name: t
    rules:
      - record: 'h5:up:sum'
        expr: 'sum(up)'
      - alert: AlwaysOn
        expr: 'vector(1) > 0'
        labels: { severity: info }
`;
const badRules = `groups:
  - name: t
    rules:
      - alert: Broken
        expr: 'rate(up[5m] > 3'
        for: 1x
`;

describe('the monitoring stack on a real Prometheus and Alertmanager', () => {
  let dir: string;
  let mon: TestMonitoring;
  let client: PrometheusClient;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-mon-'));
    mon = await startMonitoring({ dir });
    client = mon.module.prometheus;
  });
  after(async () => {
    await mon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the rendered configs pass promtool check config and amtool check-config; tokens are 0600', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'berth-mon-cfg-'));
    try {
      const paths = monitoringPaths(d);
      const { webhookToken } = writeStackFiles({
        paths,
        prometheus: {
          scrapeIntervalSeconds: 15,
          evaluationIntervalSeconds: 0.5,
          alertmanagerUrl: 'http://127.0.0.1:9093',
          prometheusUrl: 'http://127.0.0.1:9090',
          berthUrl: 'http://127.0.0.1:7080',
          blackboxUrl: 'http://127.0.0.1:9115',
        },
        alertmanager: {
          berthUrl: 'http://127.0.0.1:7080',
          groupWaitSeconds: 1,
          groupIntervalSeconds: 5,
          repeatIntervalSeconds: 3600,
        },
        metricsToken: 'a-metrics-token-of-16+',
        webhookToken: null,
      });
      writeFileSync(path.join(paths.rulesDir, 'r.yml'), goodRules);
      assert.deepEqual(await checkPrometheusConfig(paths.prometheusConfig), { ok: true });
      assert.deepEqual(await checkAlertmanagerConfig(paths.alertmanagerConfig), { ok: true });
      const prom = readFileSync(paths.prometheusConfig, 'utf8');
      assert.match(prom, /"evaluation_interval": "500ms"/);
      assert.match(prom, /"credentials_file": ".*berth-metrics.token"/);
      const am = readFileSync(paths.alertmanagerConfig, 'utf8');
      assert.match(am, /"url": "http:\/\/127.0.0.1:7080\/api\/v1\/monitoring\/alertmanager"/);
      assert.match(am, /"send_resolved": true/);
      assert.equal(statSync(paths.metricsTokenFile).mode & 0o777, 0o600);
      assert.equal(statSync(paths.webhookTokenFile).mode & 0o777, 0o600);
      assert.equal(readFileSync(paths.metricsTokenFile, 'utf8'), 'a-metrics-token-of-16+');
      assert.ok(webhookToken.length >= 32);
      // generated once: written again, the same token
      const again = writeStackFiles({
        paths,
        prometheus: {
          scrapeIntervalSeconds: 15,
          evaluationIntervalSeconds: 15,
          alertmanagerUrl: 'http://127.0.0.1:9093',
          prometheusUrl: null,
          berthUrl: null,
          blackboxUrl: null,
        },
        alertmanager: {
          berthUrl: null,
          groupWaitSeconds: 1,
          groupIntervalSeconds: 5,
          repeatIntervalSeconds: 60,
        },
        metricsToken: null,
        webhookToken: null,
      });
      assert.equal(again.webhookToken, webhookToken);
      // a rule file Prometheus would refuse makes the whole config check fail
      writeFileSync(path.join(paths.rulesDir, 'bad.yml'), badRules);
      const refused = await checkPrometheusConfig(paths.prometheusConfig);
      assert.equal(refused.ok, false);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test("checkRules: a good file is ok; a bad one answers promtool's message", async () => {
    const good = path.join(dir, 'good.yml');
    const bad = path.join(dir, 'bad.yml');
    writeFileSync(good, goodRules);
    writeFileSync(bad, badRules);
    assert.deepEqual(await mon.module.checkRules(good), { ok: true });
    const r = await mon.module.checkRules(bad);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /bad\.yml: .*(not a valid duration string: "1x"|parse error)/);
    assert.doesNotMatch(!r.ok ? r.message : '', /Checking|FAILED/);
    const missing = await checkRulesFile(path.join(dir, 'none.yml'));
    assert.equal(missing.ok, false);
    // the file name goes to promtool as one argv entry: no shell ever reads it
    const odd = path.join(dir, 'r $(touch pwned) `touch pwned2`; x.yml');
    writeFileSync(odd, goodRules);
    assert.deepEqual(await mon.module.checkRules(odd), { ok: true });
    assert.equal(existsSync(path.join(dir, 'pwned')) || existsSync('pwned') || existsSync('pwned2'), false);
  });

  test("query, range query, and a bad query answered with Prometheus' message", async () => {
    // Prometheus scrapes itself every second
    const up = await eventually(
      async () => {
        const r = await client.query('up{job="prometheus"}');
        return r.ok && r.samples.length === 1 ? r.samples[0]! : null;
      },
      'Prometheus scraping itself',
      30_000,
    );
    assert.equal(up.value, 1);
    assert.equal(up.metric.job, 'prometheus');
    const scalar = await client.query('scalar(vector(2.5))');
    assert.deepEqual(scalar, { ok: true, samples: [{ metric: {}, value: 2.5 }] });
    const nan = await client.query('vector(0) / 0');
    assert.ok(nan.ok && Number.isNaN(nan.samples[0]!.value));
    const end = new Date();
    const range = await client.queryRange('vector(3)', new Date(end.getTime() - 10_000), end, 5);
    assert.ok(range.ok);
    assert.equal(range.series.length, 1);
    assert.equal(range.series[0]!.points.length, 3);
    assert.deepEqual(
      range.series[0]!.points.map((p) => p[1]),
      [3, 3, 3],
    );
    const bad = await client.query('sum(rate(up[1m])');
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.kind, 'bad_query');
    assert.match(!bad.ok ? bad.error : '', /parse error/);
    const badRange = await client.queryRange('up[', end, end, 1);
    assert.equal(!badRange.ok && badRange.kind, 'bad_query');
    assert.equal(await client.ready(), true);
  });

  test('reloadPrometheus confirms new rules are loaded; a refused file keeps the previous rules', async () => {
    const file = path.join(mon.rulesDir, 'h5.yml');
    writeFileSync(file, goodRules);
    await mon.module.reloadPrometheus();
    // confirmed: the rules are there at once, no waiting
    const rules = (await (await fetch(`${mon.prometheusUrl}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string }> }> };
    };
    assert.deepEqual(
      rules.data.groups.flatMap((g) => g.rules.map((r) => r.name)),
      ['h5:up:sum', 'AlwaysOn'],
    );
    const broken = path.join(mon.rulesDir, 'broken.yml');
    writeFileSync(broken, badRules);
    await assert.rejects(mon.module.reloadPrometheus(), /reload/);
    const still = (await (await fetch(`${mon.prometheusUrl}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string }> }> };
    };
    assert.equal(still.data.groups.flatMap((g) => g.rules).length, 2);
    unlinkSync(broken);
    await mon.module.reloadPrometheus();
    // the AlwaysOn alert reaches Alertmanager
    await eventually(
      async () => {
        const res = await fetch(`${mon.alertmanagerUrl}/api/v2/alerts`);
        const alerts = (await res.json()) as Array<{ labels: Record<string, string> }>;
        return alerts.some((a) => a.labels.alertname === 'AlwaysOn');
      },
      'the alert in Alertmanager',
      30_000,
    );
  });

  test('a stopped Prometheus answers unreachable, and the reload says so', async () => {
    await mon.prometheus.stop();
    const r = await client.query('up');
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.kind, 'unreachable');
    assert.match(!r.ok ? r.error : '', /is unreachable: ECONNREFUSED/);
    const range = await client.queryRange('up', new Date(Date.now() - 5000), new Date(), 1);
    assert.equal(!range.ok && range.kind, 'unreachable');
    assert.equal(await client.ready(), false);
    await assert.rejects(mon.module.reloadPrometheus(), /did not take the reload/);
  });

  test('a Prometheus that does not answer in time is a timeout', async () => {
    const http = await import('node:http');
    const server = http.createServer(() => undefined); // never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const slow = new PrometheusClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 300 });
      const r = await slow.query('up');
      assert.equal(!r.ok && r.kind, 'timeout');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
