import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import {
  defaultRouteOptions,
  ensurePrefix,
  luaModuleLines,
  renderMainConfig,
  renderUpstreams,
  RenderError,
  type RenderGateway,
  type RenderRoute,
} from '../src/index';
import { freePort } from '../../server/test/helpers/net';

/*
 * Gateway metrics from a real Nginx (Debian's Lua module): requests answered 200 and 500 count by
 * route and status class, latency lands in the histogram's buckets, and a reload keeps the
 * counters. Routes without labels and unknown hosts are not counted.
 */

const nginxBin = '/usr/sbin/nginx';

function get(port: number, host: string, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Parses Prometheus text into "name{labels}" → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('gateway metrics from Nginx', () => {
  let prefix: string;
  let nginx: ChildProcess;
  let backend: http.Server;
  let port: number;
  let metricsPort: number;
  const node = hostname();

  const gateway = (backendAddress: string): { g: RenderGateway; upstreams: string } => {
    const routes: RenderRoute[] = [
      {
        host: 'a.test',
        pool: 'pa',
        canary: null,
        options: defaultRouteOptions(),
        metrics: { project: 'shop', env: 'test', service: 'web', route: 'a.test/' },
      },
      {
        host: 'b.test',
        pool: 'pb',
        canary: null,
        options: { ...defaultRouteOptions(), pathPrefix: '/api' },
        metrics: { project: 'blog', env: 'prod', service: 'api', route: 'b.test/api' },
      },
      { host: 'c.test', pool: 'pa', canary: null, options: defaultRouteOptions() },
    ];
    const pools = ['pa', 'pb'].map((name) => ({
      name,
      servers: [{ address: backendAddress, weight: 1 }],
      maxFails: 1,
      failTimeoutSeconds: 5,
    }));
    return {
      g: {
        listen: `127.0.0.1:${port}`,
        tlsListen: null,
        certDir: '/nonexistent/certs',
        workerProcesses: 2,
        foreground: true,
        routes,
        metrics: { listen: `127.0.0.1:${metricsPort}` },
      },
      upstreams: renderUpstreams(pools),
    };
  };

  const scrape = async (): Promise<Map<string, number>> => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0.0.4/);
    return parse(await res.text());
  };

  const until = async <T>(what: string, fn: () => Promise<T | null>): Promise<T> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const v = await fn();
      if (v !== null) return v;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    backend = http.createServer((req, res) => {
      const answer = () => {
        res.statusCode = req.url?.endsWith('/fail') ? 500 : 200;
        res.end('x');
      };
      if (req.url?.endsWith('/slow')) setTimeout(answer, 300);
      else answer();
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const addr = backend.address() as { port: number };
    port = await freePort();
    metricsPort = await freePort();
    prefix = mkdtempSync(path.join(tmpdir(), 'gw-metrics-'));
    chmodSync(prefix, 0o755);
    await ensurePrefix(prefix);
    const { g, upstreams } = gateway(`127.0.0.1:${addr.port}`);
    writeFileSync(
      path.join(prefix, 'conf', 'nginx.conf'),
      [...luaModuleLines, renderMainConfig(g)].join('\n'),
    );
    writeFileSync(path.join(prefix, 'conf', 'upstreams.conf'), upstreams);
    let stderr = '';
    nginx = spawn(nginxBin, ['-p', `${prefix}/`, '-c', path.join(prefix, 'conf', 'nginx.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    nginx.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await until('nginx to answer', async () => {
      if (nginx.exitCode !== null) assert.fail(`nginx exited: ${stderr}`);
      return fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
        (r) => (r.status === 200 ? true : null),
        () => null,
      );
    });
  });

  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx.once('exit', r));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await new Promise((r) => backend?.close(r));
    rmSync(prefix, { recursive: true, force: true });
  });

  it('counts 200 and 500 answers by route and status class, with a latency histogram', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push(await get(port, 'a.test', '/ok'));
    for (let i = 0; i < 2; i += 1) statuses.push(await get(port, 'a.test', '/fail'));
    statuses.push(await get(port, 'b.test', '/api/ok'));
    statuses.push(await get(port, 'b.test', '/api/slow'));
    // not counted: a route without labels, b.test outside its prefix, an unknown host
    statuses.push(await get(port, 'c.test', '/ok'));
    statuses.push(await get(port, 'b.test', '/other'));
    statuses.push(await get(port, 'nobody.test', '/'));
    assert.deepEqual(statuses, [200, 200, 200, 500, 500, 200, 200, 200, 404, 404]);

    const a = `project="shop",env="test",service="web",route="a.test/",node="${node}"`;
    const b = `project="blog",env="prod",service="api",route="b.test/api",node="${node}"`;
    // the log phase runs after the answer went out: wait until the last one counted
    const m = await until('the counters', async () => {
      const s = await scrape();
      return s.get(`berth_gateway_request_duration_seconds_count{${b}}`) === 2 &&
        s.get(`berth_gateway_request_duration_seconds_count{${a}}`) === 5
        ? s
        : null;
    });
    assert.equal(m.get(`berth_gateway_requests_total{${a},status_class="2xx"}`), 3);
    assert.equal(m.get(`berth_gateway_requests_total{${a},status_class="5xx"}`), 2);
    assert.equal(m.get(`berth_gateway_requests_total{${a},status_class="4xx"}`), 0);
    assert.equal(m.get(`berth_gateway_requests_total{${b},status_class="2xx"}`), 2);
    assert.equal(m.get(`berth_gateway_requests_total{${b},status_class="5xx"}`), 0);
    // nothing else was counted
    const series = [...m.keys()].filter((k) => k.startsWith('berth_gateway_requests_total'));
    assert.equal(series.length, 10);
    assert.ok(!series.some((k) => k.includes('c.test') || k.includes('nobody')));
    // the slow request (300 ms) is above 0.25 s, the fast one below
    assert.equal(m.get(`berth_gateway_request_duration_seconds_bucket{${b},le="0.25"}`), 1);
    assert.equal(m.get(`berth_gateway_request_duration_seconds_bucket{${b},le="0.5"}`), 2);
    assert.equal(m.get(`berth_gateway_request_duration_seconds_bucket{${b},le="+Inf"}`), 2);
    const sum = m.get(`berth_gateway_request_duration_seconds_sum{${b}}`)!;
    assert.ok(sum >= 0.29 && sum < 2, `sum ${sum}`);
  });

  it('a reload keeps the counters (shared dicts survive it)', async () => {
    const a = `project="shop",env="test",service="web",route="a.test/",node="${node}"`;
    const before = (await scrape()).get(`berth_gateway_requests_total{${a},status_class="2xx"}`)!;
    nginx.kill('SIGHUP');
    await get(port, 'a.test', '/ok');
    await until('the count after the reload', async () => {
      const v = (await scrape()).get(`berth_gateway_requests_total{${a},status_class="2xx"}`);
      return v === before + 1 ? v : null;
    });
  });

  it('the metrics listener must be on loopback', () => {
    const { g } = gateway('127.0.0.1:9');
    assert.throws(
      () => renderMainConfig({ ...g, metrics: { listen: '0.0.0.0:9145' } }),
      (e: unknown) => e instanceof RenderError && e.field === 'metrics.listen',
    );
  });
});
