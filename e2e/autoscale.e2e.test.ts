/**
 * The autoscaling card in the portal (service detail, Scale tab): a bad setting refused at its
 * field, autoscaling turned on with a PromQL metric (`vector(N)`: exact numbers) as a platform
 * admin, the decision and the replicas going up, the charts, a hold in plain words, the card in
 * Chinese, and turning it off; in a real browser against a real Berth on Podman and Prometheus.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { AutoscaleState } from '@berth/shared';
import { autoscaleApiRoutes } from '../packages/web/src/features/autoscale/autoscale-api.ts';
import { startMonitoring, type TestMonitoring } from '../packages/server/test/helpers/monitoring.ts';
import {
  adminPassword,
  eventually,
  startPlatform,
  testImage,
  userWithRole,
  waitTask,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { fieldError, logIn, portalSession } from './helpers/session.ts';

const svcApi = '/api/v1/projects/shop/envs/test/services/web';

void describe('autoscaling in the portal (browser)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let mon: TestMonitoring;
  const monDir = mkdtempSync(path.join(tmpdir(), 'berth-e2e-autoscale-'));

  const replicas = async () => (await platform.api.get<{ replicas: number }>(svcApi)).body.replicas;
  async function setPromql(expr: string): Promise<void> {
    await page.locator('#autoscale_promql').fill(expr);
    await page.getByTestId('autoscale-save').click();
    await page.getByTestId('autoscale-form').waitFor({ state: 'detached' });
  }

  portalSession(
    {
      start: async () => {
        mon = await startMonitoring({ dir: monDir });
        return startPlatform({ BERTH_GATEWAY_LISTEN: 'off' }, { monitoring: mon.module });
      },
      projects: ['shop'],
      seed: async (p) => {
        const created = await p.api.post<{ task: { id: string } }>(
          '/api/v1/projects/shop/envs/test/services',
          { name: 'web', spec: { image: testImage, command: ['sleep', '3600'], replicas: 1 } },
        );
        assert.equal(created.status, 202, JSON.stringify(created.body));
        assert.equal((await waitTask(p.api, created.body.task.id)).state, 'succeeded');
      },
      teardown: async () => {
        await mon?.stop();
        rmSync(monDir, { recursive: true, force: true });
      },
    },
    (s) => {
      ({ platform, browser, page } = s);
    },
  );

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(autoscaleApiRoutes));
  });

  void it('refuses min above max at the min field, changing nothing', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/p/shop/test/s/web/scale`);
    assert.equal(await page.getByTestId('autoscale-status').innerText(), 'Off');
    await page.getByTestId('autoscale-edit').click();
    await page.locator('#autoscale_min').fill('5');
    await page.locator('#autoscale_max').fill('2');
    await page.getByTestId('autoscale-save').click();
    assert.match(
      await fieldError(page, '#autoscale_min'),
      /must be at most max \(2\); lower min or raise max/,
    );
    assert.equal((await platform.api.get<AutoscaleState>(`${svcApi}/autoscale`)).body.autoscale, null);
  });

  void it('turns autoscaling on with a PromQL total: the decision shows and the replicas go 1 → 3', async () => {
    await page.locator('#autoscale_min').fill('1');
    await page.locator('#autoscale_max').fill('3');
    await page.locator('#autoscale_metric').click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option')
      .filter({ hasText: /^PromQL expression$/ })
      .click();
    await page.locator('#autoscale_target').fill('100');
    await page.locator('#autoscale_interval').fill('5');
    await page.locator('#autoscale_window').fill('300');
    await setPromql('vector(250)');
    assert.equal(await page.getByTestId('autoscale-status').innerText(), 'On');
    const settings = await page.getByTestId('autoscale-settings').innerText();
    assert.match(settings, /PromQL: vector\(250\)/);
    const state = (await platform.api.get<AutoscaleState>(`${svcApi}/autoscale`)).body;
    assert.deepEqual(
      { ...state.autoscale, behavior: undefined },
      {
        min: 1,
        max: 3,
        metric: { promql: 'vector(250)' },
        target: 100,
        intervalSeconds: 5,
        behavior: undefined,
      },
    );
    assert.equal(state.behavior?.scaleDown.stabilizationWindowSeconds, 300);

    // the decision: ceil(250 / 100) = 3, through the scale path
    await page.getByTestId('autoscale-last').filter({ hasText: 'scaled' }).waitFor();
    assert.match(await page.getByTestId('autoscale-last').innerText(), /1 → 3/);
    await page.getByTestId('autoscale-replicas').filter({ hasText: 'Replicas now 3, desired 3' }).waitFor();
    assert.equal(await replicas(), 3);
    await page.getByTestId('service-replicas').filter({ hasText: '3/3' }).waitFor();
    // the charts draw the decisions: replicas 1 → 3 and the value per replica against the target
    for (const chart of ['autoscale-chart-replicas', 'autoscale-chart-metric'])
      await page.getByTestId(chart).locator('svg path').first().waitFor();
    await browser.screenshot('autoscale-card-en', 1366, 900);
  });

  void it('says in plain words why it holds when the metric answers nothing, and keeps 3', async () => {
    await page.getByTestId('autoscale-edit').click();
    await setPromql('absent(vector(1))');
    const held = page.getByTestId('autoscale-held');
    await held.waitFor();
    assert.match(await held.innerText(), /Holding the replicas: the metric has no value now\./);
    assert.match(await held.innerText(), /Nothing scales down while metrics are missing\./);
    assert.equal(await replicas(), 3);
  });

  void it('shows the card in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.getByTestId('autoscale-status').filter({ hasText: '已开启' }).waitFor();
    const card = await page.getByTestId('autoscale-card').innerText();
    for (const word of ['自动扩缩容', '最少副本', '最多副本', '指标', '每个副本的目标值', '缩容稳定窗口'])
      assert.ok(card.includes(word), word);
    assert.match(card, /当前副本 3，期望副本 3/);
    assert.match(card, /保持副本数不变：指标当前没有数值。/);
    await page.getByTestId('autoscale-edit').click();
    // antd spaces out two-character Chinese button labels (保 存)
    assert.match(
      (await page.getByTestId('autoscale-form').innerText()).replace(/ /g, ''),
      /PromQL（其值为总量）[\s\S]*保存/,
    );
    await page.getByRole('button', { name: /取\s*消/ }).click();
    await browser.screenshot('autoscale-card-zh', 1366, 900);
  });

  void it('turns autoscaling off; the replicas stay', async () => {
    await page.getByTestId('autoscale-off').click();
    await page.getByTestId('autoscale-off-ok').click();
    await page.getByTestId('autoscale-status').filter({ hasText: '已关闭' }).waitFor();
    await eventually(
      async () => (await platform.api.get<AutoscaleState>(`${svcApi}/autoscale`)).body.autoscale === null,
      'autoscaling off',
    );
    assert.equal(await replicas(), 3);
  });

  void it('offers a developer of the project cpu, memory and rps, not PromQL', async () => {
    await userWithRole(platform, 'dev', 'developer', 'shop');
    await page.context().clearCookies();
    await logIn(page, platform.url, 'dev', 'dev-password', { button: 'submit' });
    await page.goto(`${platform.url}/p/shop/test/s/web/scale`);
    await page.getByTestId('autoscale-edit').click();
    await page.locator('#autoscale_metric').click();
    const options = page.locator('.ant-select-dropdown:visible .ant-select-item-option');
    await options.first().waitFor();
    assert.deepEqual(await options.allInnerTexts(), [
      'CPU（占限额的百分比）',
      '内存（占限额的百分比）',
      '每秒请求数',
    ]);
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      // the refused setting of the first case
      { urlEnds: '/services/web/autoscale', status: 400 },
    ]);
    assert.deepEqual(problems, []);
  });
});
