/**
 * The service list at 10,000 services (issue 12): the list starts its query at boot beside the
 * session check (no waterfall), renders only a window of rows however far one scrolls, loads
 * the rest page by page as one scrolls, and the name filter finds a service near the end.
 * The services are seeded straight into the store with the controllers off (no containers).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Page, Request } from 'playwright-core';
import { PodmanEngine } from '@berth/engine-podman';
import { loadConfig } from '../packages/server/src/config/config.ts';
import { buildServer, type BerthServer } from '../packages/server/src/server.ts';
import { adminPassword, eventually, makeProject, TestApi } from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { seedServices } from './helpers/seed-services.ts';
import { logIn, portalSession } from './helpers/session.ts';

const count = 10_000;
const last = `svc-${String(count - 1).padStart(5, '0')}`;

interface ScalePlatform {
  server: BerthServer;
  url: string;
  api: TestApi;
  close(): Promise<void>;
}

/** A Berth without controllers: the seeded services must not get containers. */
async function startScalePlatform(): Promise<ScalePlatform> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'berth-scale-'));
  const config = loadConfig({
    BERTH_DATA_DIR: dataDir,
    BERTH_LISTEN: '127.0.0.1:0',
    BERTH_ADMIN_PASSWORD: adminPassword,
    BERTH_LOG_LEVEL: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent',
    BERTH_PODMAN_SOCKET: process.env.BERTH_TEST_PODMAN_SOCKET ?? '/tmp/berth-test/podman.sock',
    BERTH_REGISTRY_LISTEN: 'off',
    ...(process.env.BERTH_TEST_WEB_DIST ? { BERTH_WEB_DIST: process.env.BERTH_TEST_WEB_DIST } : {}),
  });
  const server = await buildServer(config, {
    engine: new PodmanEngine({ socketPath: config.podmanSocket }),
    controllers: false,
  });
  try {
    const url = await server.start();
    const api = await TestApi.login(url, 'admin', adminPassword);
    return {
      server,
      url,
      api,
      async close() {
        await server.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await server.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

const table = (page: Page) => page.getByTestId('services-table');
const renderedRows = (page: Page) => table(page).locator('tbody tr.vtable-row');

/** The list requests the page made while `fn` ran. */
async function listRequests(page: Page, fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const on = (r: Request) => {
    if (/\/api\/v1\/projects\/fleet\/envs\/test\/services\?/.test(r.url())) seen.push(r.url());
  };
  page.on('request', on);
  try {
    await fn();
  } finally {
    page.off('request', on);
  }
  return seen;
}

describe(`service list with ${count} services`, { timeout: 300_000 }, () => {
  let platform: ScalePlatform;
  let browser: TestBrowser;
  let page: Page;

  portalSession<ScalePlatform>(
    {
      start: startScalePlatform,
      seed: async (p) => {
        await makeProject(p.api, 'fleet');
        await seedServices(p.server.ctx.db, 'fleet', 'test', count);
      },
    },
    (s) => ({ platform, browser, page } = s),
  );

  it('asks for the list at boot beside the session check, and renders a window of rows', async () => {
    await logIn(page, platform.url, 'admin', adminPassword, { landed: /\/p\/fleet\/test$/ });
    // A cold load of the list page: the list's request must not wait for /me to answer.
    const order: string[] = [];
    const onRequest = (r: Request) => {
      if (r.url().includes('/api/v1/me')) order.push('me sent');
      if (r.url().includes('/envs/test/services?')) order.push('list sent');
    };
    const onResponse = (r: { url(): string }) => {
      if (r.url().includes('/api/v1/me')) order.push('me answered');
    };
    page.on('request', onRequest);
    page.on('response', onResponse);
    await page.goto(`${platform.url}/p/fleet/test`);
    await page.getByTestId('service-link-svc-00000').waitFor();
    page.off('request', onRequest);
    page.off('response', onResponse);
    assert.ok(order.includes('list sent'), `the list was asked for: ${order.join(', ')}`);
    assert.ok(
      order.indexOf('list sent') < order.indexOf('me answered'),
      `the list is asked for before /me answers: ${order.join(', ')}`,
    );

    const rows = await renderedRows(page).count();
    assert.ok(rows >= 10 && rows <= 60, `a window of rows is in the DOM, not the page: ${rows}`);
    assert.match(await page.getByTestId('services-count').innerText(), /^50 shown, more below$/);
    const first = renderedRows(page).first();
    assert.match(
      await first.innerText(),
      /svc-00000[\s\S]*Healthy[\s\S]*1\/2[\s\S]*berth-busybox:1[\s\S]*#1/,
    );
    assert.equal(await first.getAttribute('aria-rowindex'), '2');
  });

  it('scrolls to the 10,000th service: pages load as it scrolls, the DOM keeps a window', async () => {
    const requests = await listRequests(page, async () => {
      await eventually(
        async () => {
          await table(page).evaluate((el) => {
            el.scrollTop = el.scrollHeight;
          });
          return (await page.getByTestId(`service-link-${last}`).count()) > 0;
        },
        `${last} rendered after scrolling to the end`,
        120_000,
      );
    });
    // 50 first, then pages of 500: 20 more requests reach the end (a few refreshes may add some).
    assert.ok(requests.length >= 20 && requests.length <= 30, `${requests.length} list requests`);
    assert.ok(
      requests.every((u) => new URL(u).searchParams.get('limit') === '500'),
      'every later page is a page of 500',
    );
    await page.getByTestId(`service-link-${last}`).waitFor();
    assert.equal(await page.getByTestId('service-link-svc-00000').count(), 0, 'the first row left the DOM');
    const rows = await renderedRows(page).count();
    assert.ok(rows <= 60, `still a window of rows at the end: ${rows}`);
    await eventually(
      async () =>
        (await page.getByTestId('services-count').innerText()) ===
        `All ${count.toLocaleString('en-US')} shown`,
      'the count says every service is shown',
    );
    const lastRow = renderedRows(page).filter({ has: page.getByTestId(`service-link-${last}`) });
    assert.equal(await lastRow.getAttribute('aria-rowindex'), String(count + 1));

    // Back to the middle: the rows there render again, from what is loaded (no new request).
    const again = await listRequests(page, async () => {
      await table(page).evaluate((el) => {
        el.scrollTop = el.scrollHeight / 2;
      });
      await page.getByTestId('service-link-svc-05000').waitFor();
    });
    assert.deepEqual(again, []);
    assert.equal(await page.getByTestId(`service-link-${last}`).count(), 0);
  });

  it('finds a service near the end by name, and by name and status', async () => {
    const filter = page.locator('input[aria-label="Filter by name"]');
    await filter.fill('svc-09995');
    await filter.press('Enter');
    await page.getByTestId('service-link-svc-09995').waitFor();
    await eventually(async () => (await renderedRows(page).count()) === 1, 'one row for the filter');
    assert.equal(await page.getByTestId('services-count').innerText(), 'All 1 shown');

    await filter.fill('svc-099');
    await filter.press('Enter');
    await page.locator('.ant-select').filter({ hasText: 'Status' }).click();
    await page.locator('.ant-select-item-option').filter({ hasText: 'Degraded' }).click();
    // svc-099xx with n % 6 === 4: 09904, 09910, … 09994 (16 services).
    await eventually(
      async () => (await page.getByTestId('services-count').innerText()) === 'All 16 shown',
      'the degraded ones among svc-099xx',
    );
    const statuses = await renderedRows(page)
      .locator('[data-status]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    assert.equal(statuses.length, 16);
    assert.ok(
      statuses.every((s) => s === 'degraded'),
      statuses.join(', '),
    );
    assert.equal(await page.getByTestId('service-link-svc-09994').count(), 1);
    assert.deepEqual(
      unexpectedProblems(browser.problems, [{ urlEnds: '/api/v1/me', status: 401 }]),
      [],
      'no console errors',
    );
  });
});
