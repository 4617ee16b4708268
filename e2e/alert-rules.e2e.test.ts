/**
 * Alert rules in the portal: create a CPU rule from the template with its scope picked from the
 * env's services, preview its PromQL and current value from the real Prometheus, edit it, see the
 * version's diff, roll back, and the page in Chinese; in a real browser against a real Berth on the
 * real Podman and Prometheus.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { AlertRule } from '@berth/shared';
import { alertRuleApiRoutes } from '../packages/web/src/features/alert-rules/alert-rules-api.ts';
import { metricsToken } from '../packages/server/src/modules/containers/metrics.ts';
import { startMonitoring, type TestMonitoring } from '../packages/server/test/helpers/monitoring.ts';
import {
  adminPassword,
  eventually,
  startPlatform,
  testImage,
  waitTask,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { pickOption, unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { logIn, portalSession } from './helpers/session.ts';

const rulesApi = '/api/v1/projects/shop/envs/test/alert-rules';

void describe('alert rules in the portal (browser)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let mon: TestMonitoring;
  const monDir = mkdtempSync(path.join(tmpdir(), 'berth-e2e-mon-'));

  portalSession(
    {
      start: async () => {
        mon = await startMonitoring({ dir: monDir });
        const p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off' }, { build: { monitoring: mon.module } });
        await mon.connectBerth(p.url, metricsToken(p.dataDir, null));
        return p;
      },
      projects: ['shop'],
      seed: async (p) => {
        const created = await p.api.post<{ task: { id: string } }>(
          '/api/v1/projects/shop/envs/test/services',
          {
            name: 'web',
            spec: { image: testImage, command: ['sleep', '3600'], resources: { cpu: 0.5 }, replicas: 1 },
          },
        );
        assert.equal(created.status, 202, JSON.stringify(created.body));
        assert.equal((await waitTask(p.api, created.body.task.id)).state, 'succeeded');
        // Prometheus has scraped the container's CPU and its limit: the preview has a value to show
        await eventually(async () => {
          const res = await mon.module.prometheus.query(
            'berth_container_cpu_limit_cores{project="shop",service="web"}',
          );
          return res.ok && res.samples.length > 0;
        }, 'the CPU limit series in Prometheus');
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
    await assertRoutesDocumented(platform.api, Object.values(alertRuleApiRoutes));
  });

  void it('creates a CPU rule on a service picked from the env, with the preview of its PromQL and value', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/p/shop/test/alert-rules`);
    await page.getByTestId('alert-rules-empty').waitFor();
    await page.getByTestId('create-alert-rule').click();
    await page.locator('#alert-rule-name').fill('web-cpu');
    await pickOption(page, '#alert-rule-service', 'web');
    await page.locator('#alert-rule-threshold').fill('50');
    await page.locator('#alert-rule-for').fill('2m');
    await page.getByTestId('alert-rule-preview').click();
    const result = page.getByTestId('alert-rule-preview-result');
    await result.waitFor();
    assert.match(
      await page.getByTestId('alert-rule-preview-expr').innerText(),
      /berth_container_cpu_percent\{project="shop",env="test",service="web"\}/,
    );
    // one series: the container of web, with its current value (a sleeper: about 0 % of its limit)
    const rows = result.locator('tbody tr.ant-table-row');
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().innerText(), /service=web, container=shop-test-web-r1-\w+\s+[0-9.e-]+/);
    await browser.screenshot('alert-rule-form-en', 1366, 768);
    await page.getByTestId('alert-rule-form-ok').click();
    await page.getByTestId('alert-rule-form').waitFor({ state: 'detached' });
    await page.getByTestId('alert-rule-web-cpu').waitFor();
    const rule = (await platform.api.get<AlertRule>(`${rulesApi}/web-cpu`)).body;
    assert.equal(rule.template, 'cpu');
    assert.deepEqual(rule.scope, { service: 'web' });
    assert.equal(rule.threshold, 50);
    assert.equal(rule.for, '2m');
    await page.getByTestId('alert-rule-version-1').waitFor();
  });

  void it('edits the rule; the new version shows its diff; rolls back to version 1', async () => {
    await page.getByTestId('alert-rule-edit-web-cpu').click();
    await page.locator('#alert-rule-threshold').fill('70');
    await page.getByTestId('alert-rule-form-ok').click();
    await page.getByTestId('alert-rule-form').waitFor({ state: 'detached' });
    await page.getByTestId('alert-rule-version-2').waitFor();
    const versions = page.getByTestId('alert-rule-versions');
    await versions
      .locator('tr', { has: page.getByTestId('alert-rule-version-2') })
      .locator('.ant-table-row-expand-icon')
      .click();
    const diff = versions.locator('.alert-rule-diff');
    await diff.waitFor();
    assert.match(await diff.locator('[data-diff="removed"]').first().innerText(), /> 50/);
    assert.match(await diff.locator('[data-diff="added"]').first().innerText(), /> 70/);
    await page.getByTestId('alert-rule-rollback-1').click();
    await page.getByTestId('alert-rule-rollback-ok-1').click();
    await page.getByTestId('alert-rule-version-3').waitFor();
    assert.equal((await platform.api.get<AlertRule>(`${rulesApi}/web-cpu`)).body.threshold, 50);
  });

  void it('shows the alert rules page in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.goto(`${platform.url}/p/shop/test/alert-rules`);
    await page.getByTestId('alert-rule-web-cpu').waitFor();
    const text = await page.locator('.app-content').innerText();
    for (const word of ['告警策略', '创建策略', '模板', '阈值', '严重级别', '已启用', '版本', '修改人'])
      assert.ok(text.includes(word), word);
    await page.getByTestId('alert-rule-edit-web-cpu').click();
    // antd spaces out two-character Chinese button labels (预 览)
    const form = (await page.getByTestId('alert-rule-form').innerText()).replace(/ /g, '');
    for (const word of ['模板', '服务', '预览', '持续时间']) assert.ok(form.includes(word), word);
    await browser.screenshot('alert-rule-form-zh', 1366, 768);
    await page.keyboard.press('Escape');
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [{ urlEnds: '/api/v1/me', status: 401 }]);
    assert.deepEqual(problems, []);
  });
});
