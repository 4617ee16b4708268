/**
 * Site monitoring in the portal: add an HTTP probe of a site the project routes to (with its
 * alert rule), see it up, see it down when the site answers 500, its uptime chart, a target the
 * project does not own refused at the URL field, an edit of its body regex applied (a change made
 * meanwhile refused, not overwritten), the page in Chinese, and delete; in a real
 * browser against a real Berth, blackbox exporter and Prometheus.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { SiteProbe } from '@berth/shared';
import { probeApiRoutes } from '../packages/web/src/features/probes/probes-api.ts';
import { startMonitoring, type TestMonitoring } from '../packages/server/test/helpers/monitoring.ts';
import {
  adminPassword,
  eventually,
  startPlatform,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { grantNetwork, grantZone, loopbackBackends } from '../packages/server/test/helpers/tenancy.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { logIn, portalSession } from './helpers/session.ts';

const probesApi = '/api/v1/projects/shop/envs/test/probes';

void describe('site monitoring in the portal (browser)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let mon: TestMonitoring;
  let site: Server | undefined;
  let sitePort = 0;
  const state = { status: 200 };
  const monDir = mkdtempSync(path.join(tmpdir(), 'berth-e2e-probes-'));

  portalSession(
    {
      start: async () => {
        site = createServer((_req, res) => {
          res.writeHead(state.status, { 'content-type': 'text/plain' });
          res.end('ok');
        });
        await new Promise<void>((r) => site!.listen(0, '127.0.0.1', r));
        sitePort = (site.address() as AddressInfo).port;
        mon = await startMonitoring({ dir: monDir, blackbox: true });
        return startPlatform(loopbackBackends, { build: { monitoring: mon.module } });
      },
      projects: ['shop'],
      seed: async (p) => {
        await grantZone(p.api, 'shop.example.test', 'shop');
        await grantNetwork(p.api, '127.0.0.0/8', 'shop');
        const route = await p.api.post('/api/v1/projects/shop/envs/test/routes', {
          name: 'www',
          spec: {
            host: 'www.shop.example.test',
            backends: { servers: [{ address: `127.0.0.1:${sitePort}` }] },
          },
        });
        assert.equal(route.status, 201, JSON.stringify(route.body));
      },
      teardown: async () => {
        await mon?.stop();
        site?.close();
        rmSync(monDir, { recursive: true, force: true });
      },
    },
    (s) => {
      ({ platform, browser, page } = s);
    },
  );

  const stateOf = (name: string) => page.getByTestId(`probe-state-${name}`);

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(probeApiRoutes));
  });

  void it('adds a probe with its alert rule; it shows up, then down when the site answers 500', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/p/shop/test/probes`);
    await page.getByTestId('probes-empty').waitFor();
    await page.getByTestId('create-probe').click();
    await page.getByTestId('probe-form-name').fill('site');
    await page.getByTestId('probe-form-url').fill(`http://127.0.0.1:${sitePort}/`);
    await page.getByTestId('probe-form-interval').fill('1');
    await page.getByTestId('probe-form-latency').fill('800');
    await page.getByTestId('probe-form-alert-for').fill('0s');
    await browser.screenshot('probe-form-en', 1366, 768);
    await page.getByTestId('probe-form-ok').click();
    await page.getByTestId('probe-form').waitFor({ state: 'detached' });
    await page.getByTestId('probe-site').waitFor();
    const probe = (await platform.api.get<SiteProbe>(`${probesApi}/site`)).body;
    assert.equal(probe.url, `http://127.0.0.1:${sitePort}/`);
    assert.equal(probe.intervalSeconds, 1);
    assert.equal(probe.alertRule, 'probe-site');
    await eventually(
      async () => (await stateOf('site').innerText()) === 'up',
      'the probe shown up',
      60_000,
      300,
    );
    // the last probe's duration in the list
    assert.match(
      await page
        .getByTestId('probes-table')
        .locator('tr', { has: page.getByTestId('probe-site') })
        .innerText(),
      /\d+ ms/,
    );
    // the chart of the probe added (selected on save): uptime over the hour and its series
    await page.getByTestId('probe-chart-site').waitFor();
    await eventually(
      async () => /Uptime over 1h: 100/.test(await page.getByTestId('probe-uptime-site').innerText()),
      'uptime 100 % while the site answers',
      30_000,
      500,
    );
    state.status = 500;
    await eventually(
      async () => (await stateOf('site').innerText()) === 'down',
      'the probe shown down',
      60_000,
      300,
    );
    await browser.screenshot('probes-page-en', 1366, 768);
    // and its rule fires in Prometheus
    await eventually(
      async () => {
        const res = await fetch(`${mon.prometheusUrl}/api/v1/alerts`);
        const alerts = (
          (await res.json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } }
        ).data.alerts;
        return alerts.some((a) => a.labels.alertname === 'berth_probe_site' && a.state === 'firing');
      },
      'probe-site firing',
      60_000,
      500,
    );
    state.status = 200;
    await eventually(
      async () => (await stateOf('site').innerText()) === 'up',
      'the probe up again',
      60_000,
      300,
    );
  });

  void it('edits the probe: a body regex applied, a change made meanwhile refused, a bad URL at its field', async () => {
    await page.getByTestId('probe-edit-site').click();
    await page.getByTestId('probe-form').waitFor();
    // the create form, filled with the probe as it is; the name and its alert rule stay
    assert.equal(await page.getByTestId('probe-form-url').inputValue(), `http://127.0.0.1:${sitePort}/`);
    assert.equal(await page.getByTestId('probe-form-interval').inputValue(), '1');
    assert.equal(await page.getByTestId('probe-form-latency').inputValue(), '800');
    assert.ok(await page.getByTestId('probe-form-name').isDisabled());
    assert.match(await page.getByTestId('probe-form-alert-kept').innerText(), /alert rule probe-site stays/);
    await browser.screenshot('probe-edit-en', 1366, 768);
    // the API's field error at the field
    await page.getByTestId('probe-form-url').fill('http://shop.elsewhere.test/');
    await page.getByTestId('probe-form-ok').click();
    const error = page.getByTestId('probe-form').locator('.ant-form-item-explain-error');
    await error.first().waitFor();
    assert.match(await error.first().innerText(), /not the host of a route of shop\/test/);
    await page.getByTestId('probe-form-url').fill(`http://127.0.0.1:${sitePort}/`);
    // the site answers "ok": a probe that wants "healthy" in the body fails
    await page.getByTestId('probe-form-must-match').fill('healthy');
    await page.getByTestId('probe-form-ok').click();
    await page.getByTestId('probe-form').waitFor({ state: 'detached' });
    const edited = (await platform.api.get<SiteProbe>(`${probesApi}/site`)).body;
    assert.equal(edited.bodyMustMatch, 'healthy');
    assert.equal(edited.url, `http://127.0.0.1:${sitePort}/`);
    assert.equal(edited.intervalSeconds, 1);
    assert.equal(edited.alertRule, 'probe-site');
    await eventually(
      async () => (await stateOf('site').innerText()) === 'down',
      'down: the body lacks "healthy"',
      60_000,
      300,
    );

    // someone else drops the regex while the form is open: saving is refused, their change stays
    await page.getByTestId('probe-edit-site').click();
    await page.getByTestId('probe-form').waitFor();
    const other = await platform.api.call('PUT', `${probesApi}/site`, {
      kind: 'http',
      url: edited.url,
      latencyThresholdMs: 800,
      intervalSeconds: 1,
      expectedUpdatedAt: edited.updatedAt,
    });
    assert.equal(other.status, 200, JSON.stringify(other.body));
    await page.getByTestId('probe-form-interval').fill('2');
    await page.getByTestId('probe-form-ok').click();
    // the form's alert sits above the form in the dialog
    const refused = page.locator('.ant-modal .ant-alert');
    await refused.waitFor();
    assert.match(await refused.innerText(), /changed by admin .* after you read it/);
    await page.keyboard.press('Escape');
    await page.getByTestId('probe-form').waitFor({ state: 'detached' });
    const now = (await platform.api.get<SiteProbe>(`${probesApi}/site`)).body;
    assert.equal(now.bodyMustMatch, null);
    assert.equal(now.intervalSeconds, 1);
    await eventually(
      async () => (await stateOf('site').innerText()) === 'up',
      'up again without the regex',
      60_000,
      300,
    );
    // the list was read again: the next edit starts from that change and is saved
    await page.getByTestId('probe-edit-site').click();
    assert.equal(await page.getByTestId('probe-form-must-match').inputValue(), '');
    await page.getByTestId('probe-form-interval').fill('2');
    await page.getByTestId('probe-form-ok').click();
    await page.getByTestId('probe-form').waitFor({ state: 'detached' });
    assert.equal((await platform.api.get<SiteProbe>(`${probesApi}/site`)).body.intervalSeconds, 2);
    // and it runs on at its new interval: Prometheus scrapes its target every 2 s, up (the state
    // column alone could still show the 1 s samples for a few seconds after the save)
    await eventually(
      async () => {
        const res = await fetch(`${mon.prometheusUrl}/api/v1/targets?scrapePool=berth-probes`);
        const targets = (
          (await res.json()) as {
            data: {
              activeTargets: Array<{
                labels: Record<string, string>;
                scrapeInterval: string;
                health: string;
              }>;
            };
          }
        ).data.activeTargets;
        const t = targets.find((x) => x.labels.berth_probe === 'site');
        return t?.scrapeInterval === '2s' && t.health === 'up';
      },
      'the site probe scraped at 2 s by Prometheus',
      60_000,
      300,
    );
    await eventually(
      async () => (await stateOf('site').innerText()) === 'up',
      'up at the new interval',
      60_000,
      300,
    );
  });

  void it('refuses a target the project does not own at the URL field', async () => {
    await page.getByTestId('create-probe').click();
    await page.getByTestId('probe-form-name').fill('elsewhere');
    await page.getByTestId('probe-form-url').fill('http://shop.elsewhere.test/');
    await page.getByTestId('probe-form-ok').click();
    const error = page.getByTestId('probe-form').locator('.ant-form-item-explain-error');
    await error.first().waitFor();
    assert.match(await error.first().innerText(), /not the host of a route of shop\/test/);
    await page.keyboard.press('Escape');
    await page.getByTestId('probe-form').waitFor({ state: 'detached' });
    assert.equal((await platform.api.get(`${probesApi}/elsewhere`)).status, 404);
  });

  void it('shows the site monitoring page in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.goto(`${platform.url}/p/shop/test/probes`);
    await page.getByTestId('probe-site').waitFor();
    let shown = '';
    await eventually(
      async () => (shown = await stateOf('site').innerText()) === '正常',
      '正常',
      30_000,
      300,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the state column says '${shown}'`);
    });
    const text = await page.locator('.app-content').innerText();
    for (const word of ['站点监控', '添加探测', '目标', '24 小时可用率', '间隔', '告警策略'])
      assert.ok(text.includes(word), word);
    await page.getByTestId('probe-site').click();
    await page.getByTestId('probe-chart-site').waitFor();
    assert.match(await page.getByTestId('probe-uptime-site').innerText(), /1h 可用率/);
    await page.getByTestId('create-probe').click();
    const form = (await page.getByTestId('probe-form').innerText()).replace(/ /g, '');
    for (const word of ['名称', '类型', '期望状态码', '响应内容匹配时失败', '延迟阈值', '同时创建告警策略'])
      assert.ok(form.includes(word), word);
    await browser.screenshot('probe-form-zh', 1366, 768);
    await page.keyboard.press('Escape');
    await page.getByTestId('probe-form').waitFor({ state: 'detached' });
    await page.getByTestId('probe-edit-site').click();
    // antd puts a space between two CJK characters of a button: compare without spaces
    const edit = (await page.locator('.ant-modal').innerText()).replace(/ /g, '');
    for (const word of ['编辑探测site', '保存', '其告警策略probe-site保持不变'])
      assert.ok(edit.includes(word), word);
    await page.keyboard.press('Escape');
    await page.getByTestId('probe-form').waitFor({ state: 'detached' });
  });

  void it('deletes the probe and its alert rule', async () => {
    await page.getByTestId('probe-delete-site').click();
    await page.getByTestId('probe-delete-ok-site').click();
    await page.getByTestId('probes-empty').waitFor();
    assert.equal(
      (await platform.api.get('/api/v1/projects/shop/envs/test/alert-rules/probe-site')).status,
      404,
    );
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      { urlEnds: probesApi, status: 422 },
      // the edit test: a URL not owned, and a change made meanwhile
      { urlEnds: `${probesApi}/site`, status: 422 },
      { urlEnds: `${probesApi}/site`, status: 409 },
    ]);
    assert.deepEqual(problems, []);
  });
});
