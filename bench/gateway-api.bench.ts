/**
 * Gateway API benchmark (issue 12): the real path, not the renderer library. A real Berth
 * (SQLite, in this process) with its local Nginx and two `berth-gateway-agent` nodes, each with
 * its own Nginx, so "all nodes" is 3. Routes are created through the REST API up to 100, 1,000
 * and 10,000; at each size it prints
 *
 * - the bulk creation time (through the API one route per request, 8 in flight; the API has no
 *   batch path, and every create is a full apply, so sizes above BENCH_GW_API_MAX are seeded into
 *   the store in one transaction and applied by the gateway controller in one version — labelled
 *   "seeded" — with the API time projected from the measured one-route applies),
 * - one more route create through the API (plan, render, `nginx -t`, version, install, HUP until
 *   the new workers serve): median and p90 of BENCH_GW_SAMPLES, with the time until every node
 *   serves the new host, and where the time goes (instrumented in this process, see `trace`),
 * - the naive layout of bench/gateway.bench.ts (one `upstream{}` + one `server{}` with a literal
 *   `proxy_pass` per app) validated and applied on a scratch Nginx, as that bench does,
 * - memory: RSS of this process (Berth runs in it), PSS of each node's Nginx master + workers and
 *   of each agent process.
 *
 * At the largest size, an endpoint change: one container of a 3-replica service is taken out of
 * rotation and put back through the API (BENCH_GW_ENDPOINT_ROUNDS times). Both directions are
 * timed from the records — the local push's 200 from Nginx and each agent's "applied …
 * (revision R)" line, written after its own push's 200 — since a node serves the new set from
 * the request after that 200. Going back in is also timed as a client sees it: the container
 * answers with its own hostname, and a poller in its own process (bench/helpers/served-poller.ts)
 * sends 3 requests per node every 10 ms until the
 * hostname comes back (with round robin per Nginx worker, one request alone may need several
 * rounds to reach one backend of three, which is the poller's delay, not the node's).
 *
 * Routes: one in 50 goes to a service with real containers (they share its pool); the others have
 * three VM servers on 127.1.0.0/16 (nothing listens there), a pool each, like the library bench.
 *
 * Knobs: `--quick` or BENCH_GW_QUICK=1 (sizes 100,1000, 3 samples, 2 rounds); BENCH_GW_SIZES
 * (default 100,1000,10000), BENCH_GW_API_MAX (largest size created through the API, default
 * 100: 900 more creates take 10+ minutes here), BENCH_GW_SAMPLES (5; 3 at 10,000 unless set), BENCH_GW_ENDPOINT_ROUNDS (3), BENCH_GW_AGENTS (2),
 * BENCH_GW_NAIVE=0 skips the naive layout.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { routeSpecSchema } from '@berth/shared';
import { LocalNginxNode, validateConfig, type RenderedConfig } from '@berth/gateway-nginx';
import { GatewaysService } from '../packages/server/src/modules/gateways/gateways.service';
import { GatewayApplier } from '../packages/server/src/modules/gateways/gateway-applier';
import {
  GatewaysRepository,
  type RouteRow,
} from '../packages/server/src/modules/gateways/gateways.repository';
import type { GatewayPlan } from '../packages/server/src/modules/gateways/gateway-planner';
import { newId, nowIso } from '../packages/server/src/util';
import type { Db } from '../packages/server/src/db/database';
import { startGatewayPlatform } from '../packages/server/test/helpers/gateway-platform';
import { startAgentNode, type AgentNode } from '../packages/server/test/helpers/gateway-nodes';
import { viaGateway } from '../packages/server/test/helpers/gateway-load';
import { freePort } from '../packages/server/test/helpers/net';
import { grantNetwork, grantZone, loopbackBackends } from '../packages/server/test/helpers/tenancy';
import {
  eventually,
  makeProject,
  waitTask,
  webSpec,
  type TestApi,
} from '../packages/server/test/helpers/platform';

const quick = process.argv.includes('--quick') || process.env.BENCH_GW_QUICK === '1';
const sizes = (process.env.BENCH_GW_SIZES ?? (quick ? '100,1000' : '100,1000,10000')).split(',').map(Number);
const apiMax = Number(process.env.BENCH_GW_API_MAX ?? 100);
const samples = Number(process.env.BENCH_GW_SAMPLES ?? (quick ? 3 : 5));
const rounds = Number(process.env.BENCH_GW_ENDPOINT_ROUNDS ?? (quick ? 2 : 3));
const agentCount = Number(process.env.BENCH_GW_AGENTS ?? 2);
const withNaive = process.env.BENCH_GW_NAIVE !== '0';
const nginxBin = '/usr/sbin/nginx';
/** Issue 12's targets at 10,000 routes. */
const targetApplyMs = 2000;
const targetEndpointMs = 100;
/** Issue 12's numbers from the library bench (bench/gateway.bench.ts), 10,000 routes. */
const issueFullApplyMs = 3100;
const issueEndpointMs = 3300;

// ---------------------------------------------------------------------------------------------
// Where an apply's time goes: the gateway classes' methods are wrapped in this process (no server
// code changes). The queue runs one apply of a gateway at a time, so one trace is open at once.

interface Trace {
  author: string;
  /** The gateway applied (the env's other gateways have no routes: their passes take 1 ms). */
  gateway: string;
  start: number;
  applyStart?: number;
  /** render + `nginx -t` + line diff done (the version number is taken next). */
  validated?: number;
  commitStart?: number;
  commitEnd?: number;
  installStart?: number;
  installEnd?: number;
  reloadStart?: number;
  reloadEnd?: number;
  /** The local node's endpoints delivery (file, then the push Nginx acknowledged). */
  pushStart?: number;
  pushEnd?: number;
  /** CPU ms of the processes this one waited for (`nginx -t`) from applyStart to validated. */
  validateCpu?: number;
  /** CPU ms the local Nginx master spent between HUP and its new workers (its parse). */
  reloadCpu?: number;
  /** CPU ms of this process (Berth, and the bench's few requests) from start to end. */
  ownCpu?: number;
  cpu0?: number;
  end?: number;
  version: number | null;
  kind: string | null;
  failed?: boolean;
}
const wall = () => performance.timeOrigin + performance.now();
const traces: Trace[] = [];
let open: Trace | null = null;
/** The last plan and files applied, to time `nginx -t` alone on the same input. */
let lastPlan: GatewayPlan | null = null;

type Stamp = Exclude<
  keyof Trace,
  | 'author'
  | 'gateway'
  | 'start'
  | 'version'
  | 'kind'
  | 'failed'
  | 'validateCpu'
  | 'reloadCpu'
  | 'ownCpu'
  | 'cpu0'
>;

/** CPU ms of a process from /proc/PID/stat: its own, and that of its children it waited for. */
function cpuOf(pid: number | 'self'): { own: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const tick = 1000 / 100; // USER_HZ
    return { own: (f[11]! + f[12]!) * tick, children: (f[13]! + f[14]!) * tick };
  } catch {
    return { own: NaN, children: NaN };
  }
}

/** Replaces a prototype method by hook(args, call the original). */
function around(
  proto: object,
  name: string,
  hook: (args: unknown[], call: () => unknown, self: unknown) => unknown,
): void {
  const orig = Object.getOwnPropertyDescriptor(proto, name)?.value as (...a: unknown[]) => unknown;
  if (typeof orig !== 'function') throw new Error(`no method ${name} to time`);
  Object.defineProperty(proto, name, {
    configurable: true,
    writable: true,
    value(this: unknown, ...args: unknown[]) {
      return hook(args, () => orig.apply(this, args), this);
    },
  });
}

/** Stamps the open trace before and after a method. */
function span(proto: object, name: string, start: Stamp, end?: Stamp): void {
  around(proto, name, async (_args, call) => {
    const t = open;
    if (t) t[start] = wall();
    try {
      return await call();
    } finally {
      if (t && end) t[end] = wall();
    }
  });
}

function instrument(): void {
  // a whole plan (applyWith) or the quick endpoint pass (applyEndpointChange; undefined: it fell
  // back to a whole plan, whose own trace follows)
  for (const method of ['applyWith', 'applyEndpointChange'] as const)
    around(GatewaysService.prototype, method, async (args, call) => {
      const req = (method === 'applyWith' ? args[2] : args[1]) as { author: string };
      const gateway = (args[0] as { name: string }).name;
      const t: Trace = { author: req.author, gateway, start: wall(), version: null, kind: null };
      open = t;
      traces.push(t);
      const own0 = cpuOf('self').own;
      if (traces.length > 5000) traces.splice(0, 1000);
      try {
        const v = (await call()) as { number: number; kind: string } | null | undefined;
        if (v === undefined) traces.splice(traces.indexOf(t), 1);
        t.version = v?.number ?? null;
        t.kind = v?.kind ?? null;
        return v;
      } catch (err) {
        t.failed = true;
        throw err;
      } finally {
        t.end = wall();
        t.ownCpu = cpuOf('self').own - own0;
        open = null;
      }
    });
  around(GatewayApplier.prototype, 'apply', (args, call) => {
    if (open) {
      open.applyStart = wall();
      open.cpu0 = cpuOf('self').children;
    }
    lastPlan = args[1] as GatewayPlan;
    return call();
  });
  around(GatewaysRepository.prototype, 'nextVersionNumber', (_args, call) => {
    if (open) {
      open.validated = wall();
      open.validateCpu = cpuOf('self').children - (open.cpu0 ?? NaN);
    }
    return call();
  });
  span(GatewaysRepository.prototype, 'commit', 'commitStart', 'commitEnd');
  span(LocalNginxNode.prototype, 'install', 'installStart', 'installEnd');
  span(GatewayApplier.prototype, 'deliverLocal', 'pushStart', 'pushEnd');
  around(LocalNginxNode.prototype, 'reload', async (_args, call, self) => {
    const t = open;
    if (!t) return call();
    t.reloadStart = wall();
    const pid = await (self as LocalNginxNode).pid();
    const before = pid ? cpuOf(pid).own : NaN;
    try {
      return await call();
    } finally {
      t.reloadEnd = wall();
      if (pid) t.reloadCpu = cpuOf(pid).own - before;
    }
  });
}

interface Parts {
  queue: number;
  plan: number;
  validate: number;
  commit: number;
  install: number;
  reload: number;
  /** The local node's endpoints push (after the reload for a configuration) until Nginx's 200. */
  push: number;
  total: number;
  validateCpu: number;
  reloadCpu: number;
  ownCpu: number;
}
function parts(t: Trace, from: number): Parts {
  const d = (a?: number, b?: number) => (a !== undefined && b !== undefined ? b - a : NaN);
  return {
    queue: t.start - from,
    plan: d(t.start, t.applyStart),
    validate: d(t.applyStart, t.validated),
    commit: d(t.commitStart, t.commitEnd),
    install: d(t.installStart, t.installEnd),
    reload: d(t.reloadStart, t.reloadEnd),
    push: d(t.reloadEnd ?? t.pushStart, t.pushEnd),
    total: d(from, t.end),
    validateCpu: t.validateCpu ?? NaN,
    reloadCpu: t.reloadCpu ?? NaN,
    ownCpu: t.ownCpu ?? NaN,
  };
}
function medianParts(ps: Parts[]): Parts {
  const k = [
    'queue',
    'plan',
    'validate',
    'commit',
    'install',
    'reload',
    'push',
    'total',
    'validateCpu',
    'reloadCpu',
    'ownCpu',
  ] as const;
  return Object.fromEntries(k.map((x) => [x, median(ps.map((p) => p[x]))])) as unknown as Parts;
}
const showParts = (p: Parts) =>
  `queue/kick ${ms(p.queue)}, plan ${ms(p.plan)}, render+nginx -t+diff ${ms(p.validate)} (nginx -t CPU ${ms(p.validateCpu)}), version commit ${ms(p.commit)}, install ${ms(p.install)}, HUP→new workers ${ms(p.reload)} (master CPU ${ms(p.reloadCpu)}), endpoints push ${ms(p.push)}; Berth's own CPU over the apply ${ms(p.ownCpu)}`;

// ---------------------------------------------------------------------------------------------

function median(v: number[]): number {
  const s = v.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
}
function p90(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.9) - 1)]!;
}
function ms(x: number): string {
  if (Number.isNaN(x)) return '–';
  return x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`;
}
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

/** RSS and PSS of a process in KiB (/proc, Linux). */
function memOf(pid: number): { rss: number; pss: number } {
  const num = (file: string, key: string) => {
    try {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  };
  return { rss: num(`/proc/${pid}/status`, 'VmRSS'), pss: num(`/proc/${pid}/smaps_rollup`, 'Pss') };
}
function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
/** Master RSS, largest worker RSS and the PSS of master + workers, MiB. */
function nginxMem(pidFile: string): string {
  let pid = 0;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return 'not running';
  }
  const m = memOf(pid);
  const ws = children(pid).map(memOf);
  const pss = m.pss + ws.reduce((a, w) => a + w.pss, 0);
  const mib = (k: number) => (k / 1024).toFixed(0);
  return `master ${mib(m.rss)} / worker ${mib(Math.max(0, ...ws.map((w) => w.rss)))} MiB RSS, ${mib(pss)} MiB PSS (${ws.length} workers)`;
}

// ---------------------------------------------------------------------------------------------
// The naive layout of bench/gateway.bench.ts (kept in step with it): one upstream with 3 servers
// and one server{} with a literal proxy_pass per app, validated then applied with HUP.

function naiveConfig(n: number, listen: string): RenderedConfig {
  const out = ['daemon off;', 'worker_processes 2;', 'pid logs/nginx.pid;', 'error_log logs/error.log warn;'];
  out.push('events { worker_connections 4096; }', 'http {', '  access_log off;');
  out.push('  server_names_hash_max_size 65536;', '  server_names_hash_bucket_size 128;');
  out.push('  client_body_temp_path tmp/client_body;', '  proxy_temp_path tmp/proxy;');
  for (let i = 0; i < n; i += 1) {
    const servers = [0, 1, 2]
      .map((k) => `server 127.0.0.1:${20000 + ((i * 3 + k) % 40000)} max_fails=3;`)
      .join(' ');
    out.push(`  upstream svc_${i} { ${servers} keepalive 8; }`);
    out.push(
      `  server { listen ${listen}; server_name app-${i}.bench.test; location / { proxy_pass http://svc_${i}; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; proxy_set_header X-Real-IP $remote_addr; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } }`,
    );
  }
  out.push('}', '');
  return { main: out.join('\n'), upstreams: '' };
}

async function listening(port: number): Promise<boolean> {
  return new Promise<boolean>((r) => {
    const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
    s.on('error', () => r(false));
  });
}

/** `nginx -t` then install + HUP of the naive configuration on a scratch node already running it. */
async function naiveCost(n: number): Promise<{ validateMs: number; applyMs: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-gw-naive-'));
  const port = await freePort();
  const cfg = naiveConfig(n, `127.0.0.1:${port}`);
  const node = new LocalNginxNode(path.join(dir, 'live'), nginxBin);
  await node.install(cfg);
  const child = spawn(nginxBin, node.argv(), { stdio: 'ignore' });
  try {
    await eventually(() => listening(port), 'naive nginx listening', 120_000, 50);
    let t = performance.now();
    const check = await validateConfig(nginxBin, path.join(dir, 'scratch'), cfg);
    if (!check.ok) throw new Error(check.message);
    const validateMs = performance.now() - t;
    t = performance.now();
    await node.install(cfg);
    if ((await node.reload(120_000)) !== 'reloaded') throw new Error('naive reload did not happen');
    return { validateMs, applyMs: performance.now() - t };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const project = 'gwb';
const zone = 'bench.test';
const routesBase = `/api/v1/projects/${project}/envs/test/routes`;

/** Route i: one in 50 to a service with real containers, the others to 3 VM servers of its own. */
function routeSpec(i: number) {
  if (i % 50 === 0)
    return { host: `r${i}.${zone}`, backends: { service: { name: i % 100 === 0 ? 'ep' : 'web' } } };
  const ip = `127.1.${(i >> 8) & 255}.${i & 255}`;
  return {
    host: `r${i}.${zone}`,
    backends: { servers: [8081, 8082, 8083].map((port) => ({ address: `${ip}:${port}` })) },
  };
}

async function createViaApi(api: TestApi, from: number, to: number, inFlight = 8): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) {
      const i = next;
      next += 1;
      const r = await api.post(routesBase, { name: `r${i}`, spec: routeSpec(i) });
      if (r.status !== 201) throw new Error(`route r${i}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Writes routes from..to-1 into the store as the API would store them (one transaction). */
async function seed(db: Db, from: number, to: number) {
  const now = nowIso();
  const rows: RouteRow[] = [];
  for (let i = from; i < to; i += 1) {
    const spec = routeSpecSchema.parse(routeSpec(i));
    rows.push({
      id: newId(),
      project,
      env: 'test',
      name: `r${i}`,
      host: spec.host,
      path_prefix: spec.pathPrefix,
      spec: JSON.stringify(spec),
      canary: null,
      created_at: now,
      updated_at: now,
      created_by: 'admin',
      updated_by: 'admin',
      version: 1,
    });
  }
  await db.transaction().execute(async (trx) => {
    for (let k = 0; k < rows.length; k += 500)
      await trx
        .insertInto('gateway_routes')
        .values(rows.slice(k, k + 500))
        .execute();
  });
}

function get(address: string): Promise<string> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: address.slice(0, i), port: Number(address.slice(i + 1)), path: '/index.html', agent: false },
        (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c.toString()));
          res.on('end', () => resolve(b.trim()));
        },
      )
      .on('error', reject);
  });
}

/** Polls a node until a request for host answers 200 with body (any body when null); ms from t0. */
/** When `listen` first serves `host` (answered by `body` when given), from t0. */
async function servedAt(listen: string, host: string, body: string | null, t0: number): Promise<number> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const r = await viaGateway(listen, host);
      if (r.status === 200 && (body === null || r.body === body)) return wall() - t0;
    } catch {
      // a connection refused during the reload is a miss like any other
    }
    // a tighter loop steals the CPU the nodes' `nginx -t` and reload need (2 cores)
    await sleep(10);
  }
  throw new Error(`${host} not served${body ? ` by ${body}` : ''} at ${listen} within 120 s`);
}

/**
 * bench/helpers/served-poller.ts in its own process, polling every node until it serves `host`
 * answered by `body` (its requests must not share the event loop of the Berth being measured);
 * resolves once it polls. `done` gives each node's first match (wall ms).
 */
async function startPoller(
  host: string,
  body: string,
  listens: string[],
): Promise<{ done: Promise<Map<string, number>> }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(import.meta.dirname, 'helpers', 'served-poller.ts'),
      host,
      body,
      ...listens,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<Map<string, number>>((resolve, reject) =>
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the poller failed (${code}): ${err}`));
      const seen = new Map<string, number>();
      for (const line of out.split('\n').slice(1)) {
        const [l, at] = line.split(' ');
        if (l && at) seen.set(l, Number(at));
      }
      resolve(seen);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    done.catch(reject);
  });
  return { done };
}

/** The wall time an agent logged "applied version V (revision R)" with R ≥ revision, after t0. */
function agentAppliedAt(a: AgentNode, revision: number, t0: number): number | null {
  for (const m of a
    .output()
    .matchAll(/^(\S+) applied version \d+ \(revision (\d+)(?:, endpoints only[^)]*)?\)$/gm)) {
    const at = Date.parse(m[1]!);
    if (Number(m[2]) >= revision && at >= t0 - 1) return at;
  }
  return null;
}

async function main(): Promise<void> {
  instrument();
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
  console.log(
    `gateway API bench: ${new Date().toISOString()}, commit ${commit}, ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(
        ' ',
      )}; sizes ${sizes.join(', ')}; API-created up to ${apiMax}; ${samples} samples; ${1 + agentCount} nodes`,
  );
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-gw-api-bench-'));
  const p = await startGatewayPlatform({ ...loopbackBackends, BERTH_LOG_LEVEL: 'silent' });
  const agents: AgentNode[] = [];
  try {
    const base = await makeProject(p.api, project);
    await grantZone(p.api, zone, project);
    await grantNetwork(p.api, '127.1.0.0/16', project);
    // Each replica answers with its own hostname, so a node's answers tell the backends apart.
    const hostnameSpec = (replicas: number) =>
      webSpec('h', replicas, {
        command: [
          'sh',
          '-c',
          'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
        ],
      });
    for (const [name, replicas] of [
      ['ep', 3],
      ['web', 1],
    ] as const) {
      const r = await p.api.post<{ task: { id: string } }>(base, { name, spec: hostnameSpec(replicas) });
      if (r.status !== 202) throw new Error(JSON.stringify(r.body));
      if ((await waitTask(p.api, r.body.task.id)).state !== 'succeeded') throw new Error(`service ${name}`);
    }
    for (let k = 0; k < agentCount; k += 1) {
      const n = await p.api.post<{ token: string }>('/api/v1/gateways/local/nodes', { name: `n${k + 1}` });
      if (n.status !== 201) throw new Error(JSON.stringify(n.body));
      agents.push(await startAgentNode(`n${k + 1}`, root, p.url, n.body.token, 30));
    }
    const listens = [p.listen, ...agents.map((a) => a.listen)];
    const nodeNames = ['local', ...agents.map((a) => a.name)];
    const inSync = () =>
      eventually(
        async () => {
          const r = await p.api.get<{ items: { state: string }[] }>('/api/v1/gateways/local/nodes');
          return r.body.items.length === listens.length && r.body.items.every((x) => x.state === 'in-sync');
        },
        'every node in sync',
        600_000,
        50,
      );
    const localPid = path.join(p.dataDir, 'gateway', 'local', 'logs', 'nginx.pid');

    const rows: string[] = [];
    const applyMedians = new Map<number, number>();
    let have = 0;
    let probe = 0;
    let largest = { n: 0, apply: NaN, allNodes: NaN };
    let naiveAt = { n: 0, total: NaN };
    for (const n of sizes) {
      // --- bulk
      let bulk: string;
      const t = performance.now();
      if (n <= apiMax) {
        await createViaApi(p.api, have, n);
        await inSync();
        bulk = `${ms(performance.now() - t)} via API (${n - have} creates, 8 in flight)`;
      } else {
        const before = (await p.api.get<{ appliedVersion: number }>('/api/v1/gateways/local')).body;
        await seed(p.server.ctx.db, have, n);
        const seeded = performance.now() - t;
        await eventually(
          async () =>
            (await p.api.get<{ appliedVersion: number }>('/api/v1/gateways/local')).body.appliedVersion >
            before.appliedVersion,
          'the controller applied the seeded routes',
          600_000,
          50,
        );
        const local = performance.now() - t;
        await inSync();
        bulk = `seeded ${n - have} in ${ms(seeded)} + 1 controller apply: local ${ms(local)}, all nodes ${ms(performance.now() - t)}`;
      }
      const from = have;
      have = n;
      const mem = `Berth ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB RSS (this process); local nginx ${nginxMem(localPid)}; ${agents
        .map(
          (a) =>
            `${a.name}: agent ${(memOf(a.proc.pid!).rss / 1024).toFixed(0)} MiB RSS, nginx ${nginxMem(path.join(a.prefix, 'logs', 'nginx.pid'))}`,
        )
        .join('; ')}`;

      // --- one more route through the API
      const apiMs: number[] = [];
      const allMs: number[] = [];
      const perNode: number[][] = listens.map(() => []);
      const ps: Parts[] = [];
      /** From the apply's end to the API's answer (reading the route back, its tenancy flags). */
      const answer: number[] = [];
      // at 10,000 routes one sample takes 10+ s on a busy 2-core machine
      const nSamples = process.env.BENCH_GW_SAMPLES || n < 10_000 ? samples : Math.min(samples, 3);
      // BENCH_GW_PROFILE_APPLY=<file>: a CPU profile of this process over the route creates
      const applyProfiler = process.env.BENCH_GW_PROFILE_APPLY ? new Session() : null;
      if (applyProfiler) {
        applyProfiler.connect();
        await applyProfiler.post('Profiler.enable');
        await applyProfiler.post('Profiler.start');
      }
      for (let s = 0; s < nSamples; s += 1) {
        await inSync();
        await sleep(300);
        probe += 1;
        const host = `probe${probe}.${zone}`;
        const t0 = wall();
        const r = await p.api.post(routesBase, {
          name: `probe${probe}`,
          spec: { host, backends: { service: { name: 'ep' } } },
        });
        const apiDone = wall() - t0;
        if (r.status !== 201) throw new Error(`probe: ${r.status} ${JSON.stringify(r.body)}`);
        const at = await Promise.all(listens.map((l) => servedAt(l, host, null, t0)));
        apiMs.push(apiDone);
        allMs.push(Math.max(...at));
        at.forEach((x, k) => perNode[k]!.push(x));
        const tr = traces.find((x) => x.start >= t0 && x.author === 'admin');
        if (tr) {
          ps.push(parts(tr, t0));
          answer.push(apiDone - (tr.end! - t0));
        }
      }
      if (applyProfiler) {
        const { profile } = await applyProfiler.post('Profiler.stop');
        writeFileSync(`${process.env.BENCH_GW_PROFILE_APPLY!}.${n}`, JSON.stringify(profile));
        applyProfiler.disconnect();
      }
      applyMedians.set(n, median(apiMs));
      const prev = [...applyMedians.entries()].at(-2);
      if (n > apiMax && prev)
        // one create per request: each is a full apply, growing from prev's to this size's
        bulk += ` [through the API one by one ≈ ${(((n - from) * (prev[1] + median(apiMs))) / 2 / 60_000).toFixed(0)} min (projected)]`;
      // idle controller passes (nothing changed) at this size
      const idle = traces
        .filter((x) => x.gateway === 'local' && x.author === 'system' && x.version === null && x.end)
        .slice(-10);
      const idleMs = median(idle.map((x) => x.end! - x.start));
      const idleCpu = median(idle.map((x) => x.ownCpu ?? NaN));
      // what one route create stores: the full files and a snapshot of every route of the env
      const last = await p.server.ctx.db
        .selectFrom('gateway_versions')
        .select(['main_text', 'upstreams_text', 'routes_snapshot'])
        .where('kind', '=', 'config')
        .orderBy('number', 'desc')
        .executeTakeFirstOrThrow();
      const kib = (x: string | null) => ((x?.length ?? 0) / 1024).toFixed(0);
      const stored = `main ${kib(last.main_text)} KiB + endpoints ${kib(last.upstreams_text)} KiB + routes snapshot ${kib(last.routes_snapshot)} KiB`;

      let naive = '';
      if (withNaive) {
        const c = await naiveCost(n);
        naive = `naive layout: nginx -t ${ms(c.validateMs)} + apply ${ms(c.applyMs)} = ${ms(c.validateMs + c.applyMs)}`;
        naiveAt = { n, total: c.validateMs + c.applyMs };
      }
      largest = { n, apply: median(apiMs), allNodes: median(allMs) };
      rows.push(
        [
          `${n} routes (${have + probe} with probes)`,
          `  bulk: ${bulk}`,
          `  one route via API: median ${ms(median(apiMs))}, p90 ${ms(p90(apiMs))}; served by all ${listens.length} nodes: median ${ms(median(allMs))}, p90 ${ms(p90(allMs))} (${nodeNames.map((x, k) => `${x} ${ms(median(perNode[k]!))}`).join(', ')})`,
          `  API apply parts (median): ${showParts(medianParts(ps))}; then the answer ${ms(median(answer))}`,
          `  idle controller pass (nothing changed): median ${ms(idleMs)} (Berth CPU ${ms(idleCpu)}), then a wait of 0.5 s doubling to 5 s while idle`,
          `  one route create stores a config version of ${stored}`,
          naive ? `  ${naive}` : '',
          `  memory: ${mem}`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
      console.log(rows.at(-1));
    }

    // --- endpoint change at the largest size
    const list = await p.api.get<{
      items: { name: string; state: string; endpoints: Record<string, string> }[];
    }>(`${base}/ep/containers`);
    const ready = list.body.items.filter((c) => c.state === 'ready');
    const c = ready.at(-1);
    if (!c || ready.length < 2) throw new Error(`ep has ${ready.length} ready containers`);
    const cHost = await get(c.endpoints['8080']!);
    const epHost = `r0.${zone}`;
    const outAll: number[] = [];
    const inAll: number[] = [];
    const inPerNode: number[][] = listens.map(() => []);
    const outPerNode: number[][] = listens.map(() => []);
    const inParts: Parts[] = [];
    const outParts: Parts[] = [];
    const rotation = (on: boolean) =>
      p.api.post(`${base}/ep/containers/${c.name}/rotation`, { inRotation: on });
    const seenAll: number[] = [];
    const seenPerNode: number[][] = listens.map(() => []);
    /**
     * When each node acknowledged the change's version, from t0: the local push's end (Nginx
     * answered 200) and each agent's "applied" line (written after its push's 200).
     */
    const appliedOnAll = async (tr: Trace, t0: number) => {
      const agentAt = await Promise.all(
        agents.map((a) =>
          eventually(
            () => Promise.resolve(agentAppliedAt(a, tr.version!, t0)),
            `${a.name} applied`,
            120_000,
            10,
          ),
        ),
      );
      return [tr.pushEnd! - t0, ...agentAt.map((x) => x - t0)];
    };
    /** The local apply of the endpoints change that started after t0. */
    const applyAfter = (t0: number) =>
      eventually(
        () => Promise.resolve(traces.find((x) => x.start >= t0 && x.version !== null && x.end)),
        'the endpoints apply',
        120_000,
        5,
      );
    // BENCH_GW_PROFILE=<file>: a CPU profile of this process (Berth) over the endpoint rounds only
    const profiler = process.env.BENCH_GW_PROFILE ? new Session() : null;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    /**
     * With a profile, each change's window in the profile's clock (µs, monotonic like
     * process.hrtime): t0, the local push's 200 and the last agent's "applied" line, so the
     * samples of each direction can be told apart (written beside the profile, `.marks.json`).
     */
    const clock = Number(process.hrtime.bigint() / 1000n) - wall() * 1000;
    const marks: { dir: 'out' | 'in'; t0: number; local: number; all: number }[] = [];
    const mark = (dir: 'out' | 'in', t0: number, nodes: number[]) =>
      marks.push({
        dir,
        t0: t0 * 1000 + clock,
        local: (t0 + nodes[0]!) * 1000 + clock,
        all: (t0 + Math.max(...nodes)) * 1000 + clock,
      });
    for (let r = 0; r < rounds; r += 1) {
      await inSync();
      await sleep(500);
      // out of rotation: timed from the records (local apply end, each agent's applied line)
      let t0 = wall();
      const out = await rotation(false);
      if (out.status !== 200) throw new Error(JSON.stringify(out.body));
      const trOut = await applyAfter(t0);
      const outNodes = await appliedOnAll(trOut, t0);
      outNodes.forEach((x, k) => outPerNode[k]!.push(x));
      outAll.push(Math.max(...outNodes));
      mark('out', t0, outNodes);
      outParts.push(parts(trOut, t0));
      // sanity: the container no longer answers through any node
      for (const l of listens)
        for (let k = 0; k < 12; k += 1)
          if ((await viaGateway(l, epHost)).body === cHost) throw new Error(`${c.name} still served at ${l}`);
      await inSync();
      await sleep(500);
      // back into rotation: until every node serves the container again
      const poller = await startPoller(epHost, cHost, listens);
      t0 = wall();
      const back = await rotation(true);
      if (back.status !== 200) throw new Error(JSON.stringify(back.body));
      const seen = await poller.done;
      const at = listens.map((l) => seen.get(l)! - t0);
      at.forEach((x, k) => seenPerNode[k]!.push(x));
      seenAll.push(Math.max(...at));
      const trIn = await applyAfter(t0);
      const inNodes = await appliedOnAll(trIn, t0);
      inNodes.forEach((x, k) => inPerNode[k]!.push(x));
      inAll.push(Math.max(...inNodes));
      mark('in', t0, inNodes);
      inParts.push(parts(trIn, t0));
    }
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(process.env.BENCH_GW_PROFILE!, JSON.stringify(profile));
      writeFileSync(`${process.env.BENCH_GW_PROFILE!}.marks.json`, JSON.stringify(marks));
      profiler.disconnect();
    }
    // `nginx -t` alone on the same input, to split render from validation
    let alone = NaN;
    let aloneCpu = NaN;
    if (lastPlan) {
      // the files the applier validates (the balancer layout), not the static upstreams of old
      const { dynamicMainConfig, renderDynamicUpstreams, controlSocketPath } =
        await import('@berth/gateway-nginx');
      const scratch = mkdtempSync(path.join(os.tmpdir(), 'berth-gw-t-'));
      const files = {
        main: dynamicMainConfig(lastPlan.gateway),
        upstreams: renderDynamicUpstreams(lastPlan.pools, {
          controlSocket: controlSocketPath(scratch),
          fileWriter: 'agent',
        }),
      };
      const tt: number[] = [];
      const cpu: number[] = [];
      for (let k = 0; k < 3; k += 1) {
        const s = performance.now();
        const c = cpuOf('self').children;
        await validateConfig(nginxBin, scratch, files);
        tt.push(performance.now() - s);
        cpu.push(cpuOf('self').children - c);
      }
      alone = median(tt);
      aloneCpu = median(cpu);
      rmSync(scratch, { recursive: true, force: true });
    }
    const total = have + probe;
    const outM = median(outAll);
    const inM = median(inAll);
    console.log(
      `endpoint change at ${total} routes (one of 3 containers of 'ep', ${rounds} rounds each way):`,
    );
    const perNode = (v: number[][]) => nodeNames.map((x, k) => `${x} ${ms(median(v[k]!))}`).join(', ');
    console.log(
      `  out of rotation, applied on all nodes (records: the local push's 200, the agents' "applied" lines): median ${ms(outM)} (${outAll.map(ms).join(', ')}); ${perNode(outPerNode)}`,
    );
    console.log(`    local apply parts (median): ${showParts(medianParts(outParts))}`);
    console.log(
      `  back into rotation, applied on all nodes (the same records): median ${ms(inM)} (${inAll.map(ms).join(', ')}); ${perNode(inPerNode)}`,
    );
    console.log(`    local apply parts (median): ${showParts(medianParts(inParts))}`);
    console.log(
      `  back into rotation, seen through every node by a poller in its own process (3 requests every 10 ms per node; the container is one of 3, balanced round robin per worker): median ${ms(median(seenAll))} (${seenAll.map(ms).join(', ')}); ${perNode(seenPerNode)}`,
    );
    console.log(
      `  nginx -t alone on the same configuration: ${ms(alone)} (CPU ${ms(aloneCpu)}; the rest is waiting for a core)`,
    );
    console.log(
      `summary at ${largest.n} routes (issue 12's targets${largest.n < 10_000 ? ' are for 10,000 routes' : ''}):`,
    );
    console.log(
      `  full apply through the API: ${ms(largest.apply)} (served by all nodes ${ms(largest.allNodes)}) — target ≤ ${ms(targetApplyMs)}: ${(largest.apply / targetApplyMs).toFixed(2)}× the target; issue's library number ${ms(issueFullApplyMs)}${naiveAt.n === largest.n ? `; naive layout ${ms(naiveAt.total)}` : ''}`,
    );
    const ep = Math.max(inM, outM);
    console.log(
      `  endpoint change applied on all nodes: ${ms(ep)} (slower direction; seen by the poller ${ms(median(seenAll))}) — target ≤ ${ms(targetEndpointMs)}: ${(ep / targetEndpointMs).toFixed(1)}× the target; issue's library number ${ms(issueEndpointMs)}`,
    );
  } finally {
    for (const a of agents) {
      await a.kill('SIGTERM');
      a.stopNginx();
    }
    await p.close();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
