/**
 * Domains and allowed networks in the portal (platform admin), and a refused route host shown
 * at its field, in a real browser against a real Berth.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { tenancyApiRoutes } from '../packages/web/src/features/tenancy/tenancy-api.ts';
import { adminPassword, type TestPlatform } from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { fieldError, logIn, portalSession } from './helpers/session.ts';

const routesApi = '/api/v1/projects/shop/envs/test/routes';

async function pickOwner(page: Page, kind: 'Team' | 'Project', name: string): Promise<void> {
  await page.getByRole('radio', { name: kind }).check();
  await page.locator('#owner-name').click();
  await page
    .locator('.ant-select-item-option')
    .filter({ hasText: new RegExp(`^${name}$`) })
    .click();
}

void describe('domains and allowed networks in the portal (browser)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;

  portalSession({ server: { BERTH_GATEWAY_LISTEN: 'off' }, projects: ['shop', 'rival'] }, (s) => {
    ({ platform, browser, page } = s);
  });

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(tenancyApiRoutes));
  });

  void it('assigns a zone: a zone under the automatic domain is refused at the field', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/admin/domains`);
    await page.getByTestId('domains-table').waitFor();

    await page.getByTestId('add-domain').click();
    await page.fill('#domain-zone', 'shop.test.localhost');
    await pickOwner(page, 'Project', 'shop');
    await page.getByTestId('domain-form-ok').click();
    assert.match(await fieldError(page, '#domain-zone'), /must not be 'localhost' or lie under it/);
    assert.equal((await platform.api.get<{ items: unknown[] }>('/api/v1/domains')).body.items.length, 0);

    await page.fill('#domain-zone', 'Shop.Example.Test');
    await page.getByTestId('domain-form-ok').click();
    await page.getByTestId('domain-form').waitFor({ state: 'detached' });
    const row = page.getByTestId('domains-table').locator('tr').filter({ hasText: 'shop.example.test' });
    await row.waitFor();
    assert.match(await row.innerText(), /Project: shop/);
    await browser.screenshot('admin-domains-en', 1366, 768);
  });

  void it('allows a network: loopback is refused at the field; removal asks first', async () => {
    await page.getByRole('tab', { name: 'Allowed networks' }).click();
    await page.waitForURL(/\/admin\/networks$/);
    await page.getByTestId('add-network').click();
    await page.fill('#network-cidr', '127.0.0.0/8');
    await pickOwner(page, 'Team', 'team-shop');
    await page.getByTestId('network-form-ok').click();
    assert.match(await fieldError(page, '#network-cidr'), /loopback/);

    await page.fill('#network-cidr', '10.20.0.0/16');
    await page.getByTestId('network-form-ok').click();
    await page.getByTestId('network-form').waitFor({ state: 'detached' });
    const table = page.getByTestId('networks-table');
    await table.locator('tr').filter({ hasText: '10.20.0.0/16' }).waitFor();
    assert.match(await table.innerText(), /10\.20\.0\.0\/16[\s\S]*Team: team-shop/);

    await page.getByTestId('add-network').click();
    await page.fill('#network-cidr', '10.99.0.0/16');
    await pickOwner(page, 'Project', 'rival');
    await page.getByTestId('network-form-ok').click();
    await page.getByTestId('network-form').waitFor({ state: 'detached' });
    await table.locator('tr').filter({ hasText: '10.99.0.0/16' }).waitFor();
    await page.getByTestId('remove-network-10.99.0.0/16').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Confirm' }).click();
    await table.locator('tr').filter({ hasText: '10.99.0.0/16' }).waitFor({ state: 'detached' });
    const left = (await platform.api.get<{ items: Array<{ cidr: string }> }>('/api/v1/networks')).body.items;
    assert.deepEqual(
      left.map((n) => n.cidr),
      ['10.20.0.0/16'],
    );
    await browser.screenshot('admin-networks-en', 1366, 768);
  });

  void it('shows a refused route host and a refused backend at their fields', async () => {
    await page.goto(`${platform.url}/p/shop/test/routes/new`);
    await page.fill('#route-name', 'grab');
    await page.fill('#route-host', 'web.rival.test.localhost');
    await page.getByTestId('route-add-server').click();
    await page.getByLabel('Server address').fill('10.20.0.5:8080');
    await page.getByTestId('route-submit').click();
    assert.match(await fieldError(page, '#route-host'), /automatic name of service 'web' of another project/);

    await page.fill('#route-host', 'www.shop.example.test');
    await page.getByLabel('Server address').fill('169.254.169.254:80');
    await page.getByTestId('route-submit').click();
    const server = page.locator('.ant-form-item').filter({ has: page.getByLabel('Server address') });
    await server.locator('.ant-form-item-explain-error').waitFor();
    assert.match(await server.innerText(), /link-local/);
    assert.equal((await platform.api.get<{ items: unknown[] }>(routesApi)).body.items.length, 0);

    await page.getByLabel('Server address').fill('10.20.0.5:8080');
    await page.getByTestId('route-submit').click();
    await page.waitForURL(/\/p\/shop\/test\/routes\/grab$/);
  });

  void it('flags the route in the list once its zone is removed, and keeps it', async () => {
    await page.goto(`${platform.url}/admin/domains`);
    await page.getByTestId('remove-domain-shop.example.test').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Confirm' }).click();
    await page
      .getByTestId('domains-table')
      .locator('tr')
      .filter({ hasText: 'shop.example.test' })
      .waitFor({ state: 'detached' });
    await page.goto(`${platform.url}/p/shop/test/routes`);
    const flags = page.getByTestId('route-violations-grab');
    await flags.waitFor();
    assert.match(await flags.innerText(), /Host not owned[\s\S]*No domain zone/);
    await browser.screenshot('routes-flagged-en', 1366, 768);
  });

  void it('shows the tenancy pages in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.goto(`${platform.url}/admin/networks`);
    await page.getByTestId('networks-table').waitFor();
    const body = await page.locator('.app-content').innerText();
    for (const word of ['允许的网络', '所有者', '网络（CIDR）']) assert.ok(body.includes(word), word);
    await page.goto(`${platform.url}/admin/domains`);
    await page.getByText('分配域名区域').waitFor();
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      { urlEnds: '/api/v1/domains', status: 422 },
      { urlEnds: '/api/v1/networks', status: 422 },
      { urlEnds: routesApi, status: 403 },
    ]);
    assert.deepEqual(problems, []);
  });
});
