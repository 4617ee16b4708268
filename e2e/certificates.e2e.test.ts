/**
 * A project's certificates in the portal: upload (a refused key shown at its field), renew from
 * files, pick one in the route form, deletion refused while a route uses it; in a real browser
 * against a real Berth.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { certificateApiRoutes } from '../packages/web/src/features/certificates/certificates-api.ts';
import { adminPassword, type TestPlatform } from '../packages/server/test/helpers/platform.ts';
import { makeCert, type TestCert } from '../packages/server/test/helpers/certificates.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { fieldError, logIn, portalSession } from './helpers/session.ts';

const certsApi = '/api/v1/projects/shop/certificates';
const routesApi = '/api/v1/projects/shop/envs/test/routes';
const host = 'www.shop.example.test';

void describe('project certificates in the portal (browser)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let site: TestCert;
  let renewed: TestCert;
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-e2e-certs-'));

  before(async () => {
    [site, renewed] = await Promise.all([
      makeCert(dir, 'site', [host]),
      makeCert(dir, 'renewed', [host, `api.shop.example.test`]),
    ]);
  });
  portalSession(
    {
      server: { BERTH_GATEWAY_LISTEN: 'off' },
      projects: ['shop'],
      seed: async (platform) => {
        const owner = { kind: 'project', name: 'shop' };
        assert.equal(
          (await platform.api.post('/api/v1/domains', { zone: 'shop.example.test', owner })).status,
          201,
        );
        assert.equal(
          (await platform.api.post('/api/v1/networks', { cidr: '10.20.0.0/16', owner })).status,
          201,
        );
      },
    },
    (s) => ({ platform, browser, page } = s),
  );
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(certificateApiRoutes));
  });

  void it('uploads a certificate: a key of another certificate is refused at its field', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/p/shop/test/certificates`);
    await page.getByTestId('certificates-table').waitFor();

    await page.getByTestId('add-certificate').click();
    await page.fill('#cert-name', 'site');
    await page.fill('#cert-certificate', site.certificate);
    await page.fill('#cert-key', renewed.key);
    await page.getByTestId('certificate-form-ok').click();
    assert.match(await fieldError(page, '#cert-key'), /does not match the certificate/);
    assert.equal((await platform.api.get<{ items: unknown[] }>(certsApi)).body.items.length, 0);

    await page.fill('#cert-key', site.key);
    await page.getByTestId('certificate-form-ok').click();
    await page.getByTestId('certificate-form').waitFor({ state: 'detached' });
    const row = page.getByTestId('certificates-table').locator('tr').filter({ hasText: 'site' });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(`${host.replace(/\./g, '\\.')}[\\s\\S]*1 days left`));
    assert.ok(!(await page.content()).includes('PRIVATE KEY'), 'the key is not on the page');
    await browser.screenshot('certificates-en', 1366, 768);
  });

  void it('picks the certificate in the route form', async () => {
    await page.goto(`${platform.url}/p/shop/test/routes/new`);
    await page.fill('#route-name', 'www');
    await page.fill('#route-host', host);
    await page.getByTestId('route-add-server').click();
    await page.getByLabel('Server address').fill('10.20.0.5:8080');
    await page.locator('#route-tls-cert').click();
    await page.locator('.ant-select-item-option').filter({ hasText: /^site/ }).click();
    await page.getByTestId('route-submit').click();
    await page.waitForURL(/\/p\/shop\/test\/routes\/www$/);
    const route = await platform.api.get<{ spec: { tls?: unknown } }>(`${routesApi}/www`);
    assert.deepEqual(route.body.spec.tls, { certificate: 'site' });
  });

  void it('renews from files; deleting is refused while the route uses it', async () => {
    await page.goto(`${platform.url}/p/shop/test/certificates`);
    const row = page.getByTestId('certificates-table').locator('tr').filter({ hasText: 'site' });
    await row.filter({ hasText: 'test/www' }).waitFor();
    await page.getByTestId('renew-certificate-site').click();
    await page.getByTestId('cert-certificate-file').setInputFiles(path.join(dir, 'renewed.crt'));
    await page.getByTestId('cert-key-file').setInputFiles(path.join(dir, 'renewed.key'));
    // the files are read asynchronously into the text areas
    for (let i = 0; i < 100 && !(await page.locator('#cert-key').inputValue()).includes('PRIVATE KEY'); i++)
      await page.waitForTimeout(50);
    assert.equal(await page.locator('#cert-certificate').inputValue(), renewed.certificate);
    await page.getByTestId('renew-form-ok').click();
    await page.getByTestId('renew-form').waitFor({ state: 'detached' });
    await row.filter({ hasText: 'api.shop.example.test' }).waitFor();
    const got = await platform.api.get<{ fingerprint: string }>(`${certsApi}/site`);
    assert.equal(got.body.fingerprint, renewed.fingerprint);

    await page.getByTestId('remove-certificate-site').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Confirm' }).click();
    await page
      .locator('.ant-message')
      .getByText(/used by route 'www'/)
      .waitFor();
    assert.equal((await platform.api.get(`${certsApi}/site`)).status, 200);
    // the toast closes by itself; the next click (the user menu, top right) must not land on it —
    // a toast under the pointer stays open while hovered (the CI run of 2026-12-06 hung there)
    const toasts = page.locator('.ant-message-notice');
    while ((await toasts.count()) > 0) await toasts.first().waitFor({ state: 'detached', timeout: 20_000 });
  });

  void it('shows the certificates page in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.goto(`${platform.url}/p/shop/test/certificates`);
    await page
      .getByTestId('certificates-table')
      .getByText(/剩余 \d+ 天/)
      .waitFor();
    const body = await page.locator('.app-content').innerText();
    // antd spaces out two-character button labels (续 期), so the check reads table texts
    for (const word of ['证书', '到期时间', '使用者', '剩余']) assert.ok(body.includes(word), word);
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      { urlEnds: certsApi, status: 400 },
      { urlEnds: `${certsApi}/site`, status: 409 },
    ]);
    assert.deepEqual(problems, []);
  });
});
