import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { apiRoutes } from '../packages/web/src/api/paths.ts';
import { serviceApiRoutes } from '../packages/web/src/features/services/service-api.ts';
import {
  adminPassword,
  eventually,
  makeProject,
  testImage,
  waitTask,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { closeDrawer, portalSession } from './helpers/session.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';

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

describe('portal (browser, real Podman)', { timeout: 600_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  // The server side of every WebSocket the portal opens, so a test can cut one as a crash would.
  const upgraded: Duplex[] = [];

  portalSession(
    {
      seed: async (platform) => {
        platform.server.app.server.on('upgrade', (_req, socket: Duplex) => upgraded.push(socket));
        await makeProject(platform.api, 'shop');
      },
    },
    (s) => ({ platform, browser, page } = s),
  );

  it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, [
      ...Object.values(apiRoutes),
      ...Object.values(serviceApiRoutes),
    ]);
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
    await page.getByTestId('form-submit').click();
    await page.getByTestId('form-error').waitFor();
    const imageItem = page.locator('.ant-form-item').filter({ has: page.locator('#svc-image') });
    await imageItem.locator('.ant-form-item-explain-error').waitFor();
    assert.match(await imageItem.innerText(), /image reference/);

    await page.fill('#svc-image', testImage);
    await page.fill('#svc-port-0', '8080');
    await page.fill('#svc-command', `sh\n-c\n${script}`);
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByPlaceholder('Name', { exact: true }).fill('VERSION');
    await page.getByPlaceholder('Value', { exact: true }).fill('v1');
    await page.locator('#svc-readiness').click();
    await page.locator('.ant-select-item-option').filter({ hasText: 'HTTP' }).click();
    await page.fill('#svc-readiness-path', '/index.html');
    await page.getByTestId('form-submit').click();

    await page.waitForURL(/\/p\/shop\/test\/s\/web\/overview$/);
    assert.equal(await newestTaskState(page), 'succeeded');
    // the log lines come on a stream of their own, which may be a moment behind the task's state
    await page.getByTestId('task-log').first().filter({ hasNotText: 'No log lines yet.' }).waitFor();
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

  it('shows CPU and memory sparklines per container, and charts on the metrics tab', async () => {
    await eventually(
      async () => {
        const points = await page.evaluate<number[]>(
          `[...document.querySelectorAll('[data-testid="container-usage"] svg.sparkline')].map((e) => Number(e.getAttribute('data-points')))`,
        );
        return points.length === 6 && points.every((n) => n >= 2);
      },
      'two samples of CPU and memory for each of the three containers',
      60_000,
      500,
    );
    assert.match(
      await page.getByTestId('container-usage').first().innerText(),
      /CPU [\d.]+%[\s\S]*Mem [\d.]+ (B|KiB|MiB)/,
    );
    await page.getByRole('tab', { name: 'Metrics' }).click();
    const cpu = page.getByTestId('chart-cpu');
    await cpu.locator('path.ts-line').first().waitFor({ state: 'attached' });
    assert.equal(await cpu.getAttribute('data-series'), '3', 'one CPU line per container');
    assert.match((await cpu.locator('path.ts-line').first().getAttribute('d')) ?? '', /^M[\d.,]+L/);
    await page.getByTestId('chart-memory').locator('path.ts-line').first().waitFor();
    // Network and disk are rates of byte counters: a flat zero line is a real answer here.
    for (const chart of ['chart-network', 'chart-disk'])
      assert.equal(await page.getByTestId(chart).getAttribute('data-series'), '2', `${chart} has two lines`);
    await browser.screenshot('metrics-en', 1366, 768);
    await page.getByRole('tab', { name: 'Containers' }).click();
  });

  it('opens a web shell that runs as nobody', async () => {
    await page.locator('[data-testid^="shell-"]').first().click();
    const shell = page.getByTestId('shell');
    await page.locator('[data-testid="shell"][data-phase="open"]').waitFor();
    assert.match(await page.locator('.xterm-rows').innerText(), /Connected to \S+ as .*nobody/);
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('id -u\n');
    await eventually(async () => /65534/.test(await page.locator('.xterm-rows').innerText()), 'id -u output');
    await page.keyboard.type('exit\n');
    await page.getByTestId('shell-ended').waitFor();
    assert.match(await page.getByTestId('shell-ended').innerText(), /Session ended \(exit 0\)/);
    assert.equal(await shell.getAttribute('data-phase'), 'ended');
    await page.locator('.ant-modal-close').click();
  });

  it('tells the user when the server drops the shell, reconnects, and offers root to an admin', async () => {
    const typeAndWait = async (command: string, output: RegExp, what: string) => {
      await page.locator('.xterm-helper-textarea').focus();
      await page.keyboard.type(`${command}\n`);
      await eventually(async () => output.test(await page.locator('.xterm-rows').innerText()), what);
    };
    await page.locator('[data-testid^="shell-"]').first().click();
    await page.locator('[data-testid="shell"][data-phase="open"]').waitFor();
    assert.match(await page.getByTestId('shell-user').innerText(), /nobody/);
    for (const socket of upgraded) socket.destroy();
    await page.getByTestId('shell-lost').waitFor();
    assert.match(await page.getByTestId('shell-lost').innerText(), /connection to the shell was lost/);
    await page.getByTestId('shell-reconnect').click();
    await page.locator('[data-testid="shell"][data-phase="open"]').waitFor();
    await typeAndWait('id -u', /^65534$/m, 'id -u after reconnecting');

    await page.getByTestId('shell-root').click();
    await page.locator('[data-testid="shell"][data-phase="open"]').waitFor();
    assert.match(await page.getByTestId('shell-user').innerText(), /root/);
    await typeAndWait('id -u', /^0$/m, 'id -u in the root shell');
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

  it('edits the service: previews the change, asks to reload after a conflicting change, deploys', async () => {
    type Svc = { release: number; spec: { rollout: { maxSurge: number }; env: Array<{ value: string }> } };
    const before = await platform.api.get<Svc>(`${servicesPath}/web`);
    await page.getByTestId('edit-service').click();
    await page.waitForURL(/\/s\/web\/settings$/);
    const value = page.getByPlaceholder('Value', { exact: true }).first();
    assert.equal(await value.inputValue(), 'v1');
    assert.equal(await page.inputValue('#svc-readiness-path'), '/index.html');
    const edit = async () => {
      await value.fill('v2');
      await page.fill('#svc-rollout-maxSurge', '2');
      await page.getByTestId('form-submit').click();
      await page.getByTestId('spec-diff').waitFor();
    };

    // Someone else changes the service after the form opened.
    const scale = await platform.api.post<{ task: { id: string } }>(`${servicesPath}/web/scale`, {
      replicas: 3,
    });
    assert.equal(scale.status, 202, JSON.stringify(scale.body));
    await waitTask(platform.api, scale.body.task.id);
    await edit();
    const diff = await page.getByTestId('spec-diff').innerText();
    assert.match(diff, /creates a new release/);
    assert.match(diff, /env\.VERSION\s+"v1"\s+"v2"/);
    assert.match(diff, /rollout\.maxSurge\s+1\s+2/);
    assert.doesNotMatch(diff, /replicas/);
    await browser.screenshot('edit-diff-en', 1366, 768);
    await page.getByTestId('diff-confirm').click();
    await page.getByTestId('edit-conflict').waitFor();
    await page.getByTestId('edit-reload').click();
    await page.getByTestId('edit-conflict').waitFor({ state: 'detached' });
    // The form refills in an effect after the alert went away: wait for it (bounded).
    for (let i = 0; i < 100 && (await value.inputValue()) !== 'v1'; i += 1) await page.waitForTimeout(50);
    assert.equal(await value.inputValue(), 'v1', 'the reload refills the form');

    await edit();
    await page.getByTestId('diff-confirm').click();
    assert.equal(await newestTaskState(page), 'succeeded');
    await closeDrawer(page);
    const after = await platform.api.get<Svc>(`${servicesPath}/web`);
    assert.equal(after.body.release, before.body.release + 1);
    assert.equal(after.body.spec.rollout.maxSurge, 2);
    assert.equal(after.body.spec.env[0]?.value, 'v2');
  });

  it('rolls back to release 1 from the overview', async () => {
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByTestId('rollback-1').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Confirm' }).click();
    assert.equal(await newestTaskState(page), 'succeeded');
    await closeDrawer(page);
    const after = await platform.api.get<{ release: number }>(`${servicesPath}/web`);
    assert.equal(after.body.release, 1);
    await browser.screenshot('overview-en', 1920, 1080);
  });

  it("shows the service's own audit events on its audit tab", async () => {
    await page.getByRole('tab', { name: 'Audit' }).click();
    const table = page.getByTestId('service-audit');
    await table.getByText('services.rollback').first().waitFor();
    const text = await table.innerText();
    for (const action of ['services.create', 'services.update', 'services.scale', 'containers.shell'])
      assert.ok(text.includes(action), `the audit tab shows ${action}`);
  });

  it('deletes a service only after its name is typed', async () => {
    const created = await platform.api.post(servicesPath, {
      name: 'scratch',
      spec: { image: testImage, replicas: 0 },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await page.goto(`${platform.url}/p/shop/test/s/scratch/settings`);
    await page.getByTestId('delete-service').click();
    const ok = page.locator('.ant-modal-footer .ant-btn-dangerous');
    assert.equal(await ok.isDisabled(), true);
    await page.getByTestId('delete-confirm-name').fill('scratc');
    assert.equal(await ok.isDisabled(), true);
    await page.getByTestId('delete-confirm-name').fill('scratch');
    await ok.click();
    await page.waitForURL(/\/p\/shop\/test$/);
    await eventually(
      async () => (await platform.api.get(`${servicesPath}/scratch`)).status === 404,
      'scratch deleted',
    );
    await page.getByTestId('service-link-web').waitFor();
    assert.equal(await page.getByTestId('service-link-scratch').count(), 0);
    await closeDrawer(page).catch(() => undefined);
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

  it('opens a page whose code was lost for a moment, and says so with the menus kept when it cannot load; reloads a page whose own code was lost', async () => {
    // Chromium aborts fetches in flight when an interface appears (Podman adds one per container):
    // a page's chunk lost so once showed a blank portal.
    const before = browser.problems.length;
    let lost = 0;
    await page.route('**/assets/ClusterListPage-*.js', (route) =>
      lost++ < 2 ? route.abort('connectionreset') : route.continue(),
    );
    await page.getByRole('link', { name: 'Clusters' }).click();
    await page.getByTestId('cluster-link-local').waitFor();
    assert.equal(lost, 3, 'fetched a third time, after two lost fetches');
    await page.unroute('**/assets/ClusterListPage-*.js');

    // A chunk that never comes (a Berth upgrade removed it): one reload, then the error in the
    // page's place with the navigation around it, and a retry that works once the chunk is back.
    let quota = 0;
    await page.route('**/assets/QuotaPage-*.js', (route) => {
      quota += 1;
      return route.abort('connectionreset');
    });
    await page.goto(`${platform.url}/p/shop/quota`);
    const error = page.getByRole('alert').filter({ hasText: 'This page could not be loaded' });
    await error.waitFor({ timeout: 30_000 });
    assert.equal(quota, 8, 'four fetches, a reload, four fetches');
    // the menus stay around the error (the header's parts render a frame after the page's place)
    await page.getByRole('link', { name: 'Clusters' }).waitFor({ state: 'visible', timeout: 10_000 });
    assert.ok(await error.isVisible(), 'the error is still shown with the menus');
    // the quota page is the project's, not an environment named "quota": the menus keep the last one
    assert.equal(
      await page.getByRole('link', { name: 'Routes' }).getAttribute('href'),
      '/p/shop/test/routes',
    );
    await page.unroute('**/assets/QuotaPage-*.js');
    await error.getByRole('button', { name: 'Try again' }).click();
    await page.getByTestId('quota-back').waitFor();

    // The portal's own code lost while the page loads (a full run lost the entry's imports to
    // ERR_NETWORK_CHANGED and left a blank page): boot-guard.js reloads the page.
    const html = await (await fetch(`${platform.url}/`)).text();
    const entry = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1];
    assert.ok(entry, html);
    let entryFetches = 0;
    await page.route(`**${entry}`, (route) =>
      entryFetches++ < 1 ? route.abort('connectionreset') : route.continue(),
    );
    await page.goto(`${platform.url}/p/shop/quota`);
    await page.getByTestId('quota-back').waitFor();
    assert.equal(entryFetches, 2, 'lost once, fetched again by the reload');
    await page.unroute(`**${entry}`);
    // Lost at every try: three reloads, then it says so (no reload without end) with a Reload
    // button that works once the code comes again.
    entryFetches = 0;
    await page.route(`**${entry}`, (route) => {
      entryFetches += 1;
      return route.abort('connectionreset');
    });
    await page.goto(`${platform.url}/p/shop/quota`);
    const failed = page.getByTestId('boot-failed');
    await failed.waitFor();
    assert.match(await failed.innerText(), /could not load its code/);
    // the first load and one per reload: 1 + 3 (the first case's reload counts to the 3 as well)
    assert.ok(entryFetches >= 3 && entryFetches <= 4, `${entryFetches} fetches`);
    await page.unroute(`**${entry}`);
    await failed.getByRole('button', { name: 'Reload' }).click();
    await page.getByTestId('quota-back').waitFor();
    await page.evaluate("sessionStorage.removeItem('berth.bootReloads')");

    // the lost fetches and the boundary's report are expected here, and only here
    const mine = browser.problems.splice(before);
    browser.problems.push(
      ...mine.filter(
        (p) =>
          !/(ClusterListPage|QuotaPage|index)-|could not be loaded|dynamically imported module/.test(
            p.text + p.url,
          ),
      ),
    );
  });

  it('shows the service list in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.getByRole('link', { name: '服务', exact: true }).click();
    await page.getByText('服务管理').waitFor();
    // The heading comes before the rows (a skeleton meanwhile) and the scope bar one frame later.
    await page.getByTestId('service-link-web').waitFor();
    await page.getByTestId('create-service').waitFor();
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
      { urlEnds: `${servicesPath}/web`, status: 409 },
      // a poll of the deleted service's page that was in flight when the deletion finished
      { urlUnder: `${servicesPath}/scratch`, status: 404 },
      { urlEnds: '/containers/history', status: 401 },
      // the history tab asks for the environments' clusters (its cluster filter) in the same click
      { urlEnds: '/api/v1/envs', status: 401 },
    ]);
    assert.deepEqual(problems, []);
    console.log(`screenshots: ${browser.shotsDir}`);
  });
});
