import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  LocalNginxNode,
  RenderError,
  controlSocketPath,
  defaultRouteOptions,
  dynamicMainConfig,
  prepareNodeDirs,
  renderDynamicUpstreams,
  renderMainConfig,
  renderStream,
  renderUpstreams,
  upstreamsFileName,
  withStream,
  type RenderGateway,
  type RenderRoute,
  streamFileName,
  streamMainLines,
  type RenderStream,
  type StreamEntryPoint,
} from '../src/index';
import { freePort as freeTcpPort } from '../../server/test/helpers/net';

/*
 * TCP and UDP entry points against a real Nginx (Debian's stream module) on loopback: echo
 * servers reached through the rendered proxy, weights, a refusing server skipped, `nginx -t` on
 * every variant, and values that could change the configuration's structure refused at render.
 */

const nginxBin = '/usr/sbin/nginx';

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A TCP server that answers the first chunk with a line `NAME:chunk` and closes; `persistent`:
 * answers every chunk and keeps the connection.
 */
async function tcpEcho(
  name: string,
  persistent = false,
): Promise<{ address: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    if (persistent) s.on('data', (d) => s.write(`${name}:${d.toString()}\n`));
    else s.once('data', (d) => s.end(`${name}:${d.toString()}\n`));
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A UDP server that answers each datagram with `NAME:datagram`. */
async function udpEcho(name: string): Promise<{ address: string; close: () => Promise<void> }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (msg, rinfo) => s.send(`${name}:${msg.toString()}`, rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${s.address().port}`,
    close: () => new Promise<void>((resolve) => s.close(() => resolve())),
  };
}

/** One TCP exchange through the proxy on a new connection: the answer's first line. */
function tcpAsk(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    s.setTimeout(10_000, () => s.destroy(new Error('tcp exchange timed out')));
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes('\n')) {
        s.destroy();
        resolve(got.slice(0, got.indexOf('\n')));
      }
    });
    s.on('end', () => reject(new Error(`connection closed after ${JSON.stringify(got)}`)));
    s.on('error', reject);
  });
}

/** A connection kept open: ask() sends a chunk and returns the answer's line. */
async function tcpHold(port: number): Promise<{ ask: (text: string) => Promise<string>; close: () => void }> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  let buf = '';
  const waiting: ((line: string) => void)[] = [];
  s.on('data', (d) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      waiting.shift()?.(line);
    }
  });
  return {
    ask: (text) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer on the held connection')), 10_000);
        waiting.push((line) => {
          clearTimeout(timer);
          resolve(line);
        });
        s.write(text);
      }),
    close: () => s.destroy(),
  };
}

/** One datagram through the proxy from a fresh client port; the first answer. */
function udpAsk(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no UDP answer within 5 s'));
    }, 5_000);
    s.once('message', (msg) => {
      clearTimeout(timer);
      s.close();
      resolve(msg.toString());
    });
    s.send(text, port, '127.0.0.1');
  });
}

/** The smallest main configuration around a stream file: the lines main-renderer will need. */
function mainConfig(): string {
  return [
    'daemon off;',
    'worker_processes 1;',
    'pid logs/nginx.pid;',
    'error_log logs/error.log info;',
    streamMainLines.loadModule,
    'events { worker_connections 256; }',
    streamMainLines.include,
    '',
  ].join('\n');
}

function newPrefix(): string {
  const prefix = mkdtempSync(path.join(tmpdir(), 'gw-stream-'));
  chmodSync(prefix, 0o755);
  mkdirSync(path.join(prefix, 'conf'));
  mkdirSync(path.join(prefix, 'logs'));
  mkdirSync(path.join(prefix, 'tmp'));
  return prefix;
}

/** Other files of the prefix: the main configuration (default mainConfig()) and conf/ files. */
interface OtherFiles {
  main?: string;
  conf?: Record<string, string>;
}

function writeFiles(prefix: string, stream: string, other: OtherFiles = {}): string {
  const conf = path.join(prefix, 'conf', 'nginx.conf');
  writeFileSync(path.join(prefix, 'conf', streamFileName), stream);
  for (const [name, text] of Object.entries(other.conf ?? {}))
    writeFileSync(path.join(prefix, 'conf', name), text);
  writeFileSync(conf, other.main ?? mainConfig());
  return conf;
}

/** `nginx -t` of a stream file in a scratch prefix. */
function nginxTest(stream: string, other: OtherFiles = {}): Promise<{ code: number; stderr: string }> {
  const prefix = newPrefix();
  const conf = writeFiles(prefix, stream, other);
  return new Promise((resolve) => {
    execFile(nginxBin, ['-t', '-p', `${prefix}/`, '-c', conf], (err, _out, stderr) => {
      rmSync(prefix, { recursive: true, force: true });
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr });
    });
  });
}

/** A running Nginx with a rendered stream file, in the foreground of a scratch prefix. */
interface RunningNginx {
  prefix: string;
  proc: ChildProcess;
  log(): string;
  /** Installs a new stream file and reloads (HUP; waits for the new workers). */
  reload(stream: string): Promise<void>;
  stop(): Promise<void>;
}

async function startNginx(stream: string, probePort: number, other: OtherFiles = {}): Promise<RunningNginx> {
  const t = await nginxTest(stream, other);
  assert.equal(t.code, 0, t.stderr);
  const prefix = newPrefix();
  const conf = writeFiles(prefix, stream, other);
  const proc = spawn(nginxBin, ['-p', `${prefix}/`, '-c', conf], { stdio: 'ignore' });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const log = () => {
    try {
      return readFileSync(path.join(prefix, 'logs', 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(probePort, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    assert.ok(proc.exitCode === null, `nginx exited: ${log()}`);
    assert.ok(Date.now() < deadline, 'nginx did not listen within 15 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    prefix,
    proc,
    log,
    async reload(next: string) {
      const v = await nginxTest(next);
      assert.equal(v.code, 0, v.stderr);
      writeFileSync(path.join(prefix, 'conf', `${streamFileName}.next`), next);
      renameSync(
        path.join(prefix, 'conf', `${streamFileName}.next`),
        path.join(prefix, 'conf', streamFileName),
      );
      assert.equal(await new LocalNginxNode(prefix, nginxBin).reload(), 'reloaded');
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

const entry = (over: Partial<StreamEntryPoint> = {}): StreamEntryPoint => ({
  name: 'berth_tcp_a',
  listen: '127.0.0.1:16379',
  protocol: 'tcp',
  servers: [{ address: '127.0.0.1:6379', weight: 1 }],
  maxFails: 1,
  failTimeoutSeconds: 10,
  ...over,
});

describe('stream entry points through a real Nginx', () => {
  let nginx: RunningNginx | null = null;
  const closers: (() => Promise<void>)[] = [];
  const ports = { weighted: 0, refused: 0, udp: 0, udpWeighted: 0 };

  before(async () => {
    const a = await tcpEcho('a');
    const b = await tcpEcho('b');
    const live = await tcpEcho('live');
    const u1 = await udpEcho('u1');
    const u2 = await udpEcho('u2');
    closers.push(a.close, b.close, live.close, u1.close, u2.close);
    const refusing = `127.0.0.1:${await freeTcpPort()}`; // nothing listens there
    ports.weighted = await freeTcpPort();
    ports.refused = await freeTcpPort();
    ports.udp = await freeUdpPort();
    ports.udpWeighted = await freeUdpPort();
    const model: RenderStream = {
      entryPoints: [
        entry({
          name: 'weighted',
          listen: `127.0.0.1:${ports.weighted}`,
          servers: [
            { address: a.address, weight: 3 },
            { address: b.address, weight: 1 },
          ],
        }),
        entry({
          name: 'refused_first',
          listen: `127.0.0.1:${ports.refused}`,
          servers: [
            { address: refusing, weight: 1 },
            { address: live.address, weight: 1 },
          ],
          maxFails: 1,
          failTimeoutSeconds: 60,
          connectTimeoutSeconds: 2,
        }),
        entry({
          name: 'udp_one',
          listen: `127.0.0.1:${ports.udp}`,
          protocol: 'udp',
          servers: [{ address: u1.address, weight: 1 }],
          udpResponses: 1,
          timeoutSeconds: 5,
        }),
        entry({
          name: 'udp_two',
          listen: `127.0.0.1:${ports.udpWeighted}`,
          protocol: 'udp',
          servers: [
            { address: u1.address, weight: 1 },
            { address: u2.address, weight: 1 },
          ],
          udpResponses: 1,
          timeoutSeconds: 5,
        }),
      ],
    };
    nginx = await startNginx(renderStream(model), ports.weighted);
  });

  const readLog = () => nginx?.log() ?? '';

  after(async () => {
    await nginx?.stop();
    for (const c of closers) await c();
  });

  it('carries a TCP exchange to a server and splits connections 3:1 as weighted', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const answer = await tcpAsk(ports.weighted, `hello ${i}`);
      const [who, said] = answer.split(':');
      assert.equal(said, `hello ${i}`);
      counts[who ?? ''] = (counts[who ?? ''] ?? 0) + 1;
    }
    // One worker: Nginx's smooth weighted round robin gives exactly the configured shares.
    assert.deepEqual(counts, { a: 30, b: 10 });
  });

  it('skips a server that refuses connections and answers from the next one', async () => {
    for (let i = 0; i < 10; i++) assert.equal(await tcpAsk(ports.refused, `q${i}`), `live:q${i}`);
    assert.match(readLog(), /connect\(\) failed \(111: Connection refused\) while connecting to upstream/);
  });

  it('carries UDP datagrams to a server and back', async () => {
    for (let i = 0; i < 5; i++) assert.equal(await udpAsk(ports.udp, `ping ${i}`), `u1:ping ${i}`);
  });

  it('splits UDP sessions across a pool', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10; i++) {
      const who = (await udpAsk(ports.udpWeighted, 'x')).split(':')[0] ?? '';
      counts[who] = (counts[who] ?? 0) + 1;
    }
    assert.deepEqual(counts, { u1: 5, u2: 5 });
  });
});

describe('a TCP entry point across a rollout (new servers, reload)', () => {
  it('keeps an open connection on the old server, sends new ones to the new server, and refuses none meanwhile', async () => {
    const before = await tcpEcho('old', true);
    const next = await tcpEcho('new', true);
    const port = await freeTcpPort();
    const model = (server: string): RenderStream => ({
      entryPoints: [
        entry({ name: 'svc', listen: `127.0.0.1:${port}`, servers: [{ address: server, weight: 1 }] }),
      ],
    });
    const nginx = await startNginx(renderStream(model(before.address)), port);
    try {
      const held = await tcpHold(port);
      assert.equal(await held.ask('1'), 'old:1');
      // New connections, one after another, while the configuration changes under them.
      let stop = false;
      const failed: { error: Error | null } = { error: null };
      const seen: string[] = [];
      const loop = (async () => {
        for (let i = 0; !stop && i < 20_000; i++)
          seen.push((await tcpAsk(port, `n${i}`)).split(':')[0] ?? '');
      })().catch((err: unknown) => {
        failed.error = err instanceof Error ? err : new Error(String(err));
      });
      /** Waits for a condition of the loop; fails at once when a connection failed. */
      const until = async (done: () => boolean, what: string) => {
        const deadline = Date.now() + 10_000;
        while (!done()) {
          if (failed.error)
            assert.fail(`a new connection failed after ${seen.length}: ${failed.error.message}`);
          assert.ok(Date.now() < deadline, `${what} within 10 s`);
          await new Promise((r) => setTimeout(r, 5));
        }
      };
      await until(() => seen.length >= 20, '20 connections before the reload');
      await nginx.reload(renderStream(model(next.address)));
      await until(() => seen.at(-1) === 'new', 'new connections reached the new server');
      const at = seen.length;
      await until(() => seen.length >= at + 20, '20 more connections');
      stop = true;
      await loop;
      assert.equal(
        failed.error,
        null,
        `no new connection was refused or cut: ${failed.error?.message ?? ''}`,
      );
      assert.ok(
        seen.slice(at).every((w) => w === 'new'),
        'after the switch every new connection reaches the new server',
      );
      assert.ok(seen.includes('old'), 'connections before the reload reached the old server');
      // The old worker keeps serving the connection it holds until it closes.
      assert.equal(await held.ask('2'), 'old:2');
      held.close();
    } finally {
      await nginx.stop();
      await before.close();
      await next.close();
    }
  });
});

describe('a whole gateway: HTTP routes and entry points in one Nginx', () => {
  const route = (host: string, pool: string): RenderRoute => ({
    host,
    pool,
    canary: null,
    options: defaultRouteOptions(),
  });
  const gatewayOf = (listen: string): RenderGateway => ({
    listen,
    tlsListen: null,
    certDir: '/nonexistent/certs',
    workerProcesses: 1,
    foreground: true,
    routes: [route('web.shop.test.localhost', 'svc_web')],
  });

  it('serves a route and a TCP entry point from the main configuration with the stream lines', async () => {
    const web = http.createServer((_req, res) => res.end('web'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const wa = web.address();
    const webAddress = `127.0.0.1:${typeof wa === 'object' && wa ? wa.port : 0}`;
    const echo = await tcpEcho('tcp');
    const httpPort = await freeTcpPort();
    const tcpPort = await freeTcpPort();
    const main = withStream(renderMainConfig(gatewayOf(`127.0.0.1:${httpPort}`)));
    assert.equal(main.split('\n')[0], streamMainLines.loadModule);
    assert.equal(main.trimEnd().split('\n').at(-1), streamMainLines.include);
    const upstreams = renderUpstreams([
      { name: 'svc_web', servers: [{ address: webAddress, weight: 1 }], maxFails: 1, failTimeoutSeconds: 5 },
    ]);
    const stream = renderStream({
      entryPoints: [
        entry({
          name: 'berth_tcp_1',
          listen: `127.0.0.1:${tcpPort}`,
          servers: [{ address: echo.address, weight: 1 }],
        }),
      ],
    });
    const nginx = await startNginx(stream, tcpPort, { main, conf: { [upstreamsFileName]: upstreams } });
    try {
      assert.equal(await tcpAsk(tcpPort, 'hi'), 'tcp:hi');
      const body = await new Promise<string>((resolve, reject) => {
        http
          .get(
            { host: '127.0.0.1', port: httpPort, path: '/', headers: { host: 'web.shop.test.localhost' } },
            (res) => {
              let b = '';
              res.on('data', (d: Buffer) => (b += d.toString()));
              res.on('end', () => resolve(b));
            },
          )
          .on('error', reject);
      });
      assert.equal(body, 'web');
    } finally {
      await nginx.stop();
      await echo.close();
      await new Promise<void>((resolve) => web.close(() => resolve()));
    }
  });

  it('nginx -t accepts the stream lines beside the Lua module lines of endpoints without reload', async () => {
    const prefix = newPrefix();
    try {
      await prepareNodeDirs(prefix);
      const main = withStream(dynamicMainConfig(gatewayOf('127.0.0.1:18181')));
      const upstreams = renderDynamicUpstreams(
        [{ name: 'svc_web', servers: [], maxFails: 1, failTimeoutSeconds: 5 }],
        { controlSocket: controlSocketPath(prefix) },
      );
      const conf = writeFiles(prefix, renderStream({ entryPoints: [entry()] }), {
        main,
        conf: { [upstreamsFileName]: upstreams },
      });
      const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(nginxBin, ['-t', '-p', `${prefix}/`, '-c', conf], (err, _o, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
        ),
      );
      assert.equal(r.code, 0, r.stderr);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});

describe('stream rendering', () => {
  const variants: Record<string, RenderStream> = {
    'no entry points': { entryPoints: [] },
    'a TCP entry point with defaults': { entryPoints: [entry()] },
    'every TCP option': {
      entryPoints: [
        entry({
          listen: '0.0.0.0:6380',
          connectTimeoutSeconds: 600,
          timeoutSeconds: 86400,
          nextUpstreamTries: 100,
          maxFails: 0,
          failTimeoutSeconds: 3600,
          servers: [
            { address: '10.0.0.1:1', weight: 1000 },
            { address: '10.0.0.2:65535', weight: 0 },
          ],
        }),
      ],
    },
    'an empty pool': { entryPoints: [entry({ servers: [] })] },
    'UDP with one answer per datagram, with none, and unset': {
      entryPoints: [
        entry({ name: 'dns', listen: '127.0.0.1:5353', protocol: 'udp', udpResponses: 1 }),
        entry({ name: 'syslog', listen: '127.0.0.1:5514', protocol: 'udp', udpResponses: 0 }),
        entry({ name: 'game', listen: '127.0.0.1:27015', protocol: 'udp', timeoutSeconds: 120 }),
      ],
    },
    'TCP and UDP on one port, and a wildcard beside an address': {
      entryPoints: [
        entry({ name: 'tcp_53', listen: '127.0.0.1:53' }),
        entry({ name: 'udp_53', listen: '127.0.0.1:53', protocol: 'udp' }),
        entry({ name: 'any_53', listen: '0.0.0.0:53' }),
      ],
    },
  };

  for (const [what, model] of Object.entries(variants)) {
    it(`nginx -t accepts the rendered file: ${what}`, async () => {
      const r = await nginxTest(renderStream(model));
      assert.equal(r.code, 0, r.stderr);
    });
  }

  it('renders pools, listeners and timeouts as configured, in a stable order', () => {
    const text = renderStream({
      entryPoints: [
        entry({ name: 'z_udp', listen: '127.0.0.1:5353', protocol: 'udp', udpResponses: 1 }),
        entry({
          servers: [
            { address: '127.0.0.1:7001', weight: 2 },
            { address: '127.0.0.1:7002', weight: 0 },
          ],
        }),
      ],
    });
    assert.ok(text.indexOf('upstream berth_tcp_a') < text.indexOf('upstream z_udp'));
    assert.match(text, /server 127\.0\.0\.1:7001 weight=2 max_fails=1 fail_timeout=10s;/);
    assert.match(text, /server 127\.0\.0\.1:7002 down;/);
    assert.match(text, /listen 127\.0\.0\.1:5353 udp;\n {4}proxy_pass z_udp;\n {4}proxy_timeout 30s;/);
    assert.match(text, /proxy_responses 1;/);
    assert.match(
      text,
      /listen 127\.0\.0\.1:16379;\n {4}proxy_pass berth_tcp_a;\n {4}proxy_connect_timeout 5s;/,
    );
    assert.equal(renderStream({ entryPoints: [entry()] }), renderStream({ entryPoints: [entry()] }));
  });

  const structural = [
    'a;b',
    'a\nb',
    'a\r\nb',
    'a}',
    'a{',
    'x } server { listen 80; }',
    '$remote_addr',
    '"a"',
    "a' ",
    '',
    ' ',
    '127.0.0.1:80; include /etc/passwd',
    '127.0.0.1:80\nproxy_pass evil',
    '127.0.0.1:80 udp',
    '127.0.0.1:80 backup',
  ];

  const refusals: [string, (v: string) => RenderStream, string][] = [
    ['name', (v) => ({ entryPoints: [entry({ name: v })] }), 'entryPoints[0].name'],
    ['listen', (v) => ({ entryPoints: [entry({ listen: v })] }), 'entryPoints[0].listen'],
    [
      'server address',
      (v) => ({ entryPoints: [entry({ servers: [{ address: v, weight: 1 }] })] }),
      'entryPoints[0].servers[0].address',
    ],
  ];

  for (const [what, model, field] of refusals) {
    it(`refuses newlines, semicolons, braces and quotes in a ${what} at render time`, () => {
      for (const v of structural) {
        assert.throws(
          () => renderStream(model(v)),
          (err: unknown) => err instanceof RenderError && err.field === field,
          `${what} ${JSON.stringify(v)} was not refused on ${field}`,
        );
      }
    });
  }

  it('refuses addresses that are not IPV4:PORT and numbers out of range, naming the field', () => {
    const cases: [RenderStream, string, RegExp][] = [
      [{ entryPoints: [entry({ listen: '127.0.0.1:0' })] }, 'entryPoints[0].listen', /port 1-65535/],
      [{ entryPoints: [entry({ listen: '127.0.0.1:65536' })] }, 'entryPoints[0].listen', /IPV4:PORT/],
      [{ entryPoints: [entry({ listen: '256.0.0.1:80' })] }, 'entryPoints[0].listen', /IPV4:PORT/],
      [{ entryPoints: [entry({ listen: 'redis.local:80' })] }, 'entryPoints[0].listen', /IPV4:PORT/],
      [{ entryPoints: [entry({ listen: '[::1]:80' })] }, 'entryPoints[0].listen', /IPV4:PORT/],
      [
        { entryPoints: [entry({ servers: [{ address: '127.0.0.1:80', weight: 1001 }] })] },
        'entryPoints[0].servers[0].weight',
        /from 0 to 1000/,
      ],
      [
        { entryPoints: [entry({ servers: [{ address: '127.0.0.1:80', weight: 1.5 }] })] },
        'entryPoints[0].servers[0].weight',
        /integer/,
      ],
      [
        {
          entryPoints: [entry({ servers: [{ address: '127.0.0.1:80', weight: '1;' as unknown as number }] })],
        },
        'entryPoints[0].servers[0].weight',
        /integer/,
      ],
      [{ entryPoints: [entry({ maxFails: -1 })] }, 'entryPoints[0].maxFails', /from 0 to 100/],
      [{ entryPoints: [entry({ failTimeoutSeconds: 0 })] }, 'entryPoints[0].failTimeoutSeconds', /from 1/],
      [{ entryPoints: [entry({ timeoutSeconds: Number.NaN })] }, 'entryPoints[0].timeoutSeconds', /integer/],
      [
        { entryPoints: [entry({ nextUpstreamTries: 0 })] },
        'entryPoints[0].nextUpstreamTries',
        /from 1 to 100/,
      ],
      [{ entryPoints: [entry({ udpResponses: 1 })] }, 'entryPoints[0].udpResponses', /UDP entry points only/],
      [
        { entryPoints: [entry({ protocol: 'udp', connectTimeoutSeconds: 5 })] },
        'entryPoints[0].connectTimeoutSeconds',
        /TCP entry points only/,
      ],
      [{ entryPoints: [entry({ protocol: 'sctp' as 'tcp' })] }, 'entryPoints[0].protocol', /"tcp" or "udp"/],
      [
        {
          entryPoints: [
            entry({
              servers: [
                { address: '127.0.0.1:80', weight: 1 },
                { address: '127.0.0.1:80', weight: 2 },
              ],
            }),
          ],
        },
        'entryPoints[0].servers[1].address',
        /listed twice/,
      ],
      [{ entryPoints: [entry(), entry()] }, 'entryPoints[1].name', /used twice/],
      [
        { entryPoints: [entry(), entry({ name: 'other' })] },
        'entryPoints[1].listen',
        /already used by entryPoints\[0\]/,
      ],
    ];
    for (const [model, field, message] of cases) {
      assert.throws(
        () => renderStream(model),
        (err: unknown) => err instanceof RenderError && err.field === field && message.test(err.message),
        `expected a RenderError on ${field} matching ${String(message)}`,
      );
    }
  });
});
