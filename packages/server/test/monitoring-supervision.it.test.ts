import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HelperProcess } from '../src/supervisor/helper-process';
import { monitoringHelpers } from '../src/supervisor/helpers';
import { metricsToken } from '../src/modules/containers/metrics';
import { eventually, startPlatform, type TestPlatform } from './helpers/platform';
import { freePort } from './helpers/net';

/*
 * What `npm start` runs (main.ts): Berth, and Prometheus, Alertmanager and the blackbox exporter
 * supervised with their configs in the data dir. Prometheus scrapes Berth's /metrics with the
 * metrics token; Alertmanager's receiver is Berth's webhook.
 */
describe('the monitoring stack as npm start supervises it', () => {
  let p: TestPlatform;
  let helpers: HelperProcess[] = [];
  let listens: { prometheus: string; alertmanager: string; blackbox: string };
  let berthPort: number;

  before(async () => {
    berthPort = await freePort();
    listens = {
      prometheus: `127.0.0.1:${await freePort()}`,
      alertmanager: `127.0.0.1:${await freePort()}`,
      blackbox: `127.0.0.1:${await freePort()}`,
    };
    p = await startPlatform({
      BERTH_LISTEN: `127.0.0.1:${berthPort}`,
      BERTH_MONITORING: 'on',
      BERTH_PROMETHEUS_LISTEN: listens.prometheus,
      BERTH_ALERTMANAGER_LISTEN: listens.alertmanager,
      BERTH_BLACKBOX_LISTEN: listens.blackbox,
      BERTH_PROMETHEUS_SCRAPE_INTERVAL_SECONDS: '1',
      BERTH_PROMETHEUS_EVALUATION_INTERVAL_SECONDS: '1',
    });
    helpers = monitoringHelpers(p.server.ctx.config, p.server.app.log);
    for (const h of helpers) await h.start(60_000);
  });
  after(async () => {
    for (const h of helpers) await h.stop();
    await p?.close();
  });

  test('three processes on their loopback listens; the module built from config reaches them', async () => {
    assert.equal(helpers.length, 3);
    const m = p.server.monitoring;
    assert.ok(m, 'the monitoring module is on');
    assert.equal(m.prometheus.url, `http://${listens.prometheus}`);
    assert.equal(m.alertmanagerUrl, `http://${listens.alertmanager}`);
    assert.equal(m.rulesDir, path.join(p.dataDir, 'monitoring', 'rules'));
    assert.equal(await m.prometheus.ready(), true);
    const status = await fetch(`${m.alertmanagerUrl}/api/v2/status`);
    const body = (await status.json()) as { config: { original: string }; cluster: { status: string } };
    assert.match(
      body.config.original,
      new RegExp(`http://127.0.0.1:${berthPort}/api/v1/monitoring/alertmanager`),
    );
    // no gossip: the cluster is disabled, Alertmanager does not wait for peers
    assert.equal(body.cluster.status, 'disabled');
  });

  test("Prometheus scrapes Berth's /metrics with the metrics token (0600 in the data dir)", async () => {
    const m = p.server.monitoring!;
    const tokenFile = path.join(p.dataDir, 'monitoring', 'berth-metrics.token');
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    assert.equal(readFileSync(tokenFile, 'utf8'), metricsToken(p.dataDir, null));
    const up = await eventually(
      async () => {
        const r = await m.prometheus.query('up{job="berth"}');
        return r.ok && r.samples.length === 1 && r.samples[0]!.value === 1 ? r.samples[0]! : null;
      },
      "Prometheus scraping Berth's /metrics",
      30_000,
    );
    assert.equal(up.metric.instance, `127.0.0.1:${berthPort}`);
    // a scrape without the token is refused: the token is what made it work
    const anon = await fetch(`http://127.0.0.1:${berthPort}/metrics`);
    assert.equal(anon.status, 401);
  });

  test('the blackbox exporter probes over tcp_connect and http_2xx', async () => {
    const probe = async (module: string, target: string) => {
      const res = await fetch(
        `http://${listens.blackbox}/probe?module=${module}&target=${encodeURIComponent(target)}`,
      );
      return /^probe_success 1$/m.test(await res.text());
    };
    assert.equal(await probe('tcp_connect', `127.0.0.1:${berthPort}`), true);
    assert.equal(await probe('http_2xx', `http://127.0.0.1:${berthPort}/api/health`), true);
    assert.equal(await probe('tcp_connect', `127.0.0.1:${await freePort()}`), false);
  });

  test("Prometheus probes the targets of the module's probe directory through the blackbox exporter", async () => {
    const m = p.server.monitoring!;
    const closed = `127.0.0.1:${await freePort()}`;
    writeFileSync(
      path.join(m.probeTargetsDir, 'h5.json'),
      JSON.stringify([
        {
          targets: [`127.0.0.1:${berthPort}`, closed],
          labels: { module: 'tcp_connect', berth_project: 'shop' },
        },
        { targets: [`http://127.0.0.1:${berthPort}/api/health`], labels: { module: 'http_2xx' } },
      ]),
    );
    const results = await eventually(
      async () => {
        const r = await m.prometheus.query('probe_success{job="berth-probes"}');
        return r.ok && r.samples.length === 3 ? r.samples : null;
      },
      'the three probes in Prometheus',
      60_000,
    );
    const byInstance = Object.fromEntries(results.map((s) => [s.metric.instance, s]));
    assert.equal(byInstance[`127.0.0.1:${berthPort}`]!.value, 1);
    assert.equal(byInstance[`127.0.0.1:${berthPort}`]!.metric.berth_project, 'shop');
    assert.equal(byInstance[closed]!.value, 0);
    assert.equal(byInstance[`http://127.0.0.1:${berthPort}/api/health`]!.value, 1);
  });
});
