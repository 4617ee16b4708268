/**
 * A container's files in the portal: the containers tab's "Files" button opens the file browser
 * of a container whose image has no shell (berth-noshell): the path breadcrumb, a directory
 * listing, a log file followed while the app appends to it, and the log files Berth collected
 * (spec.logFiles), reached from the container-history row too. The page in Chinese as well. In a
 * real browser against a real Berth on the real Podman.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { filesApiRoutes } from '../packages/web/src/features/files/files-api.ts';
import {
  adminPassword,
  eventually,
  makeProject,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { logIn, portalSession } from './helpers/session.ts';

/** Appends "tick N" to /tmp/logs/app.log every 300 ms (node only: the image has no shell). */
const app =
  "const fs=require('fs');fs.mkdirSync('/tmp/logs',{recursive:true});let n=0;setInterval(()=>fs.appendFileSync('/tmp/logs/app.log','tick '+(++n)+'\\n'),300)";

void describe('container files in the portal (browser)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let target = '';

  portalSession(
    {
      server: { BERTH_GATEWAY_LISTEN: 'off' },
      seed: async (p) => {
        const base = await makeProject(p.api, 'shop');
        const created = await p.api.post(base, {
          name: 'app',
          spec: {
            image: 'localhost/berth-noshell:1',
            command: ['node', '-e', app],
            replicas: 1,
            logFiles: { paths: ['/tmp/logs/*.log'] },
          },
        });
        assert.equal(created.status, 202, JSON.stringify(created.body));
        const items = await eventually(async () => {
          const r = await p.api.get<{ items: Array<{ name: string; state: string }> }>(
            `${base}/app/containers`,
          );
          return r.body.items.some((c) => c.state === 'running' || c.state === 'ready') ? r.body.items : null;
        }, 'the container running');
        target = items[0]!.name;
      },
    },
    (s) => ({ platform, browser, page } = s),
  );

  const ticks = async () =>
    [...(await page.getByTestId('file-view').innerText()).matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(filesApiRoutes));
  });

  void it('browses a shell-less container and follows a log file while the app appends', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/p/shop/test/s/app`);
    await page.getByRole('tab', { name: 'Containers' }).click();
    await page.getByTestId(`files-${target}`).click();
    await page.getByText(`Files of ${target}`).waitFor();
    // the root directory: the node image's tree, no /bin
    await page.getByTestId('files-table').getByRole('button', { name: 'usr/' }).waitFor();
    assert.equal(await page.getByTestId('files-table').getByRole('button', { name: 'bin/' }).count(), 0);
    await page.getByTestId('files-table').getByRole('button', { name: 'tmp/' }).click();
    await page.getByTestId('files-table').getByRole('button', { name: 'logs/' }).click();
    await page.getByTestId('files-path').getByText('logs').waitFor();
    await page.getByTestId('follow-app.log').click();
    await page.getByText('Following /tmp/logs/app.log').waitFor();
    const first = await eventually(async () => {
      const seen = await ticks();
      return seen.length > 0 ? seen : null;
    }, 'lines of the followed file');
    // new lines arrive while the app appends, in order and without gaps
    const later = await eventually(async () => {
      const seen = await ticks();
      return seen.length >= first.length + 3 ? seen : null;
    }, 'appended lines');
    assert.deepEqual(
      later,
      Array.from({ length: later.length }, (_, i) => later[0]! + i),
      'consecutive ticks',
    );
    await browser.screenshot('files-en', 1366, 768);
    await page.getByTestId('files-stop').click();
    // the breadcrumb leads back up
    await page.getByTestId('files-path').getByRole('link', { name: '/', exact: true }).click();
    await page.getByTestId('files-table').getByRole('button', { name: 'usr/' }).waitFor();
  });

  void it('lists the collected log files, also from the container-history row', async () => {
    await page.getByRole('tab', { name: 'Collected logs' }).click();
    await page
      .getByTestId('collected-table')
      .getByText('tmp/logs/app.log', { exact: true })
      .waitFor({ timeout: 30_000 });
    await page.goto(`${platform.url}/p/shop/test/s/app/history`);
    await page.getByTestId(`collected-${target}`).click();
    await page.getByTestId('collected-table').getByRole('cell', { name: '/tmp/logs/app.log' }).waitFor();
  });

  void it('shows the file browser in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.getByText(`${target} 的文件`).waitFor();
    await page.getByRole('tab', { name: '已收集日志' }).waitFor();
    await page.getByRole('tab', { name: '文件', exact: true }).click();
    await page.getByTestId('files-table').getByRole('button', { name: 'usr/' }).waitFor();
    await browser.screenshot('files-zh', 1366, 768);
    await page.goto(`${platform.url}/p/shop/test/s/app/containers`);
    await page
      .getByTestId(`files-${target}`)
      .filter({ hasText: /文\s?件/ })
      .waitFor(); // antd spaces two-character labels
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [{ urlEnds: '/api/v1/me', status: 401 }]);
    assert.deepEqual(problems, []);
  });
});
