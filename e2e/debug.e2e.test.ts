/**
 * Debug containers in the portal: the containers tab's "Debug" button starts a toolbox container
 * beside a container whose image has no shell (berth-noshell) and opens its shell in the web
 * shell's terminal; ps shows the target's node process and wget reaches its port. Closing the
 * window removes the debug container. The button and the window in Chinese too. In a real
 * browser against a real Berth on the real Podman.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { debugApiRoutes } from '../packages/web/src/features/debug/debug-api.ts';
import {
  adminPassword,
  eventually,
  makeProject,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { startNoshellServer } from '../packages/server/test/helpers/noshell.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { logIn, portalSession } from './helpers/session.ts';

void describe('debug containers in the portal (browser)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let target = '';

  portalSession(
    {
      server: { BERTH_GATEWAY_LISTEN: 'off' },
      seed: async (p) => {
        target = await startNoshellServer(p.api, await makeProject(p.api, 'shop'));
      },
    },
    (s) => ({ platform, browser, page } = s),
  );

  const debugContainers = () => platform.engine.listContainers({ 'berth.debug': platform.instanceId });
  const terminalText = () => page.locator('.xterm-rows').innerText();

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(debugApiRoutes));
  });

  void it("opens a debug shell that sees a shell-less container's processes and port; closing removes it", async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/p/shop/test/s/app`);
    await page.getByRole('tab', { name: 'Containers' }).click();
    await page.getByTestId(`debug-${target}`).click();
    await page.getByText(`Debug container beside ${target}`).waitFor();
    await page.locator('[data-testid="shell"][data-phase="open"]').waitFor({ timeout: 60_000 });
    assert.match(await terminalText(), /Debug container \S+-debug-\S+ \(localhost\/berth-toolbox:1\)/);
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('ps -eo args | grep -c "^node -e"; wget -qO- 127.0.0.1:8080\n');
    await eventually(
      async () => /hi from the target/.test(await terminalText()),
      'wget output in the terminal',
    );
    assert.match(await terminalText(), /^1$/m, 'ps sees the node process');
    assert.equal((await debugContainers()).length, 1);
    await browser.screenshot('debug-en', 1366, 768);
    // another image replaces the debug container; one the cluster does not have is refused
    await page.getByPlaceholder('Image (default: the toolbox)').fill('localhost/berth-nope:1');
    await page.getByPlaceholder('Image (default: the toolbox)').press('Enter');
    await page.locator('[data-testid="shell"][data-phase="failed"]').waitFor();
    assert.match(
      await terminalText(),
      /could not be started:[\s\S]*'localhost\/berth-nope:1' is not in the local/,
    );
    await eventually(
      async () => (await debugContainers()).length === 0,
      'the toolbox one removed',
      30_000,
      100,
    );
    await page.locator('.ant-modal-close').click();
    await eventually(
      async () => (await debugContainers()).length === 0,
      'the debug container removed',
      30_000,
      100,
    );
  });

  void it('shows the Debug button and window in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    // the button in Chinese once the new language rendered (antd spaces two-character labels)
    await page
      .getByTestId(`debug-${target}`)
      .filter({ hasText: /^调\s?试$/ })
      .waitFor();
    await page.getByTestId(`debug-${target}`).click();
    await page.getByText(`${target} 的调试容器`).waitFor();
    await page.locator('[data-testid="shell"][data-phase="open"]').waitFor({ timeout: 60_000 });
    await browser.screenshot('debug-zh', 1366, 768);
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('exit\n');
    await page.getByTestId('shell-ended').waitFor();
    await eventually(
      async () => (await debugContainers()).length === 0,
      'the debug container removed',
      30_000,
      100,
    );
    await page.locator('.ant-modal-close').click();
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      // the image the cluster does not have
      { urlEnds: '/debug', status: 422 },
    ]);
    assert.deepEqual(problems, []);
  });
});
