import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BerthProcess } from '../../../bench/soak/berth-process';
import { PrometheusClient } from '../src/modules/monitoring/prometheus-client';
import { eventually, podmanSocket } from './helpers/platform';
import { freePort } from './helpers/net';

/*
 * `npm start` (main.ts) as a process: it starts Prometheus, Alertmanager and the blackbox exporter,
 * says where Prometheus is in its banner, Prometheus scrapes Berth and the local gateway node, and
 * SIGTERM stops them all.
 */
describe('npm start with the monitoring stack', () => {
  let dataDir: string;
  let berth: BerthProcess;
  let logFile: string;
  let listens: Record<'prometheus' | 'alertmanager' | 'blackbox' | 'gatewayMetrics', string>;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'berth-start-mon-'));
    logFile = path.join(dataDir, 'berth.log');
    const free = async () => `127.0.0.1:${await freePort()}`;
    listens = {
      prometheus: await free(),
      alertmanager: await free(),
      blackbox: await free(),
      gatewayMetrics: await free(),
    };
    berth = new BerthProcess({
      root: path.resolve(import.meta.dirname, '../../..'),
      dataDir,
      apiPort: await freePort(),
      gatewayListen: await free(),
      registryListen: 'off',
      instanceId: `m${Date.now().toString(36)}`,
      podmanSocket,
      adminPassword: 'admin-password-for-tests',
      logFile,
      env: {
        BERTH_MONITORING: 'on',
        BERTH_PROMETHEUS_LISTEN: listens.prometheus,
        BERTH_ALERTMANAGER_LISTEN: listens.alertmanager,
        BERTH_BLACKBOX_LISTEN: listens.blackbox,
        BERTH_GATEWAY_METRICS_LISTEN: listens.gatewayMetrics,
        BERTH_PROMETHEUS_SCRAPE_INTERVAL_SECONDS: '1',
        BERTH_PROMETHEUS_EVALUATION_INTERVAL_SECONDS: '1',
      },
    });
    await berth.start();
  });
  after(async () => {
    await berth?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the banner names Prometheus; it scrapes Berth and the local gateway node; SIGTERM stops the stack', async () => {
    const banner = await eventually(async () => {
      const text = readFileSync(logFile, 'utf8');
      return text.includes('Berth is running') ? text : null;
    }, 'the banner');
    assert.match(
      banner,
      new RegExp(
        `Monitoring: Prometheus http://${listens.prometheus} +Alertmanager http://${listens.alertmanager} +\\(configs in ${dataDir}/monitoring\\)`,
      ),
    );
    const prom = new PrometheusClient({ url: `http://${listens.prometheus}` });
    for (const job of ['berth', 'berth-gateways', 'prometheus'])
      await eventually(
        async () => {
          const r = await prom.query(`up{job="${job}"}`);
          return r.ok && r.samples.length === 1 && r.samples[0]!.value === 1;
        },
        `Prometheus scraping ${job}`,
        60_000,
      );
    const blackbox = await fetch(`http://${listens.blackbox}/-/healthy`);
    assert.equal(blackbox.status, 200);

    await berth.stop();
    for (const l of [listens.prometheus, listens.alertmanager, listens.blackbox])
      await eventually(
        async () =>
          fetch(`http://${l}/`, { signal: AbortSignal.timeout(1000) }).then(
            () => false,
            () => true,
          ),
        `${l} to stop answering`,
        30_000,
      );
  });
});
