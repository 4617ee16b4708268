import http from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyBaseLogger } from 'fastify';
import { grantNetwork, grantZone, loopbackBackends } from './helpers/tenancy';
import {
  eventually,
  makeProject,
  startPlatform,
  TestApi as TestApiOf,
  userWithRole,
  type TestApi,
  type TestPlatform,
} from './helpers/platform';
import { viaGateway } from './helpers/gateway-load';
import { freePort } from './helpers/net';
import { startAgentGroup, type AgentGroup } from './helpers/gateway-nodes';
import { startMonitoring, type TestMonitoring } from './helpers/monitoring';
import { GatewayNodeTargets } from '../src/modules/gateways/gateway-node-targets';

const counted = 'count.example.test';
const ready = 'ready.example.test';

/*
 * Agent nodes' request metrics reach Prometheus (docs/monitoring.md, "Scraping"): two nodes of one
 * agent process on loopback, each with its own metrics listener (`metricsListen` of the nodes
 * file), report it; Berth writes one target file per node; Prometheus' sum over the route is the
 * number of requests sent through both nodes. A removed node's file goes.
 */
describe('gateway agent nodes scraped by Prometheus', () => {
  let p: TestPlatform;
  let mon: TestMonitoring;
  let backend: http.Server;
  let root: string;
  let group: AgentGroup | null = null;
  let devOther: TestApi;
  const tokens = new Map<string, string>();
  const metrics = new Map<string, string>();

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'berth-gw-node-metrics-'));
    mon = await startMonitoring({ dir: root });
    backend = http.createServer((_req, res) => res.end('backend ok\n'));
    const port = await freePort();
    await new Promise<void>((r) => backend.listen(port, '127.0.0.1', r));
    p = await startPlatform(
      {
        BERTH_GATEWAY_LISTEN: 'off',
        // the gateway's (loopback) default, which each node below replaces with its own
        BERTH_GATEWAY_METRICS_LISTEN: `127.0.0.1:${await freePort()}`,
        ...loopbackBackends,
      },
      { monitoring: mon.module },
    );
    await makeProject(p.api, 'shop');
    await grantZone(p.api, 'example.test', 'shop');
    await grantNetwork(p.api, '127.0.0.1/32', 'shop');
    const gw = await p.api.post('/api/v1/gateways', {
      name: 'edge',
      env: 'test',
      listen: `127.0.0.1:${await freePort()}`,
    });
    assert.equal(gw.status, 201, JSON.stringify(gw.body));
    for (const host of [counted, ready]) {
      const r = await p.api.post('/api/v1/projects/shop/envs/test/routes', {
        name: host.split('.')[0],
        spec: { host, backends: { servers: [{ address: `127.0.0.1:${port}`, weight: 1 }] } },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    for (const name of ['a', 'b']) {
      const r = await p.api.post<{ token: string }>('/api/v1/gateways/edge/nodes', { name });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      tokens.set(name, r.body.token);
      metrics.set(name, `127.0.0.1:${await freePort()}`);
    }
    // another project's route to what becomes node b's metrics listener, made before the node
    // takes that address (the fence allowed it then): its developer tries probes on it below
    await makeProject(p.api, 'other');
    await grantZone(p.api, 'other.test', 'other');
    await grantNetwork(p.api, '127.0.0.1/32', 'other');
    const early = await p.api.post('/api/v1/projects/other/envs/test/routes', {
      name: 'early',
      spec: { host: 'early.other.test', backends: { servers: [{ address: metrics.get('b'), weight: 1 }] } },
    });
    assert.equal(early.status, 201, JSON.stringify(early.body));
    devOther = await userWithRole(p, 'dev-other', 'developer', 'other');
    group = await startAgentGroup(
      'metrics',
      root,
      p.url,
      ['a', 'b'].map((name) => ({
        name,
        token: tokens.get(name)!,
        fields: { metricsListen: metrics.get(name)! },
      })),
      { waitSeconds: 5 },
    );
  });
  after(async () => {
    await group?.kill('SIGTERM');
    await p?.close();
    await mon?.stop();
    backend?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const targetFile = (node: string) => path.join(mon.paths.gatewayTargetsDir, `edge.${node}.json`);

  it('writes one target per node and sums both nodes’ requests in Prometheus', async () => {
    const nodes = group!.nodes;
    // the second route serves once a node has both routes: the counted one gets only our requests
    await eventually(
      async () =>
        (await Promise.all(nodes.map((n) => viaGateway(n.listen, ready)))).every((r) => r.status === 200),
      'both nodes serving the routes',
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${group!.output().slice(-3000)}`);
    });
    for (const name of ['a', 'b']) {
      const file = targetFile(name);
      await eventually(async () => existsSync(file), `target file of node ${name}`, 30_000);
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), [
        { targets: [metrics.get(name)], labels: { gateway: 'edge', node: name } },
      ]);
    }
    const sent = { a: 5, b: 3 };
    for (const [name, n] of Object.entries(sent)) {
      const node = nodes.find((x) => x.name === name)!;
      for (let i = 0; i < n; i += 1) assert.equal((await viaGateway(node.listen, counted)).status, 200);
    }
    // each node's own listener counts its requests (the gateway's loopback address is not used)
    const route = `route="${counted}/"`;
    const text = await (await fetch(`http://${metrics.get('a')}/metrics`)).text();
    assert.match(
      text,
      new RegExp(`berth_gateway_requests_total\\{[^}]*${route}[^}]*status_class="2xx"\\} 5$`, 'm'),
    );

    const total = await eventually(
      async () => {
        const q = await mon.module.prometheus.query(`sum(berth_gateway_requests_total{${route}})`);
        return q.ok && q.samples[0]?.value === 8 ? q.samples[0].value : null;
      },
      'Prometheus summing the requests of both nodes (8)',
      60_000,
    ).catch(async (err: Error) => {
      const q = await mon.module.prometheus.query(`berth_gateway_requests_total{${route}}`);
      throw new Error(`${err.message}; Prometheus has ${JSON.stringify(q)}`);
    });
    assert.equal(total, sent.a + sent.b);
    const q = await mon.module.prometheus.query(`berth_gateway_requests_total{${route},status_class="2xx"}`);
    assert.ok(q.ok);
    // each series names its node as Berth does (the agent renders the name), even on one machine
    const byNode = Object.fromEntries(q.samples.map((s) => [s.metric.node, s.value]));
    assert.equal(q.samples.length, 2);
    assert.deepEqual(byNode, sent);
    assert.ok(q.samples.every((s) => s.metric.gateway === 'edge' && s.metric.job === 'berth-gateways'));
  });

  it('refuses an unspecified metrics address with a clear error', async () => {
    const r = await fetch(`${p.url}/api/v1/gateway-agent/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.get('b')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ appliedVersion: null, state: 'applied', metricsAddress: '0.0.0.0:9100' }),
    });
    assert.equal(r.status, 400);
    const body = (await r.json()) as {
      error: { message: string; details?: { fields?: { path: string }[] } };
    };
    assert.match(body.error.message, /metrics address 0\.0\.0\.0:9100.*not 0\.0\.0\.0/);
    assert.equal(body.error.details?.fields?.[0]?.path, 'metricsAddress');
    // the node's target is what it reported before
    assert.equal(
      (JSON.parse(readFileSync(targetFile('b'), 'utf8')) as [{ targets: string[] }])[0].targets[0],
      metrics.get('b'),
    );
  });

  it('keeps routes from a node’s metrics listener (the backend fence)', async () => {
    const r = await p.api.post<{ error: { message: string } }>('/api/v1/projects/shop/envs/test/routes', {
      name: 'peek',
      spec: { host: 'peek.example.test', backends: { servers: [{ address: metrics.get('b'), weight: 1 }] } },
    });
    assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${JSON.stringify(r.body)}`);
    assert.match(r.body.error.message, /metrics of gateway node 'edge\/b'/);
  });

  it('keeps another project’s alert channels from a node’s metrics listener', async () => {
    // a webhook's test-send shows the receiver's answer: /metrics there is every project's counts
    const url = `http://${metrics.get('b')}/metrics`;
    for (const settings of [
      { kind: 'webhook', url, secret: 'peek-secret-1' },
      { kind: 'slack', url },
    ]) {
      const r = await devOther.post<{ error: { details: { fields: { path: string; message: string }[] } } }>(
        '/api/v1/projects/other/channels',
        { name: `peek-${settings.kind}`, settings },
      );
      assert.equal(r.status, 400, `${settings.kind}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.details.fields[0]?.path, 'settings.url');
      assert.match(r.body.error.details.fields[0]?.message ?? '', /metrics of gateway node 'edge\/b'/);
    }
    assert.equal((await devOther.get('/api/v1/projects/other/channels/peek-webhook')).status, 404);
  });

  it('keeps another project’s probes from a node’s metrics listener, even on its own route’s backend', async () => {
    // a probe's body regexes would read the counts a bit at a time
    const base = '/api/v1/projects/other/envs/test/probes';
    for (const body of [
      { name: 'peek-tcp', kind: 'tcp', address: metrics.get('b') },
      { name: 'peek-http', kind: 'http', url: `http://${metrics.get('b')}/metrics`, bodyMustMatch: 'shop' },
    ]) {
      const r = await devOther.post<{ error: { details: { fields: { path: string; message: string }[] } } }>(
        base,
        body,
      );
      assert.equal(r.status, 422, `${body.name}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error.details.fields[0]?.message ?? '', /metrics of gateway node 'edge\/b'/);
    }
    assert.equal((await devOther.get<{ items: unknown[] }>(base)).body.items.length, 0);
  });

  it('removes the target file of a removed node, and Prometheus stops scraping it', async () => {
    const del = await p.api.delete('/api/v1/gateways/edge/nodes/a');
    assert.equal(del.status, 204, JSON.stringify(del.body));
    assert.equal(existsSync(targetFile('a')), false);
    assert.equal(existsSync(targetFile('b')), true);
    await eventually(
      async () => {
        const q = await mon.module.prometheus.query('up{job="berth-gateways"}');
        return q.ok && q.samples.map((s) => s.metric.node).join() === 'b';
      },
      'Prometheus scraping node b only',
      60_000,
    );
  });
});

/*
 * `npm start` gives every gateway node a metrics listener whether or not Berth runs Prometheus
 * (BERTH_MONITORING=off): the nodes' reported addresses must be fenced then too.
 */
describe('gateway agent nodes’ metrics listeners without a monitoring stack', () => {
  let p: TestPlatform;
  let dev: TestApi;

  before(async () => {
    p = await startPlatform({
      BERTH_GATEWAY_LISTEN: 'off',
      BERTH_GATEWAY_METRICS_LISTEN: `127.0.0.1:${await freePort()}`,
    });
    await makeProject(p.api, 'other');
    await grantZone(p.api, 'other.test', 'other');
    await grantNetwork(p.api, '10.77.0.0/24', 'other');
    dev = await userWithRole(p, 'dev-far', 'developer', 'other');
  });
  let second: TestPlatform | undefined;
  after(async () => {
    await second?.server.close();
    await p?.close();
  });

  it('keeps another project’s routes from a node’s reported metrics address, on every server of the store', async () => {
    const gw = await p.api.post('/api/v1/gateways', {
      name: 'far',
      env: 'test',
      listen: `127.0.0.1:${await freePort()}`,
    });
    assert.equal(gw.status, 201, JSON.stringify(gw.body));
    const node = await p.api.post<{ token: string }>('/api/v1/gateways/far/nodes', { name: 'n1' });
    assert.equal(node.status, 201, JSON.stringify(node.body));
    // the node's agent runs with --metrics-listen 10.77.0.5:9145 and reports it
    const report = (metricsAddress: string) =>
      fetch(`${p.url}/api/v1/gateway-agent/status`, {
        method: 'POST',
        headers: { authorization: `Bearer ${node.body.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ appliedVersion: null, state: 'applied', metricsAddress }),
      });
    // a name is refused: the fence compares addresses, so a name would leave the listener open
    const named = await report('edge-1.lan:9145');
    assert.equal(named.status, 400, await named.text());
    const r = await report('10.77.0.5:9145');
    assert.equal(r.status, 200, await r.text());
    const route = (name: string, address: string) =>
      dev.post<{ error: { message: string } }>('/api/v1/projects/other/envs/test/routes', {
        name,
        spec: { host: `${name}.other.test`, backends: { servers: [{ address, weight: 1 }] } },
      });
    const peek = await route('peek', '10.77.0.5:9145');
    assert.ok(peek.status >= 400 && peek.status < 500, `${peek.status} ${JSON.stringify(peek.body)}`);
    assert.match(peek.body.error.message, /metrics of gateway node 'far\/n1'/);
    // the project's network is allowed: only the metrics listener is refused
    const web = await route('web', '10.77.0.5:80');
    assert.equal(web.status, 201, JSON.stringify(web.body));

    // A second server of the same store, which the node never reported to, fences it too.
    second = await startPlatform({
      BERTH_DATABASE_URL: path.join(p.dataDir, 'berth.sqlite'),
      BERTH_INSTANCE_ID: p.instanceId,
      BERTH_GATEWAY_LISTEN: 'off',
      BERTH_GATEWAY_METRICS_LISTEN: `127.0.0.1:${await freePort()}`,
    });
    const viaSecond = new TestApiOf(second.url, dev.token);
    const spec = (address: string) => ({
      spec: { host: 'peek2.other.test', backends: { servers: [{ address, weight: 1 }] } },
    });
    const peek2 = await viaSecond.post<{ error: { message: string } }>(
      '/api/v1/projects/other/envs/test/routes',
      {
        name: 'peek2',
        ...spec('10.77.0.5:9145'),
      },
    );
    assert.equal(peek2.status, 403, JSON.stringify(peek2.body));
    assert.match(peek2.body.error.message, /metrics of gateway node 'far\/n1'/);
    // a node that stops serving metrics is no longer fenced, on every server
    const off = await fetch(`${p.url}/api/v1/gateway-agent/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node.body.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ appliedVersion: null, state: 'applied' }),
    });
    assert.equal(off.status, 200, await off.text());
    const now = await viaSecond.post('/api/v1/projects/other/envs/test/routes', {
      name: 'peek2',
      ...spec('10.77.0.5:9145'),
    });
    assert.equal(now.status, 201, JSON.stringify(now.body));
  });
});

describe('gateway node target files', () => {
  const log = { warn: () => undefined } as unknown as FastifyBaseLogger;

  it('writes reachable, distinct addresses and refuses the others', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-gw-targets-'));
    try {
      const t = new GatewayNodeTargets(dir, '127.0.0.1:7082', log);
      // an agent on another machine: its loopback is not Prometheus' loopback
      assert.match(t.sync('edge', 'x', '127.0.0.1:9100', false) ?? '', /own loopback/);
      assert.equal(t.sync('edge', 'x', '10.0.0.5:9100', false), null);
      assert.match(t.sync('edge', 'y', '10.0.0.5:9100', false) ?? '', /scraped already by edge\.x\.json/);
      assert.match(t.sync('edge', 'y', '127.0.0.1:7082', true) ?? '', /local node/);
      assert.equal(t.sync('edge', 'y', '127.0.0.1:9101', true), null);
      assert.deepEqual(readdirSync(dir).sort(), ['edge.x.json', 'edge.y.json']);
      // a changed address replaces the file; no address removes it
      assert.equal(t.sync('edge', 'x', '10.0.0.6:9100', false), null);
      assert.match(readFileSync(path.join(dir, 'edge.x.json'), 'utf8'), /10\.0\.0\.6:9100/);
      assert.equal(t.sync('edge', 'y', null, true), null);
      assert.deepEqual(readdirSync(dir), ['edge.x.json']);
      t.sync('other', 'z', '10.0.0.7:9100', false);
      t.prune(new Set(['edge.x']));
      assert.deepEqual(readdirSync(dir), ['edge.x.json']);
      t.remove('edge', null);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
