/**
 * Project quotas in the portal: a platform admin sets a quota (a bad default refused at its
 * field), the usage bars move after a service is created, and a scale beyond the quota is
 * refused at the replicas field of the service form. In a real browser against a real Berth.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { quotaApiRoutes } from '../packages/web/src/features/quotas/quotas-api.ts';
import {
  adminPassword,
  waitTask,
  webSpec,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { fieldErrors, logIn, portalSession } from './helpers/session.ts';

const servicesPath = '/api/v1/projects/shop/envs/test/services';

async function fillNumber(page: Page, selector: string, value: string): Promise<void> {
  await page.locator(selector).fill('');
  await page.locator(selector).fill(value);
}

void describe('project quotas in the portal (browser)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;

  portalSession({ server: { BERTH_GATEWAY_LISTEN: 'off' }, projects: ['shop'] }, (s) => {
    ({ platform, browser, page } = s);
  });

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(quotaApiRoutes));
  });

  void it('sets a quota from the admin projects tab; a default above the limit is refused at its field', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/admin/projects`);
    await page.getByTestId('open-quota-shop').click();
    await page.waitForURL(/\/p\/shop\/quota$/);
    assert.match(await page.getByTestId('quota-replicas-text').innerText(), /0 used, no limit/);

    await page.getByTestId('quota-edit').click();
    await fillNumber(page, '#quota-cpu', '1');
    await fillNumber(page, '#quota-memory', '1024');
    await fillNumber(page, '#quota-replicas', '3');
    await fillNumber(page, '#quota-default-cpu', '2');
    await fillNumber(page, '#quota-default-memory', '64');
    await page.getByTestId('quota-save').click();
    assert.match(await fieldErrors(page, '#quota-default-cpu'), /must not be more than the CPU limit/);
    const unchanged = await platform.api.get<{ limits: { cpu: number | null } }>(
      '/api/v1/projects/shop/quota',
    );
    assert.equal(unchanged.body.limits.cpu, null, 'nothing was saved');

    await fillNumber(page, '#quota-default-cpu', '0.25');
    await page.getByTestId('quota-save').click();
    await page.getByTestId('quota-form-card').waitFor({ state: 'detached' });
    assert.match(await page.getByTestId('quota-replicas-text').innerText(), /0 of 3 used, 3 left/);
    assert.match(
      await page.getByTestId('quota-cpu-text').innerText(),
      /0 cores of 1 cores used, 1 cores left/,
    );
  });

  void it('moves the bars after a service is created', async () => {
    const r = await platform.api.post<{ task: { id: string } }>(servicesPath, {
      name: 'web',
      spec: webSpec('v1', 2),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await waitTask(platform.api, r.body.task.id);
    await page.reload();
    const replicas = page.getByTestId('quota-replicas-text');
    await replicas.waitFor();
    assert.match(await replicas.innerText(), /2 of 3 used, 1 left/);
    assert.match(await page.getByTestId('quota-cpu-text').innerText(), /0\.5 cores of 1 cores used/);
    assert.match(await page.getByTestId('quota-memoryMiB-text').innerText(), /128 MiB of 1024 MiB used/);
    const bar = page.getByTestId('quota-replicas').locator('[data-percent]');
    assert.equal(await bar.getAttribute('data-percent'), '66.7');
    await browser.screenshot('quota-en', 1366, 768);
  });

  void it('refuses a scale beyond the quota at the replicas field of the service form', async () => {
    await page.goto(`${platform.url}/p/shop/test/s/web/settings`);
    await page.locator('#svc-capabilities').waitFor();
    await page.locator('#svc-readonly').waitFor();
    await fillNumber(page, '#svc-replicas', '5');
    await page.getByTestId('form-submit').click();
    await page.getByTestId('spec-diff').waitFor();
    await page.getByTestId('diff-confirm').click();
    assert.match(
      await fieldErrors(page, '#svc-replicas'),
      /Project 'shop' has 3 of 3 replicas left; this change needs 5/,
    );
    const svc = await platform.api.get<{ replicas: number }>(`${servicesPath}/web`);
    assert.equal(svc.body.replicas, 2, 'nothing changed');
  });

  void it('shows the quota page in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.goto(`${platform.url}/p/shop/quota`);
    await page.getByTestId('quota-replicas-text').waitFor();
    const body = await page.locator('.app-content').innerText();
    for (const word of ['项目 shop 的配额', '副本', '每个容器的默认值']) assert.ok(body.includes(word), word);
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      { urlEnds: '/api/v1/projects/shop/quota', status: 400 },
      { urlEnds: `${servicesPath}/web`, status: 422 },
    ]);
    assert.deepEqual(problems, []);
  });
});
