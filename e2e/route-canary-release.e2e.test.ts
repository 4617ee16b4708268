import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { labelKeys } from '@berth/engine-api';
import { viaGateway } from '../packages/server/test/helpers/gateway-load.ts';
import { grantZone } from '../packages/server/test/helpers/tenancy.ts';
import {
  startGatewayPlatform,
  type GatewayPlatform,
} from '../packages/server/test/helpers/gateway-platform.ts';
import {
  adminPassword,
  eventually,
  makeProject,
  waitTask,
  webSpec,
} from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { logIn, portalSession } from './helpers/session.ts';

const host = 'shop.rc-portal.test';
const routesApi = '/api/v1/projects/rc/envs/test/routes';

describe('canary to a release in the portal (browser, real Podman and Nginx)', { timeout: 300_000 }, () => {
  let platform: GatewayPlatform;
  let browser: TestBrowser;
  let page: Page;

  const bodies = async (n: number) => {
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i += 1) {
      const r = await viaGateway(platform.listen, host);
      const key = r.status === 200 ? r.body : `status ${r.status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  };

  portalSession(
    {
      start: () => startGatewayPlatform(),
      seed: async (platform) => {
        const services = await makeProject(platform.api, 'rc');
        await grantZone(platform.api, 'rc-portal.test', 'rc');
        const created = await platform.api.post<{ task: { id: string } }>(services, {
          name: 'web',
          spec: webSpec('v1', 1),
        });
        assert.equal((await waitTask(platform.api, created.body.task.id)).state, 'succeeded');
        const up = await platform.api.put<{ task: { id: string } }>(`${services}/web`, {
          spec: webSpec('v2', 1),
        });
        assert.equal((await waitTask(platform.api, up.body.task.id)).state, 'succeeded');
        const route = await platform.api.post(routesApi, {
          name: 'shop',
          spec: { host, backends: { service: { name: 'web' } } },
        });
        assert.equal(route.status, 201, JSON.stringify(route.body));
      },
    },
    (s) => ({ platform, browser, page } = s),
  );

  it('starts a 50% canary to release 1, then promotes it: the service rolls and the canary ends', async () => {
    await logIn(page, platform.url, 'admin', adminPassword, { landed: /\/p\/rc\/test$/ });
    await page.goto(`${platform.url}/p/rc/test/routes/shop`);
    const panel = page.getByTestId('canary-panel');
    await panel.getByText('Another release of web').click();
    await page.fill('#canary-percent', '50');
    await page.locator('#canary-release').click();
    const running = page.locator('.ant-select-item-option').filter({ hasText: 'Release 2 (running now)' });
    await running.waitFor();
    assert.match(
      (await running.getAttribute('class')) ?? '',
      /disabled/,
      'the running release is not a choice',
    );
    await page
      .locator('.ant-select-item-option')
      .filter({ hasText: /^Release 1/ })
      .click();
    await page.getByTestId('canary-start').click();
    await page.locator('[data-testid="canary-panel"][data-canary="on"]').waitFor();
    assert.match(await page.getByTestId('canary-state').innerText(), /50% of requests[\s\S]*Release 1/);
    await eventually(async () => (await bodies(10)).has('v1'), 'release 1 serves the canary share');
    const split = await bodies(200);
    const v1 = split.get('v1') ?? 0;
    assert.equal(v1 + (split.get('v2') ?? 0), 200, JSON.stringify([...split]));
    assert.ok(v1 >= 60 && v1 <= 140, `50% canary sent ${v1}/200 to release 1`);
    await browser.screenshot('canary-release-en', 1366, 768);

    await page.getByTestId('canary-promote').click();
    const pop = page.locator('.ant-popconfirm');
    assert.match(await pop.innerText(), /Roll web to release 1\?/);
    await pop.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('[data-testid="canary-panel"][data-canary="off"]').waitFor({ timeout: 90_000 });
    assert.deepEqual([...(await bodies(30))], [['v1', 30]]);
    const svc = await platform.api.get<{ release: number }>('/api/v1/projects/rc/envs/test/services/web');
    assert.equal(svc.body.release, 1);
    await eventually(
      async () =>
        (
          await platform.engine.listContainers({
            [labelKeys.instance]: platform.instanceId,
            [labelKeys.canary]: 'true',
          })
        ).length === 0,
      'canary containers removed',
    );
    assert.deepEqual(unexpectedProblems(browser.problems, [{ urlEnds: '/api/v1/me', status: 401 }]), []);
  });
});
