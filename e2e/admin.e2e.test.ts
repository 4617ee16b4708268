/**
 * Admin pages, audit explorer, shell replay, global search and token login, in a real browser
 * against a real Berth on Podman.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { adminApiRoutes } from '../packages/web/src/features/admin/admin-api.ts';
import { adminEn } from '../packages/web/src/features/admin/messages.ts';
import { adminZh } from '../packages/web/src/features/admin/messages.zh.ts';
import { auditApiRoutes } from '../packages/web/src/features/audit/audit-api.ts';
import { searchApiRoutes } from '../packages/web/src/features/search/search-api.ts';
import { adminPassword, eventually, type TestPlatform } from '../packages/server/test/helpers/platform.ts';
import { openBrowser, unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { closeDrawer, logIn, portalSession, seedWebService } from './helpers/session.ts';

const marker = 'hello-from-the-recording';

/** Runs one command in a web shell through the WebSocket API, as a script would, and exits. */
async function runShell(platform: TestPlatform, container: string): Promise<void> {
  const url = `${platform.url.replace(/^http/, 'ws')}/api/v1/projects/shop/envs/test/services/web/containers/${container}/shell`;
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${platform.api.token}` } });
  let output = '';
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) output += data.toString();
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(Buffer.from(`echo ${marker}\r`));
  await eventually(async () => output.split(marker).length > 2, 'the echo in the shell output', 30_000, 100);
  ws.send(Buffer.from('exit\r'));
  await closed;
}

/** A datetime-local value `minutes` from now, in the browser's time zone. */
function localInput(page: Page, minutes: number): Promise<string> {
  // A string, not a function: tsx would add its __name helper, which the page does not have.
  return page.evaluate(`(() => {
    const d = new Date(Date.now() + ${minutes} * 60000);
    const p = (n) => String(n).padStart(2, '0');
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes());
  })()`);
}

async function submitModal(page: Page, testId: string): Promise<void> {
  await page.getByTestId(`${testId}-ok`).click();
  await page.getByTestId(testId).waitFor({ state: 'detached' });
}

void describe('admin, audit, search and token login (browser, real Podman)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let apiToken = '';

  portalSession(
    {
      seed: async (platform) => {
        const base = await seedWebService(platform.api, 'shop');
        const containers = await platform.api.get<{ items: Array<{ name: string; state: string }> }>(
          `${base}/web/containers`,
        );
        const ready = containers.body.items.find((c) => c.state === 'ready');
        assert.ok(ready, JSON.stringify(containers.body));
        await runShell(platform, ready.name);
      },
    },
    (s) => ({ platform, browser, page } = s),
  );

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, [
      ...Object.values(adminApiRoutes),
      ...Object.values(auditApiRoutes),
      ...Object.values(searchApiRoutes),
    ]);
  });

  void it('creates a user, a team and a role binding', async () => {
    await logIn(page, platform.url, 'admin', adminPassword, { landed: /\/p\/shop\/test$/, button: 'submit' });
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL(/\/admin\/users$/);

    await page.getByTestId('create-user').click();
    await page.fill('#user-name', 'alice');
    await page.fill('#user-password', 'short');
    await page.getByTestId('user-form-ok').click();
    await page.getByText('At least 8 characters.').waitFor();
    await page.fill('#user-password', 'alice-password-1');
    await submitModal(page, 'user-form');
    await page.getByTestId('users-table').locator('tr').filter({ hasText: 'alice' }).waitFor();

    await page.getByRole('tab', { name: 'Teams' }).click();
    await page.getByTestId('create-team').click();
    await page.fill('#team-name', 'payments');
    await page.keyboard.press('Enter'); // Enter submits the dialog's form
    await page.getByTestId('team-form').waitFor({ state: 'detached' });
    await page.getByTestId('members-payments').click();
    await page.getByTestId('add-member').click();
    await page.fill('#binding-user', 'alice');
    await submitModal(page, 'binding-form');
    const members = page.getByTestId('members-table');
    await members.getByText('alice').waitFor();
    assert.match(await members.innerText(), /alice[\s\S]*Developer[\s\S]*Team payments/);

    const bindings = await platform.api.get<{ items: Array<{ role: string; scope: unknown }> }>(
      '/api/v1/bindings?user=alice',
    );
    assert.deepEqual(
      bindings.body.items.map((b) => [b.role, b.scope]),
      [['developer', { kind: 'team', name: 'payments' }]],
    );
    await closeDrawer(page);
  });

  void it('creates an API token, shows it once, and logs in with it in a fresh browser', async () => {
    await page.getByRole('tab', { name: 'API tokens' }).click();
    await page.getByTestId('create-token').click();
    await page.fill('#token-name', 'e2e-login');
    await submitModal(page, 'token-form');
    apiToken = await page.getByTestId('token-value').inputValue();
    assert.match(apiToken, /^berth_/);
    await page.getByTestId('token-done').click();
    const row = page.getByTestId('tokens-table').locator('tr').filter({ hasText: 'e2e-login' });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(apiToken.slice(0, 12)));
    assert.doesNotMatch(await page.locator('body').innerText(), new RegExp(apiToken), 'shown only once');

    const fresh = await openBrowser();
    try {
      await fresh.page.goto(`${platform.url}/login`);
      await fresh.page.getByTestId('login-mode').click();
      await fresh.page.fill('#login-token', 'berth_wrong');
      await fresh.page.getByTestId('token-submit').click();
      await fresh.page.getByText('This token is not valid').waitFor();
      await fresh.page.fill('#login-token', apiToken);
      await fresh.page.getByTestId('token-submit').click();
      await fresh.page.waitForURL(/\/p\/shop\/test$/);
      assert.match(await fresh.page.locator('.user-menu').innerText(), /^(Administrator|admin)$/);
      assert.deepEqual(
        unexpectedProblems(fresh.problems, [
          { urlEnds: '/api/v1/me', status: 401 },
          { urlEnds: '/api/v1/auth/token-login', status: 401 },
        ]),
        [],
      );
    } finally {
      await fresh.close();
    }
    await page.reload();
    await eventually(
      async () =>
        !/never/.test(
          await page.getByTestId('tokens-table').locator('tr').filter({ hasText: 'e2e-login' }).innerText(),
        ),
      'the token shows its last use',
    );
  });

  void it('filters the audit log by action and time and shows an event with its redacted request', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    const table = page.getByTestId('audit-table');
    await table.getByText('users.create').first().waitFor();
    const action = page.getByPlaceholder('Action, e.g. services.');
    await action.fill('users.create');
    await action.press('Enter');
    await page.fill('[data-testid="audit-since"]', await localInput(page, -60));
    await eventually(async () => {
      const text = await table.innerText();
      return text.includes('alice') && !text.includes('teams.create');
    }, 'users.create of alice in the last hour');
    await page.getByTestId('audit-detail').first().click();
    const request = page.getByTestId('audit-request');
    assert.match(await request.innerText(), /"name": "alice"[\s\S]*"password": "\[redacted\]"/);
    await closeDrawer(page);

    // A window that ended before the user was created: nothing matches.
    await page.fill('[data-testid="audit-until"]', await localInput(page, -30));
    await table.getByText('No audit events match these filters.').waitFor();
    await page.fill('[data-testid="audit-until"]', '');
    await table.getByText('alice').first().waitFor();
  });

  void it('opens the recording of a shell session from its audit event and replays it', async () => {
    const action = page.getByPlaceholder('Action, e.g. services.');
    await action.fill('containers.shell');
    await action.press('Enter');
    await page.getByTestId('audit-detail-shell').first().click();
    await page.getByTestId('open-recording').click();
    await page.waitForURL(/\/audit\/sessions\/[a-z0-9]+$/);
    const player = page.getByTestId('recording-player');
    await page.locator('[data-testid="recording-player"][data-done="true"]').waitFor({ timeout: 30_000 });
    assert.match(await page.locator('.xterm-rows').innerText(), new RegExp(marker));
    assert.match(
      await page.getByTestId('replay-inputs').innerText(),
      new RegExp(`echo ${marker}[\\s\\S]*exit`),
    );
    assert.match(await player.innerText(), /Play again/);
    await page.getByTestId('replay-toggle').click(); // play again from the start
    await page.locator('[data-testid="recording-player"][data-done="true"]').waitFor({ timeout: 30_000 });
    await browser.screenshot('admin-replay-en', 1366, 768);
  });

  void it('finds a service by prefix from the header search (Ctrl+K) and opens it', async () => {
    await page.keyboard.press('Control+k');
    assert.equal(await page.evaluate(`document.activeElement?.getAttribute('data-testid')`), 'global-search');
    await page.keyboard.type('we');
    await page.getByTestId('search-hit-service-web').waitFor();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/p\/shop\/test\/s\/web\/overview$/);
    await page.getByTestId('global-search').fill('nothing-like-this');
    await page.getByText('Nothing you can read starts with "nothing-like-this".').waitFor();
    await page.keyboard.press('Escape');
  });

  void it('gives every button and link on the audit and admin pages an accessible name', async () => {
    for (const path of ['/audit', '/admin/users', '/admin/bindings', '/admin/tokens']) {
      await page.goto(`${platform.url}${path}`);
      await page.locator('.ant-table-tbody tr.ant-table-row').first().waitFor();
      const nameless = await page.evaluate(`[...document.querySelectorAll('button, [role=button], a[href]')]
        .filter((el) => el.getClientRects().length > 0)
        .filter((el) => !(el.getAttribute('aria-label') || el.textContent.trim() || el.querySelector('[aria-label]')))
        .map((el) => el.outerHTML.slice(0, 160))`);
      assert.deepEqual(nameless, [], `buttons without a name on ${path}`);
    }
  });

  void it('shows the admin pages in Chinese without English UI strings', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    const english = Object.entries(adminEn)
      .filter(
        ([key, text]) =>
          adminZh[key as keyof typeof adminZh] !== text && /^[A-Z][a-z]+( [a-z]+)*$/.test(text),
      )
      .map(([, text]) => text);
    for (const tab of ['users', 'teams', 'projects', 'bindings', 'tokens']) {
      await page.goto(`${platform.url}/admin/${tab}`);
      await page.locator('.ant-table-tbody tr.ant-table-row').first().waitFor();
      await page.getByText('系统管理', { exact: true }).first().waitFor();
      const body = await page.locator('.app-content').innerText();
      const found = english.filter((text) => new RegExp(`(^|\\n|\\t)${text}($|\\n|\\t)`).test(body));
      assert.deepEqual(found, [], `English UI strings on /admin/${tab}`);
      await browser.screenshot(`admin-${tab}-zh`, 1366, 768);
    }
    const users = await page.locator('.app-content').innerText();
    await page.goto(`${platform.url}/admin/users`);
    for (const word of ['用户名', '平台角色', '创建用户', '操作'])
      assert.ok(
        (await page.locator('.app-content').innerText()).includes(word) || users.includes(word),
        word,
      );
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      { urlEnds: '/api/v1/users', status: 400 },
    ]);
    assert.deepEqual(problems, []);
    console.log(`screenshots: ${browser.shotsDir}`);
  });
});
