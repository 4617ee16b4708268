import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { eventually, makeProject, waitTask, webSpec } from './helpers/platform';
import { viaGateway } from './helpers/gateway-load';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';
import { startMonitoring, type TestMonitoring } from './helpers/monitoring';
import { freePort } from './helpers/net';
import { writeLocalGatewayTargets } from '../src/supervisor/helpers';

/*
 * Gateway metrics end to end: a service's requests through the local gateway's Nginx count on the
 * node's loopback metrics listener by route and status class, and Prometheus scrapes them through
 * the target file `npm start` writes.
 */
describe('gateway metrics through the local gateway and Prometheus', () => {
  let p: GatewayPlatform;
  let mon: TestMonitoring;
  let metricsListen: string;
  const host = 'web.shop.test.localhost';
  const labels = `project="shop",env="test",service="web",route="${host}/"`;

  before(async () => {
    metricsListen = `127.0.0.1:${await freePort()}`;
    p = await startGatewayPlatform({ BERTH_GATEWAY_METRICS_LISTEN: metricsListen });
    mon = await startMonitoring({ dir: p.dataDir });
  });
  after(async () => {
    await mon?.stop();
    await p?.close();
    if (mon) rmSync(mon.paths.dir, { recursive: true, force: true });
  });

  it('2xx and 4xx answers of a service count by route and class, and reach Prometheus', async () => {
    const base = await makeProject(p.api, 'shop');
    const r = await p.api.post<{ task: { id: string } }>(base, { name: 'web', spec: webSpec('v0', 1) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(p.api, r.body.task.id)).state, 'succeeded');
    await eventually(
      async () => (await viaGateway(p.listen, host)).status === 200,
      'web through the gateway',
    );
    for (let i = 0; i < 4; i += 1) assert.equal((await viaGateway(p.listen, host)).status, 200);
    for (let i = 0; i < 3; i += 1)
      assert.equal((await viaGateway(p.listen, host, { path: '/missing.html' })).status, 404);

    const series = (text: string, cls: string) =>
      Number(
        new RegExp(
          `^berth_gateway_requests_total\\{${labels},node="[^"]+",status_class="${cls}"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1] ?? NaN,
      );
    // the waiting requests above count as well: at least 5 answers 2xx, exactly 3 answered 4xx
    const text = await eventually(async () => {
      const t = await (await fetch(`http://${metricsListen}/metrics`)).text();
      return series(t, '4xx') === 3 && series(t, '2xx') >= 5 ? t : null;
    }, 'the node counting the requests');
    assert.equal(series(text, '5xx'), 0);

    // Prometheus scrapes the node through the target file npm start writes
    writeLocalGatewayTargets(p.server.ctx.config, mon.paths);
    const sample = await eventually(
      async () => {
        const q = await mon.module.prometheus.query(
          'berth_gateway_requests_total{project="shop",service="web",status_class="4xx"}',
        );
        return q.ok && q.samples.length === 1 ? q.samples[0]! : null;
      },
      'Prometheus scraping the gateway node',
      60_000,
    );
    assert.equal(sample.value, 3);
    assert.equal(sample.metric.route, `${host}/`);
    assert.equal(sample.metric.gateway, 'local');
    assert.equal(sample.metric.job, 'berth-gateways');
  });
});
