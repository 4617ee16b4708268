import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  EndpointsClient,
  dynamicMainConfig,
  endpointSetOf,
  writeEndpointsFile,
  controlSocketPath,
  defaultRouteOptions,
  endpointsFile,
  ensurePrefix,
  luaModuleLines,
  prepareNodeDirs,
  removeStaleSocket,
  renderDynamicUpstreams,
  renderMainConfig,
  validateConfig,
  type DynamicLayout,
  type EndpointSet,
  type RenderGateway,
  type RenderPool,
  type RenderRoute,
} from '../src/index';
import { freePort } from '../../server/test/helpers/net';

/*
 * The Nginx side of endpoints without reload, against a real Nginx with Debian's Lua module on
 * loopback: pushes change where traffic goes with the same master and workers, weights and
 * retries behave like the rendered upstreams, bad pushes change nothing, a restarted node serves
 * the last pushed set from its first request.
 */

const nginxBin = '/usr/sbin/nginx';

/** A small HTTP backend that answers its name. */
interface Backend {
  name: string;
  address: string;
  close(): Promise<void>;
}

async function backend(name: string): Promise<Backend> {
  const server = http.createServer((_req, res) => {
    res.setHeader('connection', 'close');
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    name,
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const route = (host: string, pool: string): RenderRoute => ({
  host,
  pool,
  canary: null,
  options: defaultRouteOptions(),
});

const gatewayOf = (listen: string, routes: RenderRoute[]): RenderGateway => ({
  listen,
  tlsListen: null,
  certDir: '/nonexistent/certs',
  workerProcesses: 2,
  foreground: true,
  routes,
});

const pool = (name: string, maxFails = 1, failTimeoutSeconds = 5): RenderPool => ({
  name,
  servers: [],
  maxFails,
  failTimeoutSeconds,
});

/** One Nginx running the rendered configuration in the foreground, on a free loopback port. */
class Node {
  proc: ChildProcess | null = null;
  readonly client: EndpointsClient;
  constructor(
    readonly prefix: string,
    readonly port: number,
    readonly layout: DynamicLayout,
  ) {
    this.client = new EndpointsClient(controlSocketPath(prefix));
  }

  static async create(
    routes: RenderRoute[],
    pools: RenderPool[],
    layout: DynamicLayout = 'balancer',
  ): Promise<Node> {
    const prefix = mkdtempSync(path.join(tmpdir(), 'gw-dyn-'));
    chmodSync(prefix, 0o755); // the workers (nobody when the tests run as root) traverse it
    const node = new Node(prefix, await freePort(), layout);
    await ensurePrefix(prefix);
    await prepareNodeDirs(prefix);
    await node.rewrite(routes, pools);
    return node;
  }

  /** Writes both files for these routes and pools (the control socket stays). */
  async rewrite(routes: RenderRoute[], pools: RenderPool[]): Promise<void> {
    const main = dynamicMainConfig(gatewayOf(`127.0.0.1:${this.port}`, routes), this.layout)
      // notice: so that a reload ("signal 1 (SIGHUP) received", "reconfiguring") would be logged.
      .replace('error_log logs/error.log warn;', 'error_log logs/error.log notice;');
    writeFileSync(path.join(this.prefix, 'conf', 'nginx.conf'), main);
    writeFileSync(
      path.join(this.prefix, 'conf', 'upstreams.conf'),
      renderDynamicUpstreams(pools, { controlSocket: controlSocketPath(this.prefix), layout: this.layout }),
    );
  }

  async waitForNewWorkers(before: string[]): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const now = await this.workers();
      if (now.length > 0 && now.every((w) => !before.includes(w))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no new workers after HUP');
  }

  async start(): Promise<void> {
    let stderr = '';
    const proc = spawn(
      nginxBin,
      ['-p', `${this.prefix}/`, '-c', path.join(this.prefix, 'conf', 'nginx.conf')],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.proc = proc;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
      const ok = await this.client.get().then(
        () => true,
        () => false,
      );
      if (ok && (await this.workers()).length > 0) return;
      if (Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Graceful stop (QUIT), waiting until the master has exited. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGQUIT');
    await exited;
    this.proc = null;
  }

  masterPid(): number {
    return Number(readFileSync(path.join(this.prefix, 'logs', 'nginx.pid'), 'utf8').trim());
  }

  async workers(): Promise<string[]> {
    const pid = this.proc?.pid;
    if (!pid) return [];
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.split(/\s+/).filter(Boolean).sort();
  }

  errorLog(): string {
    return readFileSync(path.join(this.prefix, 'logs', 'error.log'), 'utf8');
  }

  endpointsFileText(): string {
    return readFileSync(path.join(this.prefix, endpointsFile), 'utf8');
  }

  request(host: string, urlPath = '/', method = 'GET'): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: this.port, path: urlPath, method, headers: { host }, agent: false },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  async counts(host: string, n: number): Promise<Map<string, number>> {
    const m = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const r = await this.request(host);
      const key = r.status === 200 ? r.body : `status ${r.status}`;
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    return m;
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.prefix, { recursive: true, force: true });
  }
}

describe('dynamic upstreams: rendering', () => {
  it('renders the pools without endpoints, one balancer upstream and the control server; nginx -t accepts it', async () => {
    const pools = [
      { ...pool('svc_b'), servers: [{ address: '127.0.0.1:8081', weight: 2 }] },
      pool('svc_a', 3, 10),
    ];
    const text = renderDynamicUpstreams(pools, { controlSocket: '/run/berth/node1/control/endpoints.sock' });
    assert.match(text, /lua_shared_dict berth_endpoints 64m;/);
    assert.match(
      text,
      /^upstream berth_balancer \{ server 127\.0\.0\.1:9 down; balancer_by_lua_block \{ package\.loaded\.berth_endpoints\.balance\(\) \} \}$/m,
    );
    assert.equal(text.match(/^upstream /gm)?.length, 1, 'no upstream per pool');
    assert.match(text, /^"svc_a 3 10",\n"svc_b 1 5",$/m);
    assert.match(text, /listen unix:\/run\/berth\/node1\/control\/endpoints\.sock;/);
    assert.ok(!text.includes('8081'), 'endpoints are pushed, not rendered');

    const routes = [
      route('a.x.test.localhost', 'svc_a'),
      { ...route('b.x.test.localhost', 'svc_b'), options: { ...defaultRouteOptions(), pathPrefix: '/api/' } },
      { ...route('c.x.test.localhost', 'svc_a'), canary: { pool: 'svc_b', percent: 10 } },
    ];
    const main = dynamicMainConfig(gatewayOf('127.0.0.1:18182', routes));
    assert.ok(main.startsWith(`${luaModuleLines.join('\n')}\n# Generated by Berth`));
    assert.equal(main.match(/proxy_pass http:\/\/berth_balancer;/g)?.length, 2);
    assert.doesNotMatch(main, /proxy_pass http:\/\/\$/);
    assert.match(main, /set \$berth_route_pool svc_b;/);
    // Apart from the load_module lines and proxy_pass, the text is renderMainConfig's.
    const plain = renderMainConfig(gatewayOf('127.0.0.1:18182', routes));
    assert.equal(
      main.slice(luaModuleLines.join('\n').length + 1).replace(/proxy_pass http:\/\/berth_balancer;/g, ''),
      plain.replace(/proxy_pass http:\/\/\$berth_(route_)?pool;/g, ''),
    );

    const scratch = mkdtempSync(path.join(tmpdir(), 'gw-dyn-t-'));
    try {
      // nginx -t binds the control socket (and removes it again), so validateConfig moves it into
      // the scratch prefix: a text naming the node's own socket (/run/berth/node1, missing here)
      // is checked there, and nothing is created at the node's path.
      const controlSocket = path.join(scratch, 'control', 'endpoints.sock');
      const checked = renderDynamicUpstreams(pools, { controlSocket });
      assert.deepEqual(await validateConfig(nginxBin, scratch, { main, upstreams: checked }), { ok: true });
      assert.deepEqual(await validateConfig(nginxBin, scratch, { main, upstreams: text }), { ok: true });
      assert.equal(existsSync('/run/berth/node1'), false);
      // The other layout: today's main text, one upstream per pool.
      const perPool = renderDynamicUpstreams(pools, { controlSocket, layout: 'pool-upstreams' });
      assert.match(
        perPool,
        /^upstream svc_a \{ server 127\.0\.0\.1:9 down; balancer_by_lua_block \{ package\.loaded\.berth_endpoints\.balance\("svc_a"\) \} \}$/m,
      );
      assert.equal(perPool.match(/^upstream /gm)?.length, 2);
      const perPoolMain = dynamicMainConfig(gatewayOf('127.0.0.1:18182', routes), 'pool-upstreams');
      assert.equal(perPoolMain, [...luaModuleLines, plain].join('\n'));
      assert.deepEqual(await validateConfig(nginxBin, scratch, { main: perPoolMain, upstreams: perPool }), {
        ok: true,
      });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('refuses a control socket that is not an absolute .sock path, and pool names that are not identifiers', () => {
    for (const s of ['relative/endpoints.sock', '/a/../b.sock', '/run/x; evil.sock', '/run/x.sock;']) {
      assert.throws(() => renderDynamicUpstreams([], { controlSocket: s }), /control socket/);
    }
    assert.throws(
      () => renderDynamicUpstreams([pool('Bad-Name')], { controlSocket: '/run/x.sock' }),
      /not an identifier/,
    );
  });
});

for (const layout of ['balancer', 'pool-upstreams'] as const)
  describe(`dynamic upstreams (${layout} layout): pushing endpoints into a running Nginx`, () => {
    let node: Node;
    let b1: Backend;
    let b2: Backend;
    let b3: Backend;
    let master = 0;
    let workers: string[] = [];
    let version = 0;
    const hostA = 'a.x.test.localhost';
    const hostB = 'b.x.test.localhost';
    // A route with a location of its own: the balancer reads its pool from $berth_route_pool.
    const hostD = 'd.x.test.localhost';
    const routeD = { ...route(hostD, 'svc_b'), options: { ...defaultRouteOptions(), pathPrefix: '/api/' } };
    const push = async (pools: EndpointSet['pools']) => {
      version += 1;
      const r = await node.client.put({ version, pools });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r;
    };

    before(async () => {
      [b1, b2, b3] = await Promise.all([backend('b1'), backend('b2'), backend('b3')]);
      node = await Node.create(
        [route(hostA, 'svc_a'), route(hostB, 'svc_b'), routeD],
        [pool('svc_a'), pool('svc_b')],
        layout,
      );
      await node.start();
      master = node.masterPid();
      workers = await node.workers();
      assert.equal(workers.length, 2);
    });

    after(async () => {
      await node?.cleanup();
      await Promise.all([b1, b2, b3].map((b) => b?.close()));
    });

    it('starts with no endpoints: version 0, and a pool answers 502 at once', async () => {
      assert.deepEqual(await node.client.get(), { version: 0, pools: {} });
      assert.equal((await node.request(hostA)).status, 502);
    });

    it('moves traffic to each pushed set at once, with the same master and workers and no reload', async () => {
      const r = await push({
        svc_a: [{ address: b1.address, weight: 1 }],
        svc_b: [{ address: b3.address, weight: 1 }],
      });
      assert.deepEqual(r.body, { version: 1, pools: 2, endpoints: 2 });
      assert.deepEqual([...(await node.counts(hostA, 20))], [['b1', 20]]);
      assert.deepEqual([...(await node.counts(hostB, 5))], [['b3', 5]]);
      assert.deepEqual(await node.request(hostD, '/api/x'), { status: 200, body: 'b3' });
      assert.equal((await node.request(hostD, '/other')).status, 404);

      await push({
        svc_a: [
          { address: b2.address, weight: 1 },
          { address: b3.address, weight: 1 },
        ],
        svc_b: [{ address: b1.address, weight: 1 }],
      });
      // The first request after the 200 already sees the new set, on either worker.
      const a = await node.counts(hostA, 40);
      assert.equal(a.get('b1'), undefined);
      assert.ok((a.get('b2') ?? 0) >= 10 && (a.get('b3') ?? 0) >= 10, JSON.stringify([...a]));
      assert.deepEqual([...(await node.counts(hostB, 5))], [['b1', 5]]);

      assert.equal(node.masterPid(), master);
      assert.deepEqual(await node.workers(), workers);
      const log = node.errorLog();
      assert.doesNotMatch(log, /SIGHUP|reconfiguring|gracefully shutting down/);
      assert.deepEqual(await node.client.get(), {
        version: 2,
        pools: {
          svc_a: [
            { address: b2.address, weight: 1 },
            { address: b3.address, weight: 1 },
          ],
          svc_b: [{ address: b1.address, weight: 1 }],
        },
      });
    });

    it('respects weights (smooth weighted round robin per worker)', async () => {
      await push({
        svc_a: [
          { address: b1.address, weight: 1 },
          { address: b2.address, weight: 3 },
          { address: b3.address, weight: 0 },
        ],
      });
      const c = await node.counts(hostA, 400);
      const one = c.get('b1') ?? 0;
      const three = c.get('b2') ?? 0;
      assert.equal(c.get('b3'), undefined, 'weight 0 is drained');
      assert.equal(one + three, 400);
      assert.ok(three / one > 2.4 && three / one < 3.6, `b1 ${one}, b2 ${three}`);
      // A pool missing from a push has no endpoints.
      assert.equal((await node.request(hostB)).status, 502);
    });

    it('retries a refused endpoint on another one: no failed request', async () => {
      const dead = `127.0.0.1:${await freePort()}`;
      await push({
        svc_a: [
          { address: dead, weight: 5 },
          { address: b1.address, weight: 1 },
          { address: b2.address, weight: 1 },
        ],
      });
      const c = await node.counts(hostA, 100);
      assert.equal((c.get('b1') ?? 0) + (c.get('b2') ?? 0), 100, JSON.stringify([...c]));
      assert.match(
        node.errorLog(),
        new RegExp(`connect\\(\\) failed \\(111: Connection refused\\).*upstream: "http://${dead}/"`),
      );
    });

    it('refuses an older version with 409 and takes the same version again as unchanged', async () => {
      const before = await node.client.get();
      const old = await node.client.put({
        version: version - 1,
        pools: { svc_a: [{ address: b3.address, weight: 1 }] },
      });
      assert.equal(old.status, 409);
      assert.match(
        String(old.body.error),
        new RegExp(`version ${version - 1} is older than the applied version ${version}`),
      );
      const same = await node.client.put(before);
      assert.equal(same.status, 200);
      assert.equal(same.body.unchanged, true);
      const other = await node.client.put({
        version,
        pools: { svc_a: [{ address: b3.address, weight: 1 }] },
      });
      assert.equal(other.status, 409);
      assert.match(String(other.body.error), /already applied with other endpoints/);
      assert.deepEqual(await node.client.get(), before);
    });

    it('PATCH replaces only the pools it names, against the version the node runs', async () => {
      const start = await node.client.get();
      await push({
        svc_a: [{ address: b1.address, weight: 1 }],
        svc_b: [{ address: b2.address, weight: 1 }],
      });
      const base = version;
      const master0 = node.masterPid();
      const r = await node.client.patch({
        version: base + 1,
        base,
        pools: { svc_a: [{ address: b3.address, weight: 1 }] },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body, { version: base + 1, pools: 1, endpoints: 1 });
      version = base + 1;
      assert.deepEqual([...(await node.counts(hostA, 6))], [['b3', 6]]);
      // the pool the delta did not name keeps its endpoints
      assert.deepEqual(await node.request(hostB), { status: 200, body: 'b2' });
      assert.equal(await node.client.version(), version);
      assert.equal(node.masterPid(), master0);
      // the node runs another version than the base: nothing changes, and the answer says so
      const stale = await node.client.patch({
        version: version + 1,
        base: version - 1,
        pools: { svc_a: [{ address: b1.address, weight: 1 }] },
      });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.base, false);
      assert.match(
        String(stale.body.error),
        new RegExp(`base ${version - 1} is not the applied version ${version}; send the whole set`),
      );
      const unknown = await node.client.patch({ version: version + 1, base: version, pools: { svc_zz: [] } });
      assert.equal(unknown.status, 400);
      assert.match(String(unknown.body.error), /pools\.svc_zz: unknown pool/);
      const noBase = await node.client.put({ version: version + 1, base: version, pools: {} } as never);
      assert.equal(noBase.status, 400);
      assert.match(String(noBase.body.error), /unknown field "base"/);
      assert.equal(await node.client.version(), version);
      assert.deepEqual([...(await node.counts(hostA, 3))], [['b3', 3]]);
      await push(start.pools); // the later tests start from the set before this one
    });

    it('refuses invalid bodies with a message that says what is wrong, and changes nothing', async () => {
      const before = await node.client.get();
      const file = node.endpointsFileText();
      const v = version + 1;
      const ep = { address: b3.address, weight: 1 };
      const cases: [string, RegExp][] = [
        ['{"version": 9, "pools": ', /not valid JSON/],
        ['', /body is empty/],
        ['[1, 2]', /must be a JSON object .*, not an array/],
        ['{}', /version must be a positive integer/],
        [JSON.stringify({ version: v, pools: { svc_a: [ep] }, extra: 1 }), /unknown field "extra"/],
        [JSON.stringify({ version: 1.5, pools: {} }), /version must be a positive integer/],
        [JSON.stringify({ version: '7', pools: {} }), /version must be a positive integer, got "7"/],
        [JSON.stringify({ version: v, pools: { svc_zz: [ep] } }), /pools\.svc_zz: unknown pool/],
        [
          JSON.stringify({ version: v, pools: { svc_a: [ep], svc_b: { a: 1 } } }),
          /pools\.svc_b must be a list/,
        ],
        [
          JSON.stringify({ version: v, pools: { svc_a: [{ address: '127.0.0.1:0', weight: 1 }] } }),
          /pools\.svc_a\[0\]\.address must be IPV4:PORT/,
        ],
        [
          JSON.stringify({ version: v, pools: { svc_a: [ep, { address: '256.1.1.1:80' }] } }),
          /pools\.svc_a\[1\]\.address/,
        ],
        [
          JSON.stringify({ version: v, pools: { svc_a: [{ address: 'example.com:80' }] } }),
          /address must be IPV4:PORT/,
        ],
        [
          JSON.stringify({ version: v, pools: { svc_a: [{ address: '127.0.0.1:80 ; x' }] } }),
          /address must be IPV4:PORT/,
        ],
        [
          JSON.stringify({ version: v, pools: { svc_a: [{ ...ep, weight: -1 }] } }),
          /weight must be an integer from 0/,
        ],
        [
          JSON.stringify({ version: v, pools: { svc_a: [{ ...ep, weight: 1001 }] } }),
          /weight must be an integer/,
        ],
        [JSON.stringify({ version: v, pools: { svc_a: [ep, ep] } }), /appears twice/],
        [
          JSON.stringify({ version: v, pools: { svc_a: [{ ...ep, backup: true }] } }),
          /unknown field "backup"/,
        ],
      ];
      for (const [body, message] of cases) {
        const r = await node.client.put(body);
        assert.equal(r.status, 400, `${body}: ${JSON.stringify(r.body)}`);
        assert.match(String(r.body.error), message, body);
      }
      assert.deepEqual(await node.client.get(), before);
      assert.equal(node.endpointsFileText(), file);
      const c = await node.counts(hostA, 10);
      assert.equal(c.get('b3'), undefined, 'traffic still follows the applied set');
    });

    it('keeps the control interface off the data listener', async () => {
      // The route's pool answers /endpoints on the data listener; a PUT there reaches a backend,
      // never the control server, and an unknown host gets the default 404.
      const viaRoute = await node.request(hostA, '/endpoints');
      assert.match(viaRoute.body, /^b[12]$/);
      const other = await node.request('nothing.x.test.localhost', '/endpoints', 'PUT');
      assert.equal(other.status, 404);
      assert.equal((await node.client.get()).version, version);
      assert.equal(statSync(path.dirname(controlSocketPath(node.prefix))).mode & 0o777, 0o700);
    });

    it('serves the last pushed set from the first request after a restart (stop + start)', async () => {
      await push({
        svc_a: [{ address: b3.address, weight: 1 }],
        svc_b: [{ address: b2.address, weight: 1 }],
      });
      const pushed = await node.client.get();
      assert.equal(JSON.parse(node.endpointsFileText()).version, version);
      await node.stop();
      await node.start();
      assert.notEqual(node.masterPid(), master, 'a new master');
      // The very first request of the new master already goes to the last pushed endpoint.
      assert.deepEqual(await node.request(hostA), { status: 200, body: 'b3' });
      assert.deepEqual(await node.request(hostB), { status: 200, body: 'b2' });
      assert.deepEqual(await node.client.get(), pushed);
      master = node.masterPid();
      workers = await node.workers();
    });

    it('loses no request in 20 rollouts under load: push the new endpoint, then stop the old one', async () => {
      const backends = [await backend('r0')];
      let stop = false;
      const loops: Promise<void>[] = [];
      try {
        await push({ svc_a: [{ address: backends[0]!.address, weight: 1 }] });
        const statuses = new Map<string, number>();
        let total = 0;
        const load = async () => {
          while (!stop) {
            const r = await node.request(hostA).catch((e: Error) => ({ status: 0, body: e.message }));
            total += 1;
            const key = r.status === 200 ? '200' : `${r.status} ${r.body.slice(0, 80)}`;
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
          }
        };
        for (let i = 0; i < 4; i++) loops.push(load());
        for (let i = 1; i <= 20; i++) {
          // As a rollout does: the new container joins when ready, then the old one leaves
          // rotation; it is stopped after every node acknowledged (200) and its drain period.
          const next = await backend(`r${i}`);
          backends.push(next);
          await push({
            svc_a: [
              { address: backends[i - 1]!.address, weight: 1 },
              { address: next.address, weight: 1 },
            ],
          });
          await new Promise((r) => setTimeout(r, 20));
          await push({ svc_a: [{ address: next.address, weight: 1 }] });
          await new Promise((r) => setTimeout(r, 50)); // drainSeconds, scaled down
          await backends[i - 1]!.close();
        }
        stop = true;
        await Promise.all(loops);
        assert.deepEqual([...statuses], [['200', total]]);
        assert.ok(total >= 40, `only ${total} requests`);
        assert.equal(node.masterPid(), master);
        assert.deepEqual(await node.workers(), workers);
      } finally {
        stop = true;
        await Promise.all(loops);
        await Promise.all(backends.map((b) => b.close().catch(() => undefined)));
      }
    });

    it('keeps the pushed endpoints through a reload that adds a pool; the new pool waits for its push', async () => {
      const hostC = 'c.x.test.localhost';
      await push({
        svc_a: [{ address: b1.address, weight: 1 }],
        svc_b: [{ address: b2.address, weight: 1 }],
      });
      const pushed = await node.client.get();
      await node.rewrite(
        [route(hostA, 'svc_a'), route(hostB, 'svc_b'), routeD, route(hostC, 'svc_c')],
        [pool('svc_a'), pool('svc_b'), pool('svc_c')],
      );
      const before = await node.workers();
      process.kill(node.masterPid(), 'SIGHUP');
      await node.waitForNewWorkers(before);
      // the same version; the new configuration's pool is listed, without endpoints until pushed
      assert.deepEqual(await node.client.get(), { ...pushed, pools: { ...pushed.pools, svc_c: [] } });
      assert.deepEqual(await node.request(hostA), { status: 200, body: 'b1' });
      assert.deepEqual(await node.request(hostB), { status: 200, body: 'b2' });
      assert.equal((await node.request(hostC)).status, 502);
      await push({
        svc_a: [{ address: b1.address, weight: 1 }],
        svc_b: [{ address: b2.address, weight: 1 }],
        svc_c: [{ address: b3.address, weight: 1 }],
      });
      assert.deepEqual(await node.request(hostC), { status: 200, body: 'b3' });
    });

    it('starts with the endpoints file even when it names a pool the configuration no longer has', async () => {
      await node.rewrite([route(hostA, 'svc_a')], [pool('svc_a')]);
      await node.stop();
      await node.start();
      assert.deepEqual(await node.request(hostA), { status: 200, body: 'b1' });
      assert.deepEqual(await node.client.get(), {
        version,
        pools: { svc_a: [{ address: b1.address, weight: 1 }] },
      });
      assert.match(
        node.errorLog(),
        /the endpoints file names pool svc_b, which this configuration does not have/,
      );
    });

    it('removes a stale control socket only when no Nginx listens on it', async () => {
      assert.equal(await removeStaleSocket(controlSocketPath(node.prefix)), false);
    });
  });

describe('dynamic upstreams: the agent side', () => {
  it('removes a control socket nothing listens on (left by a killed master)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-dyn-s-'));
    try {
      const socket = path.join(dir, 'endpoints.sock');
      // A unix socket file whose listener is gone, as after kill -9 of the master.
      const child = spawn(
        process.execPath,
        ['-e', 'require("net").createServer().listen(process.argv[1], () => console.log("up"))', socket],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise((resolve) => child.stdout?.once('data', resolve));
      assert.equal(await removeStaleSocket(socket), false, 'a listener is there');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      assert.ok(statSync(socket).isSocket());
      assert.equal(await removeStaleSocket(socket), true);
      assert.throws(() => statSync(socket), /ENOENT/);
      assert.equal(await removeStaleSocket(socket), false, 'nothing to remove');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('seeds the endpoints file of a node that never ran with the set of rendered pools', async () => {
    const prefix = mkdtempSync(path.join(tmpdir(), 'gw-dyn-w-'));
    try {
      if (process.getuid?.() === 0) {
        // mkdtemp makes 0700: the workers (nobody) could not reach PREFIX/endpoints.
        await assert.rejects(prepareNodeDirs(prefix), /must be searchable by others/);
      }
      chmodSync(prefix, 0o755);
      await prepareNodeDirs(prefix);
      assert.equal(statSync(path.join(prefix, 'control')).mode & 0o777, 0o700);
      const set = endpointSetOf(7, [
        { ...pool('svc_a'), servers: [{ address: '127.0.0.1:8081', weight: 2 }] },
      ]);
      await writeEndpointsFile(prefix, set);
      assert.deepEqual(JSON.parse(readFileSync(path.join(prefix, endpointsFile), 'utf8')), {
        version: 7,
        pools: { svc_a: [{ address: '127.0.0.1:8081', weight: 2 }] },
      });
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});

describe('dynamic upstreams: timing at 10,000 endpoints in 1,000 pools', () => {
  it('prints push → first request on the new set', async () => {
    const [oldB, newB] = await Promise.all([backend('old'), backend('new')]);
    const pools = Array.from({ length: 1000 }, (_, i) => pool(`svc_${i}`));
    const routes = pools.map((p, i) => route(`h${i}.x.test.localhost`, p.name));
    const node = await Node.create(routes, pools);
    try {
      await node.start();
      // Nine drained fillers per pool (weight 0: listed, never picked) plus one live endpoint.
      const setOf = (v: number, live: string): EndpointSet => {
        const set: EndpointSet = { version: v, pools: {} };
        pools.forEach((p, i) => {
          const eps = Array.from({ length: 9 }, (_, j) => ({
            address: `127.0.${1 + (i % 200)}.${1 + j}:${10000 + i}`,
            weight: 0,
          }));
          set.pools[p.name] = [{ address: live, weight: 1 }, ...eps];
        });
        return set;
      };
      const first = setOf(1, oldB.address);
      const second = setOf(2, newB.address);
      const body = JSON.stringify(second);
      assert.equal((await node.client.put(first)).status, 200);
      assert.equal((await node.request('h500.x.test.localhost')).body, 'old');
      const t0 = performance.now();
      const r = await node.client.put(body);
      const tPush = performance.now() - t0;
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.endpoints, 10000);
      const seen = await node.request('h500.x.test.localhost');
      const tFirst = performance.now() - t0;
      assert.equal(seen.body, 'new');
      const other = await node.request('h999.x.test.localhost');
      const tSecond = performance.now() - t0;
      assert.equal(other.body, 'new');
      console.log(
        `# endpoints without reload: ${(body.length / 1024).toFixed(0)} KiB set, 10,000 endpoints in 1,000 pools: ` +
          `push answered in ${tPush.toFixed(1)} ms; first request on the new set at ${tFirst.toFixed(1)} ms ` +
          `(a worker re-reads only the pool it balances); another pool at ${tSecond.toFixed(1)} ms`,
      );
      // a delta of one pool against the set the node runs: the node's work is that pool's
      const patches: number[] = [];
      for (let v = 3; v <= 7; v += 1) {
        const tp = performance.now();
        const d = await node.client.patch({
          version: v,
          base: v - 1,
          pools: { svc_500: [{ address: v % 2 ? oldB.address : newB.address, weight: 1 }] },
        });
        patches.push(performance.now() - tp);
        assert.equal(d.status, 200, JSON.stringify(d.body));
      }
      const tPatch = [...patches].sort((a, b) => a - b)[2]!;
      assert.equal((await node.request('h500.x.test.localhost')).body, 'old');
      assert.equal((await node.request('h501.x.test.localhost')).body, 'new');
      console.log(
        `# a PATCH of one pool of 1,000 answered in ${tPatch.toFixed(1)} ms (median of 5: ${patches.map((x) => x.toFixed(1)).join(', ')}; ` +
          `with fileWriter "nginx" each push also writes the whole endpoints file, which Berth's agents write themselves)`,
      );
    } finally {
      await node.cleanup();
      await Promise.all([oldB.close(), newB.close()]);
    }
  });
});
