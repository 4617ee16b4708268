/**
 * Config files in the portal: create a config from the environment's menu, edit a file (a new
 * version, the mounting service rolls), see the version's diff, roll back to version 1, see the
 * usage, a refused delete naming the service; the page in Chinese. In a real browser against a
 * real Berth.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { configApiRoutes } from '../packages/web/src/features/configs/configs-api.ts';
import { adminPassword, waitTask, type TestPlatform } from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { logIn, portalSession } from './helpers/session.ts';

const configsPath = '/api/v1/projects/shop/configs';

void describe('config files in the portal (browser)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;

  portalSession({ server: { BERTH_GATEWAY_LISTEN: 'off' }, projects: ['shop'] }, (s) => {
    ({ platform, browser, page } = s);
  });
  // the config volumes of this platform, once it removed its containers
  after(async () => {
    for (const v of await platform.engine
      .listVolumes({ 'berth.instance': platform.instanceId })
      .catch(() => []))
      await platform.engine.removeVolume(v.name).catch(() => undefined);
  });

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(configApiRoutes));
  });

  void it('creates a config from the menu, edits it (the mounting service rolls), shows the diff, rolls back', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/p/shop/test`);
    // the env's resources (certificates, configs, volumes, cron jobs) share one header submenu
    await page.getByTestId('nav-resources').hover();
    await page.getByTestId('nav-configs').click();
    await page.waitForURL(/\/p\/shop\/test\/configs$/);
    await page.getByTestId('add-config').click();
    await page.locator('#config-name').fill('app');
    await page.locator('#config-file').fill('app.conf');
    await page.locator('#config-content').fill('port = 80\nmode = a\n');
    await page.getByTestId('config-form-ok').click();
    await page.waitForURL(/\/p\/shop\/test\/configs\/app$/);
    assert.equal(await page.getByTestId('config-version').innerText(), 'v1');

    const svc = await platform.api.post<{ task: { id: string } }>(
      '/api/v1/projects/shop/envs/test/services',
      {
        name: 'sleeper',
        spec: {
          image: 'localhost/berth-busybox:1',
          command: ['sleep', '3600'],
          mounts: [{ config: 'app', path: '/etc/app' }],
          replicas: 1,
        },
      },
    );
    assert.equal(svc.status, 202, JSON.stringify(svc.body));
    await waitTask(platform.api, svc.body.task.id);

    await page.getByTestId('config-file-app.conf').fill('port = 80\nmode = b\n');
    await page.locator('#config-reason').fill('mode b');
    await page.getByTestId('config-save').click();
    const refreshed = page.getByTestId('config-refreshed');
    await refreshed.waitFor();
    assert.match(await refreshed.innerText(), /test\/sleeper: rolling to release 2/);
    await page.getByTestId('config-version').filter({ hasText: 'v2' }).waitFor();
    const v2 = await platform.api.get<{ createdBy: string; reason: string }>(`${configsPath}/app/versions/2`);
    assert.equal(v2.body.reason, 'mode b');

    await page.getByTestId('config-tab-versions').click();
    await page.getByTestId('config-diff-2').click();
    const diff = page.getByTestId('diff-app.conf');
    await diff.waitFor();
    const text = await diff.innerText();
    assert.match(text, /- mode = a/);
    assert.match(text, /\+ mode = b/);
    await browser.screenshot('configs-versions-en', 1366, 768);

    await page.getByTestId('config-rollback-1').click();
    await page.getByTestId('config-rollback-ok').click();
    await page.getByTestId('config-version').filter({ hasText: 'v3' }).waitFor();
    const current = await platform.api.get<{ version: number; content: Record<string, string> }>(
      `${configsPath}/app`,
    );
    assert.equal(current.body.version, 3);
    assert.equal(current.body.content['app.conf'], 'port = 80\nmode = a\n');

    await page.getByTestId('config-tab-usage').click();
    const usage = page.getByTestId('config-usage');
    await usage.getByText('/etc/app').first().waitFor();
    assert.match(await usage.innerText(), /sleeper/);

    await page.getByTestId('config-delete').click();
    await page.getByTestId('config-delete-ok').click();
    const refused = page.getByTestId('config-delete-error');
    await refused.waitFor();
    assert.match(await refused.innerText(), /mounted by test\/sleeper/);
    assert.equal((await platform.api.get(`${configsPath}/app`)).status, 200, 'not deleted');
  });

  void it('shows the configs pages in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.goto(`${platform.url}/p/shop/test/configs`);
    await page.getByTestId('config-app').waitFor();
    const body = await page.locator('.app-content').innerText();
    for (const word of ['配置文件', '创建配置', '项目 shop 的命名文本文件集合'])
      assert.ok(body.includes(word), word);
    await page.getByTestId('config-app').click();
    await page.getByTestId('config-tab-versions').click();
    await page.getByTestId('config-diff-1').waitFor();
    const detail = await page.locator('.app-content').innerText();
    for (const word of ['版本', '回滚到此版本', '使用情况']) assert.ok(detail.includes(word), word);
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      { urlEnds: `${configsPath}/app`, status: 409 },
    ]);
    assert.deepEqual(problems, []);
  });
});
