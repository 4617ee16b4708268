/**
 * `npm run bench:web`: the portal at 10,000 services (issue 12), beside the targets and the
 * numbers of the issue (the baseline before the work):
 * - the service list's time to interactive on localhost with 10,000 services (Chromium via
 *   playwright-core): navigation start → the first screen of rows is visible and the filter
 *   input takes a keystroke (the time of its input event in the page; the driver's round trips
 *   to find the rows and focus the filter are in it); cold (browser cache off) and warm, median
 *   of BENCH_ROUNDS_WEB, with where the time goes (HTML, scripts, the list's request, rows in the
 *   DOM, painted, focus, keystroke; the longest main-thread task);
 * - the gzip size of the entry chunk with its static imports and CSS (what every page loads
 *   first), and of every script and style the list page actually fetched before it was
 *   interactive (the entry plus the chunks it asked for);
 * - GET …/services?limit=50 (the list's first page) from Node, p50 / p99 over BENCH_ROUNDS_LIST
 *   requests, on SQLite and (with BERTH_TEST_PG_URL) PostgreSQL.
 * It prints the machine's load average at the start and the end: the machine may be shared.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { PodmanEngine } from '@berth/engine-podman';
import { loadConfig } from '../packages/server/src/config/config';
import { buildServer, type BerthServer } from '../packages/server/src/server';
import { TestApi } from '../packages/server/test/helpers/platform';
import { chromiumPath } from '../e2e/helpers/browser';
import { seedServices } from '../e2e/helpers/seed-services';

const count = Number(process.env.BENCH_SERVICES ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS_WEB ?? 5);
const listRounds = Number(process.env.BENCH_ROUNDS_LIST ?? 300);
const webDir = path.resolve(import.meta.dirname, '../packages/web');
const password = 'bench-password';

/** Issue 12's targets, and its numbers from before the work (2-core machine, medians). */
const target = { ttiMs: 1000, entryKiB: 300, listP99Ms: 20 };
const baseline = { ttiMs: 1550, entryKiB: 354, sqliteP99Ms: 63 };

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  css?: string[];
}
type Manifest = Record<string, ManifestChunk>;
type Row = [string, string, string];

const gz = (dist: string, file: string) => gzipSync(readFileSync(path.join(dist, file))).length;
const kib = (bytes: number) => bytes / 1024;
const kb = (bytes: number) => `${kib(bytes).toFixed(1)} KiB`;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const pct = (v: number[], p: number) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');

/** Every file a chunk needs that `skip` does not hold already (JS and CSS). */
function closure(manifest: Manifest, key: string, skip: Set<string>): Set<string> {
  const out = new Set<string>();
  const walk = (k: string) => {
    const chunk = manifest[k];
    if (!chunk || skip.has(chunk.file) || out.has(chunk.file)) return;
    out.add(chunk.file);
    for (const css of chunk.css ?? []) if (!skip.has(css)) out.add(css);
    for (const imported of chunk.imports ?? []) walk(imported);
  };
  walk(key);
  return out;
}

async function buildPortal(dist: string): Promise<Manifest> {
  const t0 = Date.now();
  await promisify(execFile)('npx', ['vite', 'build', '--outDir', dist, '--emptyOutDir', '--manifest'], {
    cwd: webDir,
    maxBuffer: 16 * 1024 * 1024,
  });
  console.log(`web: built the portal in ${Date.now() - t0} ms`);
  return JSON.parse(readFileSync(path.join(dist, '.vite/manifest.json'), 'utf8')) as Manifest;
}

function bundleSizes(dist: string, manifest: Manifest): { rows: Row[]; entryBytes: number } {
  const [entryKey, entry] = Object.entries(manifest).find(([, c]) => c.isEntry)!;
  const initial = closure(manifest, entryKey, new Set());
  const entryBytes = [...initial].reduce((s, f) => s + gz(dist, f), 0);
  const routes = Object.entries(manifest)
    .filter(([, c]) => c.isDynamicEntry && /Page\.tsx$/.test(c.src ?? ''))
    .map(([key, c]) => ({ c, own: gz(dist, c.file), total: [...closure(manifest, key, initial)] }))
    .map((r) => ({ ...r, totalBytes: r.total.reduce((sum, f) => sum + gz(dist, f), 0) }))
    .sort((a, b) => b.own - a.own);
  const largest = routes[0]!;
  const largestTotal = [...routes].sort((a, b) => b.totalBytes - a.totalBytes)[0]!;
  return {
    entryBytes,
    rows: [
      ['entry chunk (gzip)', kb(gz(dist, entry.file)), entry.file],
      ['entry + its imports and CSS (gzip)', kb(entryBytes), `${initial.size} files`],
      ['largest route chunk (gzip)', kb(largest.own), largest.c.src ?? largest.c.file],
      [
        'largest route incl. shared chunks (gzip)',
        kb(largestTotal.totalBytes),
        `${largestTotal.c.src ?? ''} (${largestTotal.total.length} files)`,
      ],
    ],
  };
}

/** A Berth without controllers (the seeded services have no containers and must get none). */
async function startServer(env: Record<string, string>): Promise<{ server: BerthServer; url: string }> {
  const config = loadConfig({
    BERTH_LISTEN: '127.0.0.1:0',
    BERTH_ADMIN_PASSWORD: password,
    BERTH_LOG_LEVEL: 'silent',
    BERTH_PODMAN_SOCKET: process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-test/podman.sock',
    BERTH_REGISTRY_LISTEN: 'off',
    ...env,
  });
  const server = await buildServer(config, {
    engine: new PodmanEngine({ socketPath: config.podmanSocket }),
    controllers: false,
  });
  return { server, url: await server.start() };
}

/** Team and project `bench`, then `count` services in its test environment. */
async function seed(server: BerthServer, url: string): Promise<{ api: TestApi; ms: number }> {
  const api = await TestApi.login(url, 'admin', password);
  for (const [p, body] of [
    ['/api/v1/teams', { name: 'bench' }],
    ['/api/v1/projects', { name: 'bench', team: 'bench' }],
  ] as const) {
    const res = await api.post(p, body);
    if (res.status !== 201) throw new Error(`POST ${p}: ${res.status}`);
  }
  const ms = await seedServices(server.ctx.db, 'bench', 'test', count);
  // After a bulk load, as any database benchmark does (pgbench vacuums first): without it the
  // database's own autovacuum/analyze of the 20,000 new rows runs during the measured requests.
  await sql.raw(server.ctx.dialect === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE').execute(server.ctx.db);
  return { api, ms };
}

const listBase = '/api/v1/projects/bench/envs/test/services';

/** p50/p99 of the list's first page (and two other pages) as the CLI or a script would ask. */
async function listLatency(api: TestApi, dialect: string): Promise<{ rows: Row[]; p99: number }> {
  const deep = await api.get<{ nextCursor: string }>(`${listBase}?limit=500`);
  const cases: Array<[string, string]> = [
    ['first page (50)', `${listBase}?limit=50`],
    ['page after 500 (cursor, 50)', `${listBase}?limit=50&cursor=${deep.body.nextCursor}`],
    ['page of 500 (scrolling)', `${listBase}?limit=500&cursor=${deep.body.nextCursor}`],
    ['name filter q=99 (50)', `${listBase}?limit=50&q=99`],
  ];
  const rows: Row[] = [];
  let firstP99 = 0;
  for (const [label, p] of cases) {
    for (let i = 0; i < 20; i += 1) await api.get(p);
    const times: number[] = [];
    for (let i = 0; i < listRounds; i += 1) {
      const s = performance.now();
      const r = await api.get<{ items: unknown[] }>(p);
      times.push(performance.now() - s);
      if (r.status !== 200 || r.body.items.length === 0) throw new Error(`${label}: ${r.status}`);
    }
    const p99 = pct(times, 99);
    if (!firstP99) firstP99 = p99;
    rows.push([
      `${dialect} list ${label}`,
      `p99 ${p99.toFixed(1)} ms`,
      `p50 ${pct(times, 50).toFixed(1)} ms over ${listRounds} requests`,
    ]);
  }
  return { rows, p99: firstP99 };
}

interface Run {
  /** The filter took the keystroke (its input event): the list is interactive. */
  tti: number;
  /** The page's HTML arrived. */
  html: number;
  /** Scripts parsed and run: DOMContentLoaded. */
  dcl: number;
  /** When the list's first request started (the waterfall shows here). */
  listStart: number;
  /** The list's first page answered. */
  list: number;
  /** The first screen of rows (the 10th row) is in the DOM. */
  rows: number;
  /** The frame holding those rows was painted. */
  painted: number;
  /** The driver found the rows and focused the filter (its round trips are in the TTI). */
  focus: number;
  /** The end of the longest task on the main thread before the TTI, and its length. */
  longest: [number, number];
  /** Scripts and styles fetched before interactive. */
  files: string[];
}

/**
 * Marks the page sets as it loads (added before every navigation): when the 10th row enters the
 * DOM and the frame after it, when the filter is focused and takes a keystroke, long tasks.
 */
const marksScript = `(() => {
  const marks = (window.__benchMarks = { longTasks: [] });
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) marks.longTasks.push([e.startTime + e.duration, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  const rows = new MutationObserver(() => {
    if (document.querySelectorAll('[data-testid^="service-link-"]').length < 10) return;
    rows.disconnect();
    marks.rows = performance.now();
    requestAnimationFrame(() => setTimeout(() => (marks.painted = performance.now()), 0));
  });
  document.addEventListener('DOMContentLoaded', () =>
    rows.observe(document.body, { childList: true, subtree: true }),
  );
  document.addEventListener('focusin', () => (marks.focus ??= performance.now()), true);
  document.addEventListener('input', () => (marks.input ??= performance.now()), true);
})()`;

async function listTti(
  dist: string,
  url: string,
): Promise<{ rows: Row[]; cold: number; loadedBytes: number }> {
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'en-US' });
    await retried('login', async () => {
      await page.goto(`${url}/login`);
      await page.fill('#login-username', 'admin', { timeout: 10_000 });
      await page.fill('#login-password', password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    });
    await page.addInitScript(marksScript);
    const cdp = await page.context().newCDPSession(page);
    const filter = page.locator('input[aria-label="Filter by name"]');
    const measure = (cold: boolean) => retried('a run', () => measureOnce(cold));
    const measureOnce = async (cold: boolean): Promise<Run> => {
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: cold });
      await page.goto('about:blank');
      await page.goto(`${url}/p/bench/test`);
      // The first screen of rows (about 11 fit at 768 px): the 10th is there.
      await page.locator('[data-testid^="service-link-"]').nth(9).waitFor({ timeout: 10_000 });
      await filter.focus();
      await page.keyboard.type('9');
      if ((await filter.inputValue()) !== '9') throw new Error('the filter did not take the keystroke');
      return page.evaluate<Run>(`(() => {
        const m = window.__benchMarks;
        const tti = m.input;
        const nav = performance.getEntriesByType('navigation')[0];
        const res = performance.getEntriesByType('resource');
        const list = res.find((r) => r.name.includes('/services?'));
        const files = res
          .filter((r) => r.responseEnd <= tti && /\\/assets\\/[^?]+\\.(js|css)$/.test(new URL(r.name).pathname))
          .map((r) => new URL(r.name).pathname.slice('/'.length));
        const longest = m.longTasks.filter(([end]) => end <= tti).sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
        return {
          tti,
          html: nav ? nav.responseEnd : 0,
          dcl: nav ? nav.domContentLoadedEventEnd : 0,
          listStart: list ? list.startTime : 0,
          list: list ? list.responseEnd : 0,
          rows: m.rows ?? 0,
          painted: m.painted ?? m.rows ?? 0,
          focus: m.focus ?? 0,
          longest,
          files,
        };
      })()`);
    };
    await measure(false); // warm-up: first compile of the page's code in this browser
    const cold: Run[] = [];
    const warm: Run[] = [];
    for (let i = 0; i < rounds; i += 1) cold.push(await measure(true));
    for (let i = 0; i < rounds; i += 1) warm.push(await measure(false));
    type Mark = Exclude<keyof Run, 'files' | 'longest'>;
    const m = (runs: Run[], k: Mark) => median(runs.map((r) => r[k])).toFixed(0);
    const row = (label: string, runs: Run[]): Row => [
      label,
      `${m(runs, 'tti')} ms`,
      `runs ${runs.map((r) => r.tti.toFixed(0)).join(', ')}`,
    ];
    /** Where the time goes, medians of each step (ms from navigation start). */
    const steps = (label: string, runs: Run[]): Row => [
      label,
      '',
      `HTML ${m(runs, 'html')} → scripts run ${m(runs, 'dcl')} → list asked ${m(runs, 'listStart')}, ` +
        `answered ${m(runs, 'list')} → rows in the DOM ${m(runs, 'rows')}, painted ${m(runs, 'painted')} → ` +
        `filter focused by the driver ${m(runs, 'focus')} → keystroke taken ${m(runs, 'tti')}; longest task ` +
        `${median(runs.map((r) => r.longest[1])).toFixed(0)} ms`,
    ];
    const files = [...new Set(cold.flatMap((r) => r.files))];
    const loadedBytes = files.reduce((s, f) => s + gz(dist, f), 0);
    return {
      cold: median(cold.map((r) => r.tti)),
      loadedBytes,
      rows: [
        row(`list TTI, cold cache (median of ${rounds})`, cold),
        steps('  where the cold time goes', cold),
        row(`list TTI, warm cache (median of ${rounds})`, warm),
        steps('  where the warm time goes', warm),
        ['JS + CSS the list loaded before TTI (gzip)', kb(loadedBytes), `${files.length} files`],
      ],
    };
  } finally {
    await browser.close();
  }
}

async function postgresLatency(): Promise<{ rows: Row[]; p99: number } | null> {
  const pgUrl = process.env.BERTH_TEST_PG_URL;
  if (!pgUrl) return null;
  const dbName = `berth_bench_web_${Date.now()}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-bench-web-pg-'));
  try {
    const u = new URL(pgUrl);
    u.pathname = `/${dbName}`;
    const { server, url } = await startServer({ BERTH_DATA_DIR: dataDir, BERTH_DATABASE_URL: u.toString() });
    try {
      const { api } = await seed(server, url);
      return await listLatency(api, 'PostgreSQL');
    } finally {
      await server.close();
    }
  } finally {
    await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function printTable(rows: Row[]): void {
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`web: ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
}

/**
 * Runs a browser step again (up to 3 times) when it fails: Chromium drops loads with
 * net::ERR_NETWORK_CHANGED while other tests' containers come and go on this host.
 */
async function retried<T>(what: string, fn: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i += 1) {
    try {
      return await fn();
    } catch (err) {
      if (i === 3) throw err;
      console.log(`web: ${what} failed (${String(err).split('\n')[0]}); again`);
    }
  }
}

const verdict = (value: number, limit: number) =>
  `${(value / limit).toFixed(2)}× the target, ${value <= limit ? 'meets' : 'MISSES'}`;

console.log(`web: ${count} services; load average at the start ${load()} (1/5/15 min)`);
const dist = mkdtempSync(path.join(tmpdir(), 'berth-web-dist-'));
const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-bench-web-'));
try {
  const manifest = await buildPortal(dist);
  const sizes = bundleSizes(dist, manifest);
  const { server, url } = await startServer({ BERTH_DATA_DIR: dataDir, BERTH_WEB_DIST: dist });
  let details: Row[];
  let tti: Awaited<ReturnType<typeof listTti>>;
  let sqlite: Awaited<ReturnType<typeof listLatency>>;
  try {
    const seeded = await seed(server, url);
    tti = await listTti(dist, url);
    sqlite = await listLatency(seeded.api, 'SQLite');
    details = [
      ...sizes.rows,
      ['services seeded in the store', String(count), `${seeded.ms} ms (no containers)`],
      ...tti.rows,
      ...sqlite.rows,
    ];
  } finally {
    await server.close();
  }
  const postgres = await postgresLatency();
  if (postgres) details.push(...postgres.rows);
  printTable(details);
  console.log('web: issue 12 targets, now / target / before');
  printTable([
    [
      'list interactive, cold (median)',
      `${tti.cold.toFixed(0)} ms`,
      `target <= ${target.ttiMs} ms (${verdict(tti.cold, target.ttiMs)}); before ${baseline.ttiMs} ms`,
    ],
    [
      'entry + its imports (gzip)',
      kb(sizes.entryBytes),
      `target <= ${target.entryKiB} KiB (${verdict(kib(sizes.entryBytes), target.entryKiB)}); before ${baseline.entryKiB} KiB; the list page loads ${kb(tti.loadedBytes)} in all`,
    ],
    [
      'SQLite list p99, first page',
      `${sqlite.p99.toFixed(1)} ms`,
      `target <= ${target.listP99Ms} ms (${verdict(sqlite.p99, target.listP99Ms)}); before ${baseline.sqliteP99Ms} ms`,
    ],
    postgres
      ? [
          'PostgreSQL list p99, first page',
          `${postgres.p99.toFixed(1)} ms`,
          `target <= ${target.listP99Ms} ms (${verdict(postgres.p99, target.listP99Ms)})`,
        ]
      : ['PostgreSQL list p99, first page', 'skipped', 'BERTH_TEST_PG_URL is not set'],
  ]);
  console.log(`web: load average at the end ${load()}`);
} finally {
  rmSync(dist, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}
