/**
 * Alerts in the portal: add a signed webhook channel and test-send it (the result shown, the local
 * receiver checks the signature), an alert posted to the real Alertmanager shown firing with its
 * delivery, silenced from its row, the silence expired, and the pages in Chinese; in a real browser
 * against a real Berth, Podman and Alertmanager.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { ChannelView, SilenceView } from '@berth/shared';
import { alertApiRoutes } from '../packages/web/src/features/alerts/alerts-api.ts';
import { startMonitoring, type TestMonitoring } from '../packages/server/test/helpers/monitoring.ts';
import { adminPassword, startPlatform, type TestPlatform } from '../packages/server/test/helpers/platform.ts';
import {
  startReceiver,
  webhookCheck,
  type Receiver,
} from '../packages/server/test/helpers/alert-receivers.ts';
import { pickOption, unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { logIn, portalSession } from './helpers/session.ts';

void describe('alerts, channels and silences in the portal (browser)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let mon: TestMonitoring;
  let hook: Receiver;
  const monDir = mkdtempSync(path.join(tmpdir(), 'berth-e2e-alerts-'));

  portalSession(
    {
      start: async () => {
        mon = await startMonitoring({ dir: monDir });
        hook = await startReceiver({ check: webhookCheck('portal-secret-1') });
        const p = await startPlatform(
          { BERTH_GATEWAY_LISTEN: 'off', BERTH_GATEWAY_ALLOW_LOOPBACK_BACKENDS: '1' },
          { build: { monitoring: mon.module } },
        );
        await mon.connectBerth(p.url);
        return p;
      },
      projects: ['shop'],
      teardown: async () => {
        await hook?.close();
        await mon?.stop();
        rmSync(monDir, { recursive: true, force: true });
      },
    },
    (s) => {
      ({ platform, browser, page } = s);
    },
  );

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(alertApiRoutes));
  });

  void it('adds a webhook channel and test-sends it: the result is shown, the receiver verified the signature', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/p/shop/test/alerts/channels`);
    await page.getByTestId('add-channel').click();
    await page.locator('#name').fill('ops');
    await page.getByTestId('channel-url').fill('http://169.254.169.254/latest');
    await page.getByTestId('channel-secret').fill('portal-secret-1');
    await page.getByTestId('channel-form-ok').click();
    // the fence's refusal lands on the URL field
    await page
      .locator('.ant-form-item-has-error')
      .filter({ hasText: /link-local/ })
      .waitFor();
    await page.getByTestId('channel-url').fill(hook.url);
    await page.getByTestId('channel-form-ok').click();
    await page.getByTestId('channel-ops').waitFor();
    const stored = (await platform.api.get<ChannelView>('/api/v1/projects/shop/channels/ops')).body;
    assert.equal(stored.kind, 'webhook');
    assert.deepEqual(stored.secrets, { url: true, secret: true });

    await page.getByTestId('channel-test-ops').click();
    const result = page.getByTestId('channel-test-result');
    await result.waitFor();
    assert.match(await result.innerText(), /Delivered[\s\S]*Attempt 1: ok 200/);
    assert.equal(hook.received.length, 1);
    assert.equal(hook.received[0]!.refused, null);
    await browser.screenshot('channel-test-en', 1366, 768);
    await page.getByTestId('channel-test-close').click();

    // editing keeps the secret (left empty): the next test-send is still signed right
    await page.getByTestId('channel-edit-ops').click();
    await page.locator('#rateLimitPerMinute').fill('5');
    await page.getByTestId('channel-form-ok').click();
    await page.getByTestId('channel-form').waitFor({ state: 'detached' });
    await page.getByTestId('channel-test-ops').click();
    await page.getByTestId('channel-test-result').waitFor();
    assert.equal(hook.received[1]?.refused, null);
    await page.getByTestId('channel-test-close').click();
    assert.equal(
      (await platform.api.get<ChannelView>('/api/v1/projects/shop/channels/ops')).body.rateLimitPerMinute,
      5,
    );
  });

  void it('shows an alert firing with its delivery, silences it from its row and expires the silence', async () => {
    const res = await fetch(`${mon.alertmanagerUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: {
            alertname: 'berth-r1',
            berth_project: 'shop',
            berth_env: 'test',
            berth_rule: 'r1',
            berth_rule_name: 'web-cpu',
            severity: 'critical',
            berth_channels: 'ops',
            service: 'web',
          },
          annotations: { summary: 'web CPU above 80 %' },
        },
      ]),
    });
    assert.equal(res.status, 200);
    await page.getByTestId('alerts-tab-alerts').click();
    await page.getByTestId('alert-firing-web-cpu').waitFor({ timeout: 30_000 });
    const history = page.getByTestId('alerts-history');
    await history.getByTestId('alert-history-web-cpu').click();
    await history
      .getByTestId('delivery-ops-firing')
      .filter({ hasText: 'delivered' })
      .waitFor({ timeout: 30_000 });
    await browser.screenshot('alerts-en', 1366, 768);

    await page.getByTestId('alert-silence-web-cpu').click();
    assert.match(await page.getByTestId('silence-matchers').inputValue(), /berth_rule=r1/);
    await page.getByTestId('silence-comment').fill('deploying');
    await page.getByTestId('silence-form-ok').click();
    await page.getByTestId('silences-table').waitFor();
    const silences = (await platform.api.get<{ items: SilenceView[] }>('/api/v1/projects/shop/silences')).body
      .items;
    assert.equal(silences.length, 1);
    const s = silences[0]!;
    assert.equal(s.createdBy, 'admin');
    assert.ok(s.matchers.some((m) => m.name === 'berth_project' && m.value === 'shop'));
    await page.getByTestId(`silence-${s.id}`).waitFor();
    await page.getByTestId(`silence-expire-${s.id}`).click();
    await page.getByTestId(`silence-expire-ok-${s.id}`).click();
    await page.getByTestId(`silence-${s.id}`).waitFor({ state: 'detached' });
    assert.deepEqual(
      (await platform.api.get<{ items: SilenceView[] }>('/api/v1/projects/shop/silences')).body.items,
      [],
    );
  });

  void it('shows the alerts pages in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.goto(`${platform.url}/p/shop/test/alerts`);
    await page.getByTestId('alert-firing-web-cpu').waitFor();
    const text = await page.locator('.app-content').innerText();
    for (const word of ['告警', '正在触发', '历史', '通知渠道', '静默', '已通知'])
      assert.ok(text.includes(word), word);
    await page.getByTestId('alerts-tab-channels').click();
    await page.getByTestId('channel-ops').waitFor();
    await page.getByTestId('add-channel').click();
    await pickOption(page, '#settings_kind', 'dingtalk');
    const form = (await page.getByTestId('channel-form').innerText()).replace(/ /g, '');
    for (const word of ['类型', '签名密钥', '加签', '每分钟投递上限']) assert.ok(form.includes(word), word);
    await browser.screenshot('channel-form-zh', 1366, 768);
    await page.keyboard.press('Escape');
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      // the refused channel URL (the fence), shown on the field
      { urlEnds: '/api/v1/projects/shop/channels', status: 400 },
    ]);
    assert.deepEqual(problems, []);
  });
});
