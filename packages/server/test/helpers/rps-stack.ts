import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localNginxHelper } from '../../src/modules/gateways/local-nginx';
import { rpsWindowSeconds } from '../../src/modules/autoscale/metric-reader';
import { writeLocalGatewayTargets } from '../../src/supervisor/helpers';
import { viaGateway } from './gateway-load';
import { startMonitoring, type TestMonitoring } from './monitoring';
import { freePort } from './net';
import { eventually, makeProject, startPlatform, waitTask, webSpec, type TestPlatform } from './platform';

export interface RpsStack {
  p: TestPlatform;
  mon: TestMonitoring;
  /** HOST:PORT of the local gateway's Nginx. */
  listen: string;
  /** The service's route (its Host header). */
  host: string;
  /** API path of the service. */
  svc: string;
  close(): Promise<void>;
}

/**
 * What autoscaling on rps needs end to end (docs/autoscaling.md): a real Prometheus (1 s scrape),
 * Berth with the local gateway's Nginx and its metrics listener, Prometheus scraping that listener
 * through the target file `npm start` writes, and service `web` (one busybox httpd replica) in
 * project `project`, env test, reachable through its route. Returns once the route's rate over the
 * autoscaler's window is in Prometheus, so a reading starts from a known 0.
 */
export async function startRpsStack(project: string, intervalSeconds: number): Promise<RpsStack> {
  const dir = mkdtempSync(path.join(tmpdir(), `berth-rps-${project}-`));
  const mon = await startMonitoring({ dir });
  const listen = `127.0.0.1:${await freePort()}`;
  let p: TestPlatform | null = null;
  let stopNginx: () => Promise<void> = () => Promise.resolve();
  const close = async () => {
    await stopNginx();
    await p?.close();
    await mon.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    p = await startPlatform(
      {
        BERTH_GATEWAY_LISTEN: listen,
        BERTH_GATEWAY_TLS_LISTEN: `127.0.0.1:${await freePort()}`,
        BERTH_GATEWAY_METRICS_LISTEN: `127.0.0.1:${await freePort()}`,
        // the Prometheus of startMonitoring scrapes every second; the rps window follows it
        BERTH_PROMETHEUS_SCRAPE_INTERVAL_SECONDS: '1',
      },
      { monitoring: mon.module },
    );
    const nginx = localNginxHelper(p.server.ctx.config, p.server.app.log);
    if (!nginx) throw new Error('the gateway is off');
    await nginx.start();
    stopNginx = () => nginx.stop();
    writeLocalGatewayTargets(p.server.ctx.config, mon.paths);
    const svc = `${await makeProject(p.api, project)}/web`;
    const r = await p.api.post<{ task: { id: string } }>(`/api/v1/projects/${project}/envs/test/services`, {
      name: 'web',
      spec: webSpec('v1', 1),
    });
    if (r.status !== 202) throw new Error(`creating web: ${r.status} ${JSON.stringify(r.body)}`);
    const task = await waitTask(p.api, r.body.task.id);
    if (task.state !== 'succeeded') throw new Error(`creating web: task ${String(task.state)}`);
    const host = `web.${project}.test.localhost`;
    await eventually(async () => (await viaGateway(listen, host)).status === 200, 'web through the gateway');
    // two scrapes in the window the autoscaler reads: a rate (0), not a hold for a missing series
    const window = rpsWindowSeconds(intervalSeconds, 1);
    await eventually(
      async () => {
        const q = await mon.module.prometheus.query(
          `rate(berth_gateway_requests_total{project="${project}",service="web",status_class="2xx"}[${window}s])`,
        );
        return q.ok && q.samples.length === 1;
      },
      'Prometheus scraping the gateway node',
      60_000,
    );
    return { p, mon, listen, host, svc, close };
  } catch (err) {
    await close();
    throw err;
  }
}
