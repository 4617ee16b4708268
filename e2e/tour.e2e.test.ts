/**
 * The tour: every page of the portal that exists, in English and Chinese, at 1366×768 and
 * 1920×1080. On each page: no console errors, no horizontal overflow of the page, and in Chinese
 * no visible English UI words. Screenshots go to $BERTH_TEST_DIR/screenshots, at 1366×768 (both
 * sizes with BERTH_TEST_SCREENSHOTS=all).
 *
 * Pages come from the route table (app/AppRoutes.tsx), so pages other features add are toured
 * too: paths with only known parameters are visited directly, the others through the first link
 * to them found on an earlier page; the service tabs are read from the tab bar.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { adminPassword, eventually, type TestPlatform } from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { closeDrawer, portalSession, seedWebService } from './helpers/session.ts';

const sizes = [
  [1366, 768],
  [1920, 1080],
] as const;
const shotsDir = path.join(process.env.BERTH_TEST_DIR ?? '/tmp/berth-test', 'screenshots');
/** Screenshots at both sizes (BERTH_TEST_SCREENSHOTS=all); otherwise at 1366×768 only. */
const allShots = process.env.BERTH_TEST_SCREENSHOTS === 'all';
const known: Record<string, string> = { project: 'shop', env: 'test', service: 'web' };

/**
 * Latin words allowed on a Chinese page: product and protocol names, units, and the names of
 * the things the test created (the admin's display name, the local gateway and registry). Tokens with digits or . / : _ - @ in them are ids (container
 * names, images, audit actions) and are allowed anyway.
 */
const allowed = new Set(
  (
    'Berth Podman Kubernetes Nginx CPU HTTP HTTPS TCP UDP IP API URL DNS TLS SSL Webshell Debug Dockerfile codeflow ' +
    'Harbor OCI Git root uid gid exec SIGTERM SIGKILL MiB KiB GiB TiB B EN ID TTY SSE JSON YAML PromQL ' +
    'Prometheus promtool Alertmanager blackbox exporter Debian ' +
    'WebSocket CIDR upstream SSH Python Java Maven Go Node npm Shell sh NFS CephFS cron tar ' +
    'admin Administrator local main web shop test prod team busybox localhost nobody Ctrl Shift'
  )
    .toLowerCase()
    .split(' '),
);

/** The route table's paths under the signed-in layout, e.g. `p/:project/:env/new`. */
function routePaths(): string[] {
  const source = readFileSync(new URL('../packages/web/src/app/AppRoutes.tsx', import.meta.url), 'utf8');
  return [...source.matchAll(/<Route\s+path="([^"]+)"/g)]
    .map((m) => m[1]!.replace(/^\//, ''))
    .filter((p) => p !== 'login' && p !== '*');
}

function fill(route: string): string | null {
  let missing = false;
  const filled = route.replace(/:(\w+)/g, (_, name: string) => known[name] ?? ((missing = true), ''));
  return missing || route.includes('*') ? null : `/${filled}`;
}

function matcher(route: string): RegExp {
  const body = route
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/:\w+/g, '[^/?#]+')
    .replace(/\*/g, '.+');
  return new RegExp(`^/${body}/?$`);
}

/** Visible English words on the page that are neither allowed nor ids. */
/**
 * The text of every visible text node, outside code and the terminal. A string, not a function:
 * the tests are type-checked without the DOM library.
 */
const visibleTexts = `(() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !node.textContent.trim()) continue;
    if (el.closest('code, pre, kbd, textarea, .xterm, .log-view, .task-log, [translate="no"], title, style, script')) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    out.push(node.textContent);
  }
  return out;
})()`;

/** Visible English words on the page that are neither allowed nor ids. */
async function englishWords(page: Page): Promise<string[]> {
  const texts = await page.evaluate<string[]>(visibleTexts);
  const words = new Set<string>();
  for (const text of texts) {
    for (const token of text.split(/[\s（）()，。、：；,;"“”'‘’!?！？]+/)) {
      if (!/[A-Za-z]{2,}/.test(token) || /[\d./:_\-@=]/.test(token)) continue;
      for (const word of token.match(/[A-Za-z]+/g) ?? [])
        if (!allowed.has(word.toLowerCase())) words.add(word);
    }
  }
  return [...words];
}

const hrefs = `[...document.querySelectorAll('a[href^="/"]')].map((a) => a.getAttribute('href'))`;

async function settled(page: Page): Promise<void> {
  await page
    .locator('.ant-skeleton, .ant-spin-spinning')
    .first()
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => undefined);
  await page.waitForTimeout(200);
}

describe('portal tour (every page, two languages, two sizes)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  const findings: string[] = [];
  const shots: string[] = [];
  const checked = new Set<string>();

  before(() => mkdirSync(shotsDir, { recursive: true }));
  portalSession(
    {
      seed: async (platform) => {
        await seedWebService(platform.api, 'shop');
      },
      pageTimeoutMs: 15_000,
    },
    (s) => ({ platform, browser, page } = s),
  );

  /** Checks the page as it is now at both sizes, in `lang`, and saves the screenshots. */
  async function check(name: string, lang: string): Promise<void> {
    for (const [width, height] of sizes) {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(150);
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      if (overflow > 1)
        findings.push(`${lang} ${name} ${width}×${height}: the page scrolls sideways by ${overflow}px`);
      // A screenshot costs Chromium about 0.2 s of CPU: the second size only when asked for.
      if (width !== sizes[0][0] && !allShots) continue;
      const file = path.join(shotsDir, `tour-${lang}-${name}-${width}x${height}.png`);
      await page.screenshot({ path: file });
      shots.push(file);
    }
    if (lang === 'zh-CN') {
      const words = await englishWords(page);
      if (words.length) findings.push(`zh-CN ${name}: English words ${words.join(', ')}`);
    }
  }

  /** In-app navigation (as a click on a link does): no reload of the scripts for every page. */
  async function open(url: string): Promise<void> {
    await page.evaluate(
      `history.pushState(null, '', ${JSON.stringify(url)}); dispatchEvent(new PopStateEvent('popstate'))`,
    );
    await settled(page);
  }

  async function visit(url: string, name: string, lang: string, seen: Set<string>): Promise<void> {
    await open(url);
    // A route that redirects (…/s/web → …/s/web/overview) shows a page toured anyway.
    const landed = new URL(page.url()).pathname;
    if (checked.has(`${lang} ${landed}`)) return;
    checked.add(`${lang} ${landed}`);
    for (const href of await page.evaluate<string[]>(hrefs)) seen.add(href.split('?')[0]!);
    await check(name, lang);
  }

  for (const lang of ['en', 'zh-CN'] as const) {
    it(`tours every page in ${lang}`, async () => {
      await browser.context.clearCookies();
      await page.goto(`${platform.url}/login`);
      await page.evaluate(`localStorage.setItem('berth.lang', '${lang}')`);
      await page.reload();
      await page.locator('#login-username').waitFor();
      await check('login', lang);
      await page.fill('#login-username', 'admin');
      await page.fill('#login-password', adminPassword);
      await page.locator('button[type="submit"]').click();
      await page.waitForURL(/\/p\/shop\/test$/);

      const seen = new Set<string>();
      const visited = new Set<string>();
      const routes = routePaths();
      for (const route of routes) {
        const url = fill(route);
        if (!url || route.includes(':tab') || visited.has(url)) continue;
        visited.add(url);
        await visit(url, route.replace(/[/:*]+/g, '_'), lang, seen);
      }
      // The service tabs, as the tab bar lists them.
      await open('/p/shop/test/s/web/overview');
      await page.locator('.ant-tabs-tab[data-node-key]').first().waitFor();
      const tabs = await page.evaluate<string[]>(
        `[...document.querySelectorAll('.ant-tabs-tab[data-node-key]')].map((e) => e.getAttribute('data-node-key'))`,
      );
      assert.ok(tabs.length >= 9, `the service page has its tabs (${tabs.join(', ')})`);
      for (const tab of tabs) {
        const url = `/p/shop/test/s/web/${tab}`;
        visited.add(url);
        await visit(url, `service-${tab}`, lang, seen);
      }
      // Routes with parameters the test does not know: the first link to one found so far.
      for (const route of routes.filter((r) => fill(r) === null)) {
        const re = matcher(route);
        const href = [...seen].find((h) => re.test(h) && !visited.has(h));
        if (!href) continue;
        visited.add(href);
        await visit(href, route.replace(/[/:*]+/g, '_'), lang, seen);
      }
      await open('/p/shop/test/s/web/overview');
      await page.getByTestId('open-tasks').click();
      await page.locator('.ant-drawer-open').waitFor();
      await settled(page);
      await check('tasks-drawer', lang);
      await closeDrawer(page);
      console.log(`tour ${lang}: ${visited.size + 2} pages, ${[...visited].join(' ')}`);
    });
  }

  it('found no overflow, no untranslated words and no console errors', async () => {
    await eventually(async () => shots.length > 0, 'screenshots');
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      // The test platform runs no registry: the images page gets a 503 and says so.
      { urlEnds: '/repositories', status: 503 },
    ]);
    for (const p of problems) findings.push(`console: ${p.text} ${p.url}`);
    console.log(`tour screenshots: ${shots.length} in ${shotsDir}`);
    assert.deepEqual(findings, []);
  });
});
