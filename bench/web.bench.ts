/**
 * `npm run bench:web`: builds the portal, prints the gzip size of the entry chunk and of the
 * largest route chunk, and the time to interactive of the service list with 10,000 services on
 * localhost (Chromium via playwright-core). TTI = navigation start → the first page of rows is
 * visible and the filter input takes a keystroke.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { PodmanEngine } from '@berth/engine-podman';
import { loadConfig } from '../packages/server/src/config/config';
import { buildServer } from '../packages/server/src/server';
import { chromiumPath } from '../e2e/helpers/browser';
import { seedServices } from '../e2e/helpers/seed-services';

const count = Number(process.env.BENCH_SERVICES ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS_WEB ?? 5);
const webDir = path.resolve(import.meta.dirname, '../packages/web');

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  css?: string[];
}

const gz = (dist: string, file: string) => gzipSync(readFileSync(path.join(dist, file))).length;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** Every file a chunk needs that the entry has not loaded already (JS and CSS). */
function closure(manifest: Record<string, ManifestChunk>, key: string, skip: Set<string>): Set<string> {
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

async function buildPortal(dist: string): Promise<Record<string, ManifestChunk>> {
  const t0 = Date.now();
  await promisify(execFile)('npx', ['vite', 'build', '--outDir', dist, '--emptyOutDir', '--manifest'], {
    cwd: webDir,
    maxBuffer: 16 * 1024 * 1024,
  });
  console.log(`web: built the portal in ${Date.now() - t0} ms`);
  return JSON.parse(readFileSync(path.join(dist, '.vite/manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
}

function bundleSizes(dist: string, manifest: Record<string, ManifestChunk>): Array<[string, string, string]> {
  const [entryKey, entry] = Object.entries(manifest).find(([, c]) => c.isEntry)!;
  const initial = closure(manifest, entryKey, new Set());
  const routes = Object.entries(manifest)
    .filter(([, c]) => c.isDynamicEntry && /Page\.tsx$/.test(c.src ?? ''))
    .map(([key, c]) => ({ c, own: gz(dist, c.file), total: [...closure(manifest, key, initial)] }))
    .map((r) => ({ ...r, totalBytes: r.total.reduce((sum, f) => sum + gz(dist, f), 0) }))
    .sort((a, b) => b.own - a.own);
  const largest = routes[0]!;
  const largestTotal = [...routes].sort((a, b) => b.totalBytes - a.totalBytes)[0]!;
  return [
    ['entry chunk (gzip)', kb(gz(dist, entry.file)), entry.file],
    [
      'entry + its imports and CSS (gzip)',
      kb([...initial].reduce((s, f) => s + gz(dist, f), 0)),
      `${initial.size} files`,
    ],
    ['largest route chunk (gzip)', kb(largest.own), largest.c.src ?? largest.c.file],
    [
      'largest route incl. shared chunks (gzip)',
      kb(largestTotal.totalBytes),
      `${largestTotal.c.src ?? ''} (${largestTotal.total.length} files)`,
    ],
  ];
}

async function listTti(dist: string): Promise<Array<[string, string, string]>> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-bench-web-'));
  const config = loadConfig({
    BERTH_DATA_DIR: dataDir,
    BERTH_LISTEN: '127.0.0.1:0',
    BERTH_ADMIN_PASSWORD: 'bench-password',
    BERTH_LOG_LEVEL: 'silent',
    BERTH_PODMAN_SOCKET: process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-test/podman.sock',
    BERTH_WEB_DIST: dist,
    BERTH_REGISTRY_LISTEN: 'off',
  });
  // No controllers: the seeded services have no containers and must not get any.
  const server = await buildServer(config, {
    engine: new PodmanEngine({ socketPath: config.podmanSocket }),
    controllers: false,
  });
  const url = await server.start();
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'en-US' });
    await page.goto(`${url}/login`);
    await page.fill('#login-username', 'admin');
    await page.fill('#login-password', 'bench-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    const csrf = await page.evaluate(async () => {
      const me = (await (await fetch('/api/v1/me')).json()) as { csrfToken: string };
      return me.csrfToken;
    });
    for (const [p, body] of [
      ['/api/v1/teams', { name: 'bench' }],
      ['/api/v1/projects', { name: 'bench', team: 'bench' }],
    ] as const) {
      const status = await page.evaluate(
        async ([p2, b, token]) =>
          (
            await fetch(p2, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
              body: JSON.stringify(b),
            })
          ).status,
        [p, body, csrf] as const,
      );
      if (status !== 201) throw new Error(`POST ${p}: ${status}`);
    }
    const seeded = await seedServices(server.ctx.db, 'bench', 'test', count);
    const cdp = await page.context().newCDPSession(page);
    interface Run {
      tti: number;
      /** Scripts parsed and run: DOMContentLoaded. */
      dcl: number;
      /** The list's first page answered. */
      list: number;
    }
    const measure = async (cold: boolean): Promise<Run> => {
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: cold });
      await page.goto('about:blank');
      await page.goto(`${url}/p/bench/test`);
      await page.locator('[data-testid^="service-link-"]').nth(49).waitFor();
      const filter = page.locator('input[aria-label="Filter by name"]');
      await filter.focus();
      await page.keyboard.type('9');
      await page.waitForFunction(
        `document.querySelector('input[aria-label="Filter by name"]')?.value === '9'`,
      );
      return page.evaluate<Run>(`(() => {
        const tti = performance.now();
        const nav = performance.getEntriesByType('navigation')[0];
        const list = performance.getEntriesByType('resource').find((r) => r.name.includes('/services?'));
        return { tti, dcl: nav ? nav.domContentLoadedEventEnd : 0, list: list ? list.responseEnd : 0 };
      })()`);
    };
    await measure(false); // warm-up: first compile of the page's code in this browser
    const cold: Run[] = [];
    const warm: Run[] = [];
    for (let i = 0; i < rounds; i += 1) cold.push(await measure(true));
    for (let i = 0; i < rounds; i += 1) warm.push(await measure(false));
    const api = await page.evaluate(async () => {
      const t = performance.now();
      await fetch('/api/v1/projects/bench/envs/test/services?limit=50');
      return performance.now() - t;
    });
    const row = (label: string, runs: Run[]): [string, string, string] => {
      const m = (k: keyof Run) => median(runs.map((r) => r[k])).toFixed(0);
      const all = runs.map((r) => r.tti.toFixed(0)).join(', ');
      return [
        label,
        `${m('tti')} ms`,
        `scripts run by ${m('dcl')} ms, list answered by ${m('list')} ms; runs ${all}`,
      ];
    };
    return [
      ['services seeded in the store', String(count), `${seeded} ms (no containers)`],
      row('list TTI, cold cache (median)', cold),
      row('list TTI, warm cache (median)', warm),
      ['list API, first page of 50', `${api.toFixed(1)} ms`, 'from the page, after the runs'],
    ];
  } finally {
    await browser.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function printTable(rows: Array<[string, string, string]>): void {
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`web: ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
}

const dist = mkdtempSync(path.join(tmpdir(), 'berth-web-dist-'));
try {
  const manifest = await buildPortal(dist);
  printTable([...bundleSizes(dist, manifest), ...(await listTti(dist))]);
} finally {
  rmSync(dist, { recursive: true, force: true });
}
