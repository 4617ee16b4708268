import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { apiRoutes } from '../packages/web/src/api/paths.ts';
import {
  adminPassword,
  eventually,
  makeProject,
  startPlatform,
  testImage,
  waitTask,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { openBrowser, unexpectedProblems, type TestBrowser } from './helpers/browser.ts';

/** busybox httpd: says hello on stdout (for the logs tab), then serves $VERSION. */
const script =
  'echo "serving $VERSION" && mkdir -p /tmp/www && echo "$VERSION" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www';
const servicesPath = '/api/v1/projects/shop/envs/test/services';

/** Waits until the task drawer's newest card is finished and returns its state. */
async function newestTaskState(page: Page): Promise<string> {
  const card = page.getByTestId('task-card').first();
  await card.waitFor();
  await eventually(
    async () => ['succeeded', 'failed'].includes((await card.getAttribute('data-task-state')) ?? ''),
    'the task in the drawer to finish',
    120_000,
    250,
  );
  return (await card.getAttribute('data-task-state')) ?? '';
}

async function closeDrawer(page: Page): Promise<void> {
  await page.locator('.ant-drawer-close').click();
  await page
    .locator('.ant-drawer-open')
    .waitFor({ state: 'detached' })
    .catch(() => undefined);
  await page.locator('.ant-drawer-content-wrapper').waitFor({ state: 'hidden' });
}

describe('portal (browser, real Podman)', { timeout: 600_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    platform = await startPlatform();
    await makeProject(platform.api, 'shop');
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(30_000);
  });

  after(async () => {
    await browser?.close();
    await platform?.close();
  });

  it('calls only API paths that the OpenAPI document lists', async () => {
    const doc = await platform.api.get<{ paths: Record<string, Record<string, unknown>> }>(
      '/api/openapi.json',
    );
    for (const route of Object.values(apiRoutes)) {
      const [method, template] = route.split(' ') as [string, string];
      assert.ok(doc.body.paths[template]?.[method.toLowerCase()], `${route} is not in /api/openapi.json`);
    }
  });

  it('shows the login page in Chinese and English, and logs in', async () => {
    await page.goto(`${platform.url}/`);
    await page.waitForURL(/\/login/);
    await page.getByText('中文', { exact: true }).click();
    await page.getByText('登录 Berth').waitFor();
    assert.ok(await page.getByText('用户名').isVisible());
    assert.ok(await page.getByText('密码', { exact: true }).isVisible());
    await browser.screenshot('login-zh', 1366, 768);
    await page.getByText('EN', { exact: true }).click();
    await page.getByText('Log in to Berth').waitFor();
    await page.fill('#login-username', 'admin');
    await page.fill('#login-password', adminPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/p\/shop\/test$/);
    await page.getByTestId('services-empty').waitFor();
    assert.match(await page.getByTestId('services-empty').innerText(), /Create the first one/);
  });

  it('creates a service in the form, shows API field errors at the field, and follows the rollout', async () => {
    await page.getByTestId('create-service').click();
    await page.fill('#svc-name', 'web');
    await page.fill('#svc-image', 'Not An Image');
    await page.getByTestId('create-submit').click();
    await page.getByTestId('create-error').waitFor();
    const imageItem = page.locator('.ant-form-item').filter({ has: page.locator('#svc-image') });
    await imageItem.locator('.ant-form-item-explain-error').waitFor();
    assert.match(await imageItem.innerText(), /image reference/);

    await page.fill('#svc-image', testImage);
    await page.fill('#svc-port', '8080');
    await page.fill('#svc-command', `sh\n-c\n${script}`);
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByPlaceholder('Name', { exact: true }).fill('VERSION');
    await page.getByPlaceholder('Value', { exact: true }).fill('v1');
    await page.locator('#svc-readiness').click();
    await page.locator('.ant-select-item-option').filter({ hasText: 'HTTP' }).click();
    await page.fill('#svc-readiness-path', '/index.html');
    await page.getByTestId('create-submit').click();

    await page.waitForURL(/\/p\/shop\/test\/s\/web\/overview$/);
    assert.equal(await newestTaskState(page), 'succeeded');
    assert.notEqual(await page.getByTestId('task-log').first().innerText(), 'No log lines yet.');
    await closeDrawer(page);
    await page.locator('[data-status="healthy"]').first().waitFor();
    assert.equal(await page.getByTestId('service-replicas').innerText(), 'Replicas 1/1');
  });

  it('lists the service, and keeps the task after navigating away and back', async () => {
    await page.getByRole('link', { name: 'All services' }).click();
    await page.getByTestId('service-link-web').waitFor();
    const row = page.locator('tr').filter({ has: page.getByTestId('service-link-web') });
    assert.match(await row.innerText(), /Healthy[\s\S]*1\/1[\s\S]*berth-busybox:1[\s\S]*#1[\s\S]*by admin/);
    await page.goto(`${platform.url}/p/shop/test/s/web/overview`); // a reload: the SPA fallback
    await page.getByTestId('open-tasks').click();
    assert.equal(await newestTaskState(page), 'succeeded');
    await closeDrawer(page);
  });

  it('scales to 3 and shows the containers', async () => {
    await page.getByRole('tab', { name: 'Scale' }).click();
    await page.fill('#scale-input', '3');
    await page.getByTestId('scale-apply').click();
    assert.equal(await newestTaskState(page), 'succeeded');
    await closeDrawer(page);
    await eventually(
      async () => (await page.getByTestId('service-replicas').innerText()) === 'Replicas 3/3',
      'three ready replicas in the header',
    );
    await page.getByRole('tab', { name: 'Containers' }).click();
    await eventually(
      async () => (await page.locator('[data-state="ready"]').count()) === 3,
      'three ready rows',
    );
    await browser.screenshot('containers-en', 1366, 768);
  });

  it('opens a web shell that runs as nobody', async () => {
    await page.locator('[data-testid^="shell-"]').first().click();
    const shell = page.getByTestId('shell');
    await page.locator('[data-testid="shell"][data-phase="open"]').waitFor();
    assert.match(await page.locator('.xterm-rows').innerText(), /Runs as/);
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('id -u\n');
    await eventually(async () => /65534/.test(await page.locator('.xterm-rows').innerText()), 'id -u output');
    await page.keyboard.type('exit\n');
    await page.getByTestId('shell-ended').waitFor();
    assert.match(await page.getByTestId('shell-ended').innerText(), /Session ended \(exit 0\)/);
    assert.equal(await shell.getAttribute('data-phase'), 'ended');
    await page.locator('.ant-modal-close').click();
  });

  it('follows the logs of a container with highlight and a download link', async () => {
    await page.getByRole('button', { name: 'Logs' }).first().click();
    await page.waitForURL(/\/logs\?container=/);
    await eventually(
      async () => /serving v1/.test(await page.getByTestId('log-view').innerText()),
      'log line',
    );
    await page.getByPlaceholder('Highlight text').fill('serving');
    assert.equal(await page.locator('[data-testid="log-view"] mark').first().innerText(), 'serving');
    const href = await page.getByTestId('logs-download').getAttribute('href');
    assert.match(href ?? '', /\/logs\?download=true$/);
    const download = await page.evaluate(async (url) => (await fetch(url)).text(), href ?? '');
    assert.match(download, /serving v1/);
  });

  it('rolls back to release 1 from the overview', async () => {
    const current = await platform.api.get<{ spec: Record<string, unknown> }>(`${servicesPath}/web`);
    const spec = { ...current.body.spec, env: [{ name: 'VERSION', value: 'v2' }] };
    const put = await platform.api.put<{ task: { id: string } }>(`${servicesPath}/web`, { spec });
    assert.equal(put.status, 202, JSON.stringify(put.body));
    assert.equal((await waitTask(platform.api, put.body.task.id)).state, 'succeeded');

    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByTestId('rollback-1').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Confirm' }).click();
    assert.equal(await newestTaskState(page), 'succeeded');
    await closeDrawer(page);
    const after = await platform.api.get<{ release: number }>(`${servicesPath}/web`);
    assert.equal(after.body.release, 1);
    await browser.screenshot('overview-en', 1920, 1080);
  });

  it('shows the actions on the audit page, filterable by action', async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.getByRole('link', { name: 'Audit' }).click();
    const table = page.getByTestId('audit-table');
    await table.getByText('services.rollback').first().waitFor();
    const text = await table.innerText();
    for (const action of ['services.create', 'services.scale', 'services.rollback', 'containers.shell'])
      assert.ok(text.includes(action), `audit shows ${action}`);
    await page.getByPlaceholder('Action, e.g. services.').fill('services.scale');
    await page.getByPlaceholder('Action, e.g. services.').press('Enter');
    await eventually(async () => {
      const filtered = await table.innerText();
      return filtered.includes('services.scale') && !filtered.includes('services.create');
    }, 'the action filter');
    await browser.screenshot('audit-en', 1366, 768);
  });

  it('shows the service list in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.getByRole('link', { name: '服务', exact: true }).click();
    await page.getByText('服务管理').waitFor();
    const body = await page.locator('.app-content').innerText();
    for (const word of [
      '服务',
      '副本（就绪/期望）',
      '镜像',
      '版本',
      '健康',
      '创建服务',
      '团队',
      '项目',
      '测试环境',
    ])
      assert.ok(body.includes(word), `the list says ${word}`);
    await browser.screenshot('services-zh', 1366, 768);
    await browser.screenshot('services-zh', 1920, 1080);
    await page.getByTestId('service-link-web').click();
    await page.getByRole('tab', { name: '扩容 / 缩容' }).waitFor();
    await browser.screenshot('overview-zh', 1366, 768);
  });

  it('sends the user to the login page when the session expires', async () => {
    await browser.context.clearCookies();
    await page.getByRole('tab', { name: '历史容器' }).click();
    await page.waitForURL(/\/login\?expired=1/);
    await page.getByText('会话已过期，请重新登录。').waitFor();
  });

  it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      { urlEnds: servicesPath, status: 400 },
      { urlEnds: '/containers/history', status: 401 },
    ]);
    assert.deepEqual(problems, []);
    console.log(`screenshots: ${browser.shotsDir}`);
  });
});
