import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMonitoring, type TestMonitoring } from './helpers/monitoring';
import {
  eventually,
  makeProject,
  startPlatform,
  userWithRole,
  type TestApi,
  type TestPlatform,
} from './helpers/platform';
import { grantNetwork, grantZone, loopbackBackends } from './helpers/tenancy';

/*
 * Site monitoring on the real blackbox exporter and Prometheus (docs/probes.md): a site that
 * starts answering 500 and one whose body starts containing ERROR both fire their probe rule in
 * Prometheus; fixed, they resolve. Targets must be the project's own; another project's
 * developer can neither see nor probe them; a regex Go refuses is refused with the exporter's
 * message and changes nothing.
 */

interface PromAlert {
  labels: Record<string, string>;
  state: string;
}
interface ProbeRow {
  name: string;
  up: boolean | null;
  uptime24h: number | null;
  alertRule: string | null;
}

const probes = '/api/v1/projects/pr/envs/test/probes';

describe('site monitoring probes', () => {
  let mon: TestMonitoring;
  let p: TestPlatform;
  let site: Server;
  let sitePort = 0;
  let monDir = '';
  let otherDev: TestApi;
  // what the local site answers: its status and the body of /health
  const state = { status: 200, body: 'all good' };

  async function promAlerts(): Promise<PromAlert[]> {
    const res = await fetch(`${mon.prometheusUrl}/api/v1/alerts`);
    return ((await res.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
  }
  const firing = async (alertname: string) =>
    (await promAlerts()).filter((a) => a.labels.alertname === alertname && a.state === 'firing');
  const listed = async (name: string) =>
    (await p.api.get<{ items: ProbeRow[] }>(probes)).body.items.find((i) => i.name === name);

  before(async () => {
    site = createServer((req, res) => {
      res.writeHead(state.status, { 'content-type': 'text/plain' });
      res.end(req.url === '/health' ? state.body : 'ok');
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    sitePort = (site.address() as AddressInfo).port;
    monDir = mkdtempSync(path.join(tmpdir(), 'berth-probes-'));
    mon = await startMonitoring({ dir: monDir, blackbox: true });
    p = await startPlatform(loopbackBackends, { build: { monitoring: mon.module } });
    await makeProject(p.api, 'pr');
    await makeProject(p.api, 'other');
    await grantZone(p.api, 'pr.example.test', 'pr');
    await grantNetwork(p.api, '127.0.0.0/8', 'pr');
    // the site is the backend of a route of pr: pr owns 127.0.0.1:<port>
    const route = await p.api.post('/api/v1/projects/pr/envs/test/routes', {
      name: 'www',
      spec: { host: 'www.pr.example.test', backends: { servers: [{ address: `127.0.0.1:${sitePort}` }] } },
    });
    assert.equal(route.status, 201, JSON.stringify(route.body));
    otherDev = await userWithRole(p, 'olga', 'developer', 'other');
  });

  after(async () => {
    await p?.close();
    await mon?.stop();
    site?.close();
    if (monDir) rmSync(monDir, { recursive: true, force: true });
  });

  test('a site answering 500 fires its probe rule in Prometheus, and resolves when fixed', async () => {
    const r = await p.api.post<{ reload: unknown; alertRule: string }>(probes, {
      name: 'site',
      kind: 'http',
      url: `http://127.0.0.1:${sitePort}/`,
      expectStatus: '2xx',
      intervalSeconds: 1,
      latencyThresholdMs: 800,
      alert: { for: '0s', severity: 'critical' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.reload, { reloaded: true });
    assert.equal(r.body.alertRule, 'probe-site');
    // the probe's own blackbox module and target file, with the owner's labels and its interval
    const files = readdirSync(mon.paths.probeTargetsDir).filter((f) => f.startsWith('berth-probe-'));
    assert.equal(files.length, 1);
    const target = JSON.parse(
      readFileSync(path.join(mon.paths.probeTargetsDir, files[0]!), 'utf8'),
    ) as Array<{
      labels: Record<string, string>;
    }>;
    assert.equal(target[0]!.labels.berth_project, 'pr');
    assert.equal(target[0]!.labels.berth_probe, 'site');
    assert.equal(target[0]!.labels.__scrape_interval__, '1s');
    await eventually(
      async () => (await listed('site'))?.up === true,
      'the probe up in the list',
      60_000,
      300,
    );
    assert.equal((await firing('berth_probe_site')).length, 0);

    state.status = 500;
    const alerts = await eventually(
      async () => {
        const a = await firing('berth_probe_site');
        return a.length ? a : null;
      },
      'probe-site firing on the 500s',
      60_000,
      300,
    );
    assert.equal(alerts[0]!.labels.berth_project, 'pr');
    assert.equal(alerts[0]!.labels.berth_probe, 'site');
    assert.equal(alerts[0]!.labels.severity, 'critical');
    assert.equal((await listed('site'))?.up, false);

    state.status = 200;
    await eventually(
      async () => (await firing('berth_probe_site')).length === 0,
      'probe-site resolved once the site answers 200 again',
      60_000,
      300,
    );
    const up = await p.api.get<{ uptime: number; success: Array<[number, number]>; latency: unknown[] }>(
      `${probes}/site/uptime?range=1h`,
    );
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.ok(up.body.uptime > 0 && up.body.uptime < 1, `some probes failed, some passed: ${up.body.uptime}`);
    assert.ok(up.body.success.length > 0 && up.body.latency.length > 0);
  });

  test('a probe whose interval is edited runs on in Prometheus at its new interval', async () => {
    // 2 s with an 800 ms threshold: a 1.8 s scrape timeout, which Prometheus reads only as 1800ms
    const r = await p.api.put(`${probes}/site`, {
      kind: 'http',
      url: `http://127.0.0.1:${sitePort}/`,
      intervalSeconds: 2,
      latencyThresholdMs: 800,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // the target itself, not the list: the 1 s samples stay 'up' there for a few seconds
    type Target = { labels: Record<string, string>; scrapeInterval: string; health: string };
    await eventually(
      async () => {
        const res = await fetch(`${mon.prometheusUrl}/api/v1/targets?scrapePool=berth-probes`);
        const t = ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
        const site = t.find((x) => x.labels.berth_probe === 'site');
        return site?.scrapeInterval === '2s' && site.health === 'up';
      },
      'the site probe scraped at 2 s by Prometheus',
      60_000,
      300,
    );
    assert.equal((await listed('site'))?.up, true);
  });

  test('a page whose body starts containing ERROR fires; fixed, it resolves', async () => {
    const r = await p.api.post(probes, {
      name: 'body',
      kind: 'http',
      url: `http://127.0.0.1:${sitePort}/health`,
      bodyMustNotMatch: 'ERROR',
      intervalSeconds: 1,
      alert: { for: '0s' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await eventually(async () => (await listed('body'))?.up === true, 'the body probe up', 60_000, 300);
    state.body = 'ERROR: the database is gone';
    await eventually(
      async () => (await firing('berth_probe_body')).length > 0,
      'probe-body firing on ERROR',
      60_000,
      300,
    );
    // still 200: the status probe stays quiet
    assert.equal((await firing('berth_probe_site')).length, 0);
    state.body = 'all good';
    await eventually(
      async () => (await firing('berth_probe_body')).length === 0,
      'probe-body resolved',
      60_000,
      300,
    );
  });

  test('a target the project does not own, or a listener of Berth, is refused and nothing changes', async () => {
    const before = (await p.api.get<{ items: ProbeRow[] }>(probes)).body.items.length;
    const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
      [
        'a host of no route of pr',
        { url: 'http://shop.elsewhere.test/' },
        'url',
        /not the host of a route of pr\/test/,
      ],
      [
        'a port of nothing pr routes to',
        { url: 'http://127.0.0.1:1/' },
        'url',
        /not a server backend of a route/,
      ],
      ['the metadata service', { url: 'http://169.254.169.254/latest/' }, 'url', /link-local/],
      ['the Berth API', { url: `${p.url}/api/v1/health` }, 'url', /listener of Berth itself/],
      [
        'Prometheus',
        { url: `${mon.prometheusUrl}/-/reload` },
        'url',
        /listener of Berth itself|not a server backend/,
      ],
      [
        'a route host off the gateway ports',
        { url: 'http://www.pr.example.test:9090/' },
        'url',
        /not a port the gateway/,
      ],
    ];
    for (const [what, body, field, message] of cases) {
      const r = await p.api.post<{
        error: { message: string; details: { fields: Array<{ path: string }> } };
      }>(probes, { name: 'bad', kind: 'http', ...body });
      assert.equal(r.status, 422, `${what}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error.message, message, what);
      assert.equal(r.body.error.details.fields[0]!.path, field, what);
    }
    const tcp = await p.api.post(probes, { name: 'bad', kind: 'tcp', address: 'www.pr.example.test:5432' });
    assert.equal(tcp.status, 422, JSON.stringify(tcp.body));
    assert.match(JSON.stringify(tcp.body), /not a TCP entry port assigned to project 'pr'/);
    // a TCP probe of the route's backend is pr's
    const okTcp = await p.api.post(probes, {
      name: 'port',
      kind: 'tcp',
      address: `127.0.0.1:${sitePort}`,
      intervalSeconds: 2,
    });
    assert.equal(okTcp.status, 201, JSON.stringify(okTcp.body));
    assert.equal((await p.api.get<{ items: ProbeRow[] }>(probes)).body.items.length, before + 1);
  });

  test("another project's developer can neither see pr's probes nor probe pr's site", async () => {
    // pr does not exist for them (Berth answers 404 to a project one cannot see)
    const list = await otherDev.get(probes);
    assert.equal(list.status, 404, JSON.stringify(list.body));
    const del = await otherDev.delete(`${probes}/site`);
    assert.equal(del.status, 404);
    assert.equal((await p.api.get(`${probes}/site`)).status, 200);
    const own = await otherDev.post<{ error: { message: string } }>(
      '/api/v1/projects/other/envs/test/probes',
      {
        name: 'steal',
        kind: 'http',
        url: `http://127.0.0.1:${sitePort}/`,
      },
    );
    assert.equal(own.status, 422, JSON.stringify(own.body));
    assert.match(own.body.error.message, /not a server backend of a route of other\/test/);
    const host = await otherDev.post('/api/v1/projects/other/envs/test/probes', {
      name: 'steal',
      kind: 'http',
      url: 'http://www.pr.example.test/',
    });
    assert.equal(host.status, 422, JSON.stringify(host.body));
  });

  test('a regex Go refuses is refused with the reason, and nothing changes', async () => {
    const blackbox = readFileSync(mon.module.blackbox!.configFile, 'utf8');
    // look-ahead: JavaScript takes it, RE2 does not (the schema says so)
    const look = await p.api.post<{
      error: { details: { fields: Array<{ path: string; message: string }> } };
    }>(probes, {
      name: 'regex',
      kind: 'http',
      url: `http://127.0.0.1:${sitePort}/`,
      bodyMustNotMatch: '(?=ERROR)',
    });
    assert.equal(look.status, 400, JSON.stringify(look.body));
    assert.match(JSON.stringify(look.body), /look-around/);
    // an unknown POSIX class: JavaScript reads a bracket expression, the exporter's Go refuses it
    const posix = await p.api.post<{ error: { message: string } }>(probes, {
      name: 'regex',
      kind: 'http',
      url: `http://127.0.0.1:${sitePort}/`,
      bodyMustNotMatch: '[[:nope:]]',
    });
    assert.equal(posix.status, 422, JSON.stringify(posix.body));
    assert.match(posix.body.error.message, /blackbox exporter refuses the probe: .*regular expression/);
    assert.equal(readFileSync(mon.module.blackbox!.configFile, 'utf8'), blackbox, 'blackbox.yml unchanged');
    assert.equal((await p.api.get(`${probes}/regex`)).status, 404);
  });

  test('deleting a probe removes its target, its module and its alert rule', async () => {
    const r = await p.api.delete(`${probes}/body`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await p.api.get('/api/v1/projects/pr/envs/test/alert-rules/probe-body')).status, 404);
    const files = readdirSync(mon.paths.probeTargetsDir).filter((f) => f.startsWith('berth-probe-'));
    assert.equal(files.length, 2, 'site and port remain');
    assert.ok(!readFileSync(mon.module.blackbox!.configFile, 'utf8').includes('ERROR'));
    assert.ok(existsSync(mon.module.blackbox!.configFile));
  });
});
