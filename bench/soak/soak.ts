/**
 * `npm run soak`: the kill -9 soak. One real Berth server process (its own data dir, ports and
 * instance id, on the shared test Podman service) runs a 3-replica service behind the local
 * Nginx gateway and a codeflow pipeline. Each trial starts an operation (a rollout, a scale up or
 * down, a route create/update, a build), SIGKILLs the server at a random moment, restarts it on
 * the same data dir and waits, by polling the API, until everything converged; then it looks for
 * anything left behind. Exits non-zero when a trial did not converge or left something.
 *
 *   npm run soak -- --trials 20 [--seed 42] [--builds-every 5] [--converge-timeout 180] [--keep]
 */
import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startRegistry, TestRepo } from '../../packages/server/test/helpers/codeflow-fixtures';
import { freePort } from '../../packages/server/test/helpers/net';
import { adminPassword, makeProject, TestApi, webSpec } from '../../packages/server/test/helpers/platform';
import { BerthProcess, until } from './berth-process';
import { Checker, podmanPs, podmanRm, type Wanted } from './checks';

type Obj = Record<string, unknown>;
type Op = 'rollout' | 'scale' | 'gateway' | 'build';
const run = promisify(execFile);

const { values: opts } = parseArgs({
  options: {
    trials: { type: 'string', default: '100' },
    seed: { type: 'string' },
    'builds-every': { type: 'string', default: '5' },
    'converge-timeout': { type: 'string', default: '180' },
    keep: { type: 'boolean', default: false },
  },
  strict: true,
});
const positive = (name: string, v: string, min = 1): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`soak: --${name} must be an integer >= ${min} (got "${v}")\n`);
    process.exit(2);
  }
  return n;
};
const trials = positive('trials', opts.trials);
const buildsEvery = positive('builds-every', opts['builds-every'], 0);
const convergeMs = positive('converge-timeout', opts['converge-timeout']) * 1000;
const seed = opts.seed !== undefined ? positive('seed', opts.seed, 0) : randomBytes(4).readUInt32BE(0);

/** mulberry32: a seeded PRNG, so a run's kill moments can be replayed with --seed. */
function prng(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(seed);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const root = path.resolve(import.meta.dirname, '../..');
const socket = process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-test/podman.sock';
const project = 'soak';
const base = `/api/v1/projects/${project}/envs/test/services`;
const routes = `/api/v1/projects/${project}/envs/test/routes`;
const pipelines = `/api/v1/projects/${project}/pipelines`;
const host = `web.${project}.test.localhost`;
/**
 * The test spec with a long progress deadline: the deadline counts while the server is down,
 * and a slow restart on a busy machine would roll a release back (reported, not what is tested).
 */
const spec = (version: string, replicas: number, extra: Record<string, unknown> = {}) =>
  webSpec(version, replicas, {
    rollout: {
      maxSurge: 1,
      maxUnavailable: 0,
      drainSeconds: 1,
      stopGraceSeconds: 5,
      progressDeadlineSeconds: 600,
    },
    ...extra,
  });

const tmp = mkdtempSync(path.join(tmpdir(), 'berth-soak-'));
const dataDir = path.join(tmp, 'berth');
const fixtures = path.join(tmp, 'fixtures');
mkdirSync(fixtures, { recursive: true });
const instanceId = `soak${randomBytes(4).toString('hex')}`;
const logFile = path.join(tmp, 'server.log');

let registry: { host: string; proc: ChildProcess } | null = null;
let server: BerthProcess | null = null;
let api: TestApi | null = null;
const buildIds = new Set<string>();
const checker = new Checker(() => api!, { project, instanceId, socket, dataDir });

/** Everything this run created: its server and Nginx, its containers and images, its files. */
async function cleanUp(): Promise<void> {
  await server?.stop().catch(() => undefined);
  registry?.proc.kill();
  const mine = await podmanPs(socket, `berth.instance=${instanceId}`).catch(() => []);
  const builds = (await podmanPs(socket, 'berth.codeflow.build').catch(() => [])).filter((c) =>
    buildIds.has(c.Labels?.['berth.codeflow.build'] ?? ''),
  );
  await podmanRm(
    socket,
    [...mine, ...builds].map((c) => c.Id),
  );
  if (registry) {
    const { stdout } = await run('podman', [
      '--url',
      `unix://${socket}`,
      'images',
      '--format',
      '{{.Repository}}:{{.Tag}}',
    ]).catch(() => ({ stdout: '' }));
    const images = stdout
      .split('\n')
      .filter(
        (l) =>
          l.startsWith(`${registry!.host}/${project}/`) || l.startsWith(`localhost/berth-pre/${project}-`),
      );
    if (images.length)
      await run('podman', ['--url', `unix://${socket}`, 'rmi', '-f', ...images]).catch(() => undefined);
  }
  if (opts.keep) process.stdout.write(`soak: kept ${tmp} (server log: ${logFile})\n`);
  else rmSync(tmp, { recursive: true, force: true });
}

let cleaning: Promise<void> | null = null;
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    process.stderr.write(`soak: ${sig}: cleaning up\n`);
    process.stdout.write(`\nsoak summary, interrupted (seed ${seed})\n${summary(results)}\n`);
    cleaning ??= cleanUp();
    void cleaning.finally(() => process.exit(130));
  });

function logTail(lines = 15): string {
  if (!existsSync(logFile)) return '';
  return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

// ---- the world ---------------------------------------------------------------------------------

const wanted = new Map<string, Wanted>();
let buildMs = 0;
let repo: TestRepo | null = null;

async function waitConverged(timeoutMs: number, extra?: () => Promise<string | null>): Promise<void> {
  let last: string | null = 'not checked yet';
  await until(
    async () => {
      last = (await extra?.()) ?? (await checker.pending([...wanted.values()]));
      return last === null;
    },
    'convergence',
    timeoutMs,
    250,
  ).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)} (last: ${last})`);
  });
}

async function buildsPending(): Promise<string | null> {
  if (!repo) return null;
  const r = await api!.get<{ items: Obj[] }>(`${pipelines}/app/builds?limit=100`);
  if (r.status !== 200) return `builds: ${r.status}`;
  const open = r.body.items.filter((b) => b.state === 'queued' || b.state === 'running');
  if (open.length)
    return `builds not finished: ${open.map((b) => `#${String(b.number)} ${String(b.state)}`).join(', ')}`;
  // Once no build runs, whatever release the service wants is final.
  const s = await checker.service('app');
  wanted.set('app', { service: 'app', release: s.release as number, replicas: s.replicas as number });
  return null;
}

async function setUp(): Promise<void> {
  registry = await startRegistry(fixtures);
  server = new BerthProcess({
    root,
    dataDir,
    apiPort: await freePort(),
    gatewayListen: `127.0.0.1:${await freePort()}`,
    registryListen: registry.host,
    instanceId,
    podmanSocket: socket,
    adminPassword,
    logFile,
  });
  await startServer();
  api = await TestApi.login(server.url, 'admin', adminPassword);
  await makeProject(api, project);
  const web = await api.post<{ service: Obj }>(base, { name: 'web', spec: spec('v0', 3) });
  if (web.status !== 202) throw new Error(`create web: ${web.status} ${JSON.stringify(web.body)}`);
  wanted.set('web', { service: 'web', release: web.body.service.release as number, replicas: 3 });
  if (buildsEvery > 0) {
    const app = await api.post<{ service: Obj }>(base, {
      name: 'app',
      spec: spec('a0', 1, { readiness: { type: 'http', path: '/', periodSeconds: 1 } }),
    });
    if (app.status !== 202) throw new Error(`create app: ${app.status} ${JSON.stringify(app.body)}`);
    wanted.set('app', { service: 'app', release: app.body.service.release as number, replicas: 1 });
    repo = new TestRepo(fixtures);
    await repo.init();
    await repo.commitApp('b0');
    const p = await api.post(pipelines, {
      name: 'app',
      target: { env: 'test', service: 'app' },
      repo: { url: repo.bare, ref: 'main' },
      template: 'node',
      buildScript: 'mkdir -p dist && cp server.js package.json dist/',
      artifactPath: 'dist',
      startCommand: 'exec node server.js',
      port: 8080,
    });
    if (p.status !== 201) throw new Error(`create pipeline: ${p.status} ${JSON.stringify(p.body)}`);
  }
  await waitConverged(convergeMs);
  if (repo) {
    // One build before the trials: builds the builder image once and measures a build.
    const s = performance.now();
    const b = await api.post<{ build: Obj }>(`${pipelines}/app/builds`, {});
    if (b.status !== 202) throw new Error(`start build: ${b.status} ${JSON.stringify(b.body)}`);
    buildIds.add(b.body.build.id as string);
    await waitConverged(600_000, buildsPending);
    const done = await api.get(`/api/v1/projects/${project}/builds/${String(b.body.build.id)}`);
    buildMs = performance.now() - s;
    // A failing build still exercises a kill during its steps; the soak says so and goes on.
    if (done.body.state !== 'succeeded')
      process.stdout.write(
        `soak: WARNING: the warm-up build ${String(done.body.state)} (build trials go on; they check recovery, not the build): ${String(done.body.error).slice(0, 300)}\n`,
      );
  }
}

// ---- operations: each starts a change and returns what the service should converge to -----------

interface Started {
  /** Resolves with the response's wanted state, or null if the kill cut the request off. */
  request: Promise<Wanted | null>;
  maxDelayMs: number;
  /** Checked with the convergence (the gateway op: the route's state is what Nginx runs). */
  extra?: () => Promise<string | null>;
  what: string;
}

function wantedOf(res: { status: number; body: { service?: Obj } }, name: string, replicas?: number) {
  if (res.status !== 202 || !res.body.service)
    throw new Error(`${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    service: name,
    release: res.body.service.release as number,
    replicas: replicas ?? (res.body.service.replicas as number),
  };
}

const scaleSteps = [5, 1, 4, 2, 3];
let scaleIndex = 0;
let gatewayOps = 0;

function startOp(op: Op, trial: number): Started {
  const a = api!;
  switch (op) {
    case 'rollout':
      return {
        what: `release v${trial} of web (3 replicas)`,
        maxDelayMs: 8000,
        request: a
          .put<{ service: Obj }>(`${base}/web`, { spec: spec(`v${trial}`, 3) })
          .then((r) => wantedOf(r, 'web', 3)),
      };
    case 'scale': {
      const current = wanted.get('web')!.replicas;
      let to = scaleSteps[scaleIndex++ % scaleSteps.length]!;
      if (to === current) to = scaleSteps[scaleIndex++ % scaleSteps.length]!;
      return {
        what: `web ${current} → ${to} replicas`,
        maxDelayMs: 5000,
        request: a
          .post<{ service: Obj }>(`${base}/web/scale`, { replicas: to })
          .then((r) => wantedOf(r, 'web', to)),
      };
    }
    case 'gateway': {
      gatewayOps += 1;
      const recreate = gatewayOps % 4 === 0;
      const maxBodyMiB = 1000 + trial;
      const routeSpec = { host, backends: { service: { name: 'web' } }, maxBodyMiB };
      const request = (async () => {
        const cur = await a.get(`${routes}/web`);
        if (cur.status === 200 && recreate) await a.delete(`${routes}/web`);
        const r =
          cur.status === 200 && !recreate
            ? await a.put(`${routes}/web`, {
                version: (cur.body.route as Obj | undefined)?.version ?? cur.body.version,
                spec: routeSpec,
              })
            : await a.post(routes, { name: 'web', spec: routeSpec });
        if (r.status !== 200 && r.status !== 201)
          throw new Error(`route: ${r.status} ${JSON.stringify(r.body)}`);
        return null;
      })();
      return {
        what: `${recreate ? 'recreate' : 'create/update'} route ${host} (maxBodyMiB ${maxBodyMiB})`,
        maxDelayMs: 1500,
        request,
        extra: routeRendered,
      };
    }
    case 'build': {
      const request = (async () => {
        await repo!.commitApp(`b${trial}`);
        const b = await a.post<{ build: Obj }>(`${pipelines}/app/builds`, {});
        if (b.status !== 202) throw new Error(`build: ${b.status} ${JSON.stringify(b.body)}`);
        buildIds.add(b.body.build.id as string);
        return null;
      })();
      return {
        what: 'build and deploy app',
        maxDelayMs: Math.max(3000, Math.round(buildMs * 1.1)),
        request,
        extra: buildsPending,
      };
    }
  }
}

/** The route in the store is what the installed Nginx configuration says. */
async function routeRendered(): Promise<string | null> {
  const r = await api!.get(`${routes}/web`);
  if (r.status === 404) return null;
  if (r.status !== 200) return `route: ${r.status}`;
  const route = (r.body.route as Obj | undefined) ?? r.body;
  const n = (route.spec as Obj | undefined)?.maxBodyMiB;
  const conf = readFileSync(path.join(dataDir, 'gateway', 'local', 'conf', 'nginx.conf'), 'utf8');
  return conf.includes(`client_max_body_size ${String(n)}m;`)
    ? null
    : `the installed nginx.conf does not have the route's maxBodyMiB ${String(n)}`;
}

// ---- trials ------------------------------------------------------------------------------------

interface Result {
  trial: number;
  what: string;
  /** Start attempts after the kill (more than 1: Berth exited at start, e.g. Podman answered slowly). */
  starts: number;
  op: Op;
  killMs: number;
  convergeMs: number | null;
  orphans: string[];
  error: string | null;
}

/**
 * Restarts Berth on its data dir, as a supervisor (systemd) would: up to 10 attempts when it exits
 * at start.
 */
async function startServer(): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await server!.start();
      return attempt;
    } catch (err) {
      if (attempt >= 10) throw err;
      process.stdout.write(
        `  start attempt ${attempt} failed: ${err instanceof Error ? err.message : String(err)}\n  ${logTail(3).split('\n').join('\n  ')}\n`,
      );
    }
  }
}

function pickOp(trial: number): Op {
  if (repo && buildsEvery > 0 && trial % buildsEvery === 0) return 'build';
  const ops: Op[] = ['rollout', 'scale', 'gateway'];
  return ops[(trial - 1) % ops.length]!;
}

async function trial(n: number): Promise<Result> {
  const op = pickOp(n);
  const before = new Map([...wanted].map(([k, v]) => [k, { ...v }]));
  const started = startOp(op, n);
  const killMs = Math.floor(rand() * started.maxDelayMs);
  const t0 = performance.now();
  // Set when the request settles: the answer's wanted state (null: none), or why it failed.
  const outcome: { answered?: Wanted | null; error?: string } = {};
  const settled = started.request.then(
    (w) => {
      outcome.answered = w;
    },
    (err: unknown) => {
      outcome.error = err instanceof Error ? err.message : String(err);
    },
  );
  await sleep(Math.max(0, killMs - (performance.now() - t0)));
  await server!.kill9();
  const killedAt = performance.now();
  await settled;
  const result: Result = {
    trial: n,
    op,
    what: started.what,
    starts: 0,
    killMs,
    convergeMs: null,
    orphans: [],
    error: null,
  };
  try {
    result.starts = await startServer();
    const answered = outcome.answered;
    if (answered) wanted.set(answered.service, answered);
    else if (op === 'rollout' || op === 'scale') {
      // The kill cut the request off: the store holds the old or the new desired state.
      const s = await checker.service('web');
      const w = { service: 'web', release: s.release as number, replicas: s.replicas as number };
      const old = before.get('web')!;
      if (w.release < old.release)
        throw new Error(`web went back to release ${w.release} from ${old.release}`);
      wanted.set('web', w);
    }
    if (outcome.error && !/fetch failed|ECONNRESET|socket|terminated/i.test(outcome.error))
      throw new Error(`the ${op} request failed: ${outcome.error}`);
    await waitConverged(convergeMs, started.extra);
    result.convergeMs = performance.now() - killedAt;
    // Converged; old containers are gone from the ledger. Give the controller a few passes to
    // remove anything it still knows about, then whatever is left is an orphan.
    let left: string[] = [];
    await until(
      async () => {
        left = await checker.leftovers([...wanted.keys()], buildIds);
        return left.length === 0;
      },
      'no leftovers',
      15_000,
      500,
    ).catch(() => undefined);
    result.orphans = left;
    if (left.length === 0) {
      // Still converged after the leftover check (nothing flapped meanwhile).
      const again = await checker.pending([...wanted.values()]);
      if (again) result.error = `converged, then: ${again}`;
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  }
  return result;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function line(r: Result): string {
  const conv = r.convergeMs === null ? 'NOT CONVERGED' : `${Math.round(r.convergeMs)} ms`;
  return `trial ${String(r.trial).padStart(3)}  ${r.op.padEnd(7)}  kill at ${String(r.killMs).padStart(5)} ms  converged ${conv.padStart(9)}  orphans ${r.orphans.length}${r.starts > 1 ? `  (started on attempt ${r.starts})` : ''}`;
}

function summary(results: Result[]): string {
  const out: string[] = [];
  const stats = (rs: Result[]) => {
    const t = rs
      .map((r) => r.convergeMs)
      .filter((v): v is number => v !== null)
      .sort((x, y) => x - y);
    const ok = rs.filter((r) => r.convergeMs !== null && !r.error).length;
    const orphans = rs.reduce((s, r) => s + r.orphans.length, 0);
    const f = (v: number) => (Number.isNaN(v) ? '-' : `${Math.round(v)}`);
    return `trials ${rs.length}  converged ${ok}  failed ${rs.length - ok}  orphans ${orphans}  converge ms median ${f(pct(t, 50))} p95 ${f(pct(t, 95))} max ${f(t[t.length - 1] ?? NaN)}`;
  };
  out.push(`all      ${stats(results)}`);
  for (const op of ['rollout', 'scale', 'gateway', 'build'] as Op[]) {
    const rs = results.filter((r) => r.op === op);
    if (rs.length) out.push(`${op.padEnd(8)} ${stats(rs)}`);
  }
  return out.join('\n');
}

const results: Result[] = [];
let exitCode = 0;
try {
  process.stdout.write(
    `soak: ${trials} trials, seed ${seed}, instance ${instanceId}, builds every ${buildsEvery || 'never'}; data ${tmp}\n`,
  );
  const s = performance.now();
  await setUp();
  process.stdout.write(
    `soak: set up in ${Math.round(performance.now() - s)} ms${repo ? `; a build takes ${Math.round(buildMs)} ms` : ''}\n`,
  );
  for (let n = 1; n <= trials; n += 1) {
    const r = await trial(n);
    results.push(r);
    process.stdout.write(line(r) + '\n');
    if (r.error) process.stdout.write(`  error (${r.what}): ${r.error}\n`);
    for (const o of r.orphans) process.stdout.write(`  left: ${o}\n`);
    if (r.error || r.orphans.length) process.stdout.write(`  server log (tail):\n${logTail()}\n`);
  }
} catch (err) {
  exitCode = 1;
  process.stdout.write(`soak: aborted: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.stdout.write(`  server log (tail):\n${logTail()}\n`);
} finally {
  process.stdout.write(`\nsoak summary (seed ${seed})\n${summary(results)}\n`);
  if (results.some((r) => r.error || r.convergeMs === null || r.orphans.length)) exitCode = 1;
  if (results.length < trials) exitCode = 1;
  cleaning ??= cleanUp();
  await cleaning;
}
process.exit(exitCode);
