/**
 * TCP/UDP entry points in the portal, in a real browser against a real Berth with its local
 * gateway Nginx: a platform admin assigns a port of env test to project shop (a privileged port is
 * refused at its field); a developer of shop maps it to the running service web, sees it listed
 * with the gateway address, reaches the service over TCP there, edits it (a concurrent change is a
 * 409 shown in the dialog; the retry succeeds); a developer of rival sees no assignable port and
 * the API's refusal of shop's port at the port field.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { EntryPointView, PortAssignmentView } from '@berth/shared';
import { entryPointApiRoutes } from '../packages/web/src/features/entry-points/entry-points-api.ts';
import { freePort, rawHttpGet } from '../packages/server/test/helpers/net.ts';
import {
  startGatewayPlatform,
  type GatewayPlatform,
} from '../packages/server/test/helpers/gateway-platform.ts';
import { adminPassword, eventually, makeProject } from '../packages/server/test/helpers/platform.ts';
import { openBrowser, pickOption, unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { fieldError, logIn, portalSession, seedWebService } from './helpers/session.ts';

const devPassword = 'dev-password-for-tests';
const shopPoints = '/api/v1/projects/shop/envs/test/entry-points';
const rivalPoints = '/api/v1/projects/rival/envs/test/entry-points';

async function addDeveloper(platform: GatewayPlatform, user: string, project: string): Promise<void> {
  const u = await platform.api.post('/api/v1/users', { name: user, password: devPassword });
  assert.equal(u.status, 201, JSON.stringify(u.body));
  const b = await platform.api.post('/api/v1/bindings', {
    user,
    role: 'developer',
    scope: { kind: 'project', name: project },
  });
  assert.equal(b.status, 201, JSON.stringify(b.body));
}

/** Picks `label` in the antd Select whose input is `selector`. */
void describe('TCP/UDP entry points in the portal (browser)', { timeout: 400_000 }, () => {
  let platform: GatewayPlatform;
  let browser: TestBrowser;
  let page: Page;
  let port = 0;

  portalSession<GatewayPlatform>(
    {
      start: () => startGatewayPlatform(),
      seed: async (p) => {
        await seedWebService(p.api, 'shop');
        await makeProject(p.api, 'rival');
        // rival has a service of its own (no replicas), so its developer can fill in the form
        const r = await p.api.post('/api/v1/projects/rival/envs/test/services', {
          name: 'cache',
          spec: { image: 'localhost/berth-busybox:1', replicas: 0, ports: [{ containerPort: 6379 }] },
        });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        await addDeveloper(p, 'dev', 'shop');
        await addDeveloper(p, 'rival-dev', 'rival');
        port = await freePort();
      },
    },
    (s) => ({ platform, browser, page } = s),
  );

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(entryPointApiRoutes));
  });

  void it('lets a platform admin assign a port to a project (a privileged port refused at its field)', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.getByRole('link', { name: 'Gateways' }).click();
    await page.getByTestId('open-entry-ports').click();
    await page.waitForURL(/\/entry-ports\/test$/);
    await page.getByTestId('entry-ports-table').waitFor();

    await page.getByTestId('assign-entry-ports').click();
    await pickOption(page, '#entry-ports-project', 'shop');
    await page.fill('#entry-ports-port', '80');
    await page.getByTestId('entry-ports-form-ok').click();
    assert.match(await fieldError(page, '#entry-ports-port'), /below 1024/);

    await page.fill('#entry-ports-port', String(port));
    await page.getByTestId('entry-ports-form-ok').click();
    await page.getByTestId('entry-ports-form').waitFor({ state: 'detached' });
    const row = page
      .getByTestId('entry-ports-table')
      .locator('tr')
      .filter({ hasText: String(port) });
    await row.waitFor();
    assert.match(await row.innerText(), /TCP[\s\S]*shop[\s\S]*free/);
    const ports = await platform.api.get<{ items: PortAssignmentView[] }>('/api/v1/envs/test/entry-ports');
    assert.deepEqual(
      ports.body.items.map((p) => [p.protocol, p.port, p.project]),
      [['tcp', port, 'shop']],
    );
    await browser.screenshot('entry-ports-admin-en', 1366, 768);
  });

  void it("lets shop's developer map the port to the running service and reach it there", async () => {
    const dev = await openBrowser();
    try {
      const p = dev.page;
      p.setDefaultTimeout(30_000);
      await logIn(p, platform.url, 'dev', devPassword);
      await p.getByRole('link', { name: 'Routes' }).click();
      await p.getByTestId('open-entry-points').click();
      await p.waitForURL(/\/p\/shop\/test\/entry-points$/);
      await p.getByTestId('entry-points-empty').waitFor();
      await p.getByTestId(`entry-port-tcp/${port}`).waitFor();

      await p.getByTestId('create-entry-point').click();
      await p.getByTestId(`pick-port-${port}`).click();
      assert.equal(await p.locator('#entry-point-port').inputValue(), String(port));
      await pickOption(p, '#entry-point-service', 'web');
      await p.getByTestId('entry-point-form-ok').click();
      await p.getByTestId('entry-point-form').waitFor({ state: 'detached' });

      const row = p.getByTestId('entry-points-table').locator('tr').filter({ hasText: 'web:8080' });
      await row.waitFor();
      const host = platform.listen.slice(0, platform.listen.lastIndexOf(':'));
      const address = `${host}:${port}`;
      await row.getByText(address).waitFor();
      assert.match(await row.innerText(), new RegExp(`TCP[\\s\\S]*${port}[\\s\\S]*web:8080[\\s\\S]*Healthy`));
      await p.getByTestId(`entry-port-tcp/${port}`).filter({ hasText: 'in use' }).waitFor();
      // the address the page shows serves the service over TCP
      await eventually(async () => (await rawHttpGet(host, port).catch(() => '')) === 'v1', 'v1 over TCP');
      await dev.screenshot('entry-points-en', 1366, 768);

      // an edit whose entry point changed meanwhile is refused (409) in the dialog; the retry works
      await p.getByTestId(`edit-entry-point-tcp/${port}`).click();
      await p.fill('#entry-point-timeout', '3600');
      const changed = await platform.api.put(`${shopPoints}/tcp/${port}`, { version: 1, maxFails: 3 });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      await p.getByTestId('entry-point-form-ok').click();
      const alert = p.getByTestId('entry-point-form').locator('xpath=..').locator('.ant-alert-error');
      await alert.waitFor();
      assert.match(await alert.innerText(), /changed since you read it/);
      await p.getByTestId('entry-point-form-ok').click();
      await p.getByTestId('entry-point-form').waitFor({ state: 'detached' });
      const saved = await platform.api.get<EntryPointView>(`${shopPoints}/tcp/${port}`);
      assert.equal(saved.body.version, 3);
      assert.equal(saved.body.timeoutSeconds, 3600);
      assert.equal(
        saved.body.maxFails,
        3,
        'the other change is kept (an edit sends only what the user changed)',
      );

      // the page in Chinese
      await p.locator('.user-menu').click();
      await p.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
      await p.getByText('TCP/UDP 入口').waitFor();
      await p.getByText('分配给本项目的入口端口').waitFor();
      await dev.screenshot('entry-points-zh', 1366, 768);

      assert.deepEqual(
        unexpectedProblems(dev.problems, [
          { urlEnds: '/api/v1/me', status: 401 },
          { urlEnds: `${shopPoints}/tcp/${port}`, status: 409 },
        ]),
        [],
      );
    } finally {
      await dev.close();
    }
  });

  void it("shows rival's developer no assignable port, and the API's refusal of shop's port", async () => {
    const rival = await openBrowser();
    try {
      const p = rival.page;
      p.setDefaultTimeout(30_000);
      await logIn(p, platform.url, 'rival-dev', devPassword);
      await p.goto(`${platform.url}/p/rival/test/entry-points`);
      await p.getByTestId('entry-ports-none').waitFor();
      await p.getByTestId('entry-points-empty').waitFor();
      assert.equal(await p.getByTestId(`entry-port-tcp/${port}`).count(), 0);

      await p.getByTestId('create-entry-point').click();
      const free = p.getByTestId('entry-point-free-ports');
      await free.waitFor();
      assert.match(await free.innerText(), /No free assigned TCP port/);
      assert.equal(await p.getByTestId(`pick-port-${port}`).count(), 0);
      await p.fill('#entry-point-port', String(port));
      await pickOption(p, '#entry-point-service', 'cache');
      await p.getByTestId('entry-point-form-ok').click();
      assert.match(await fieldError(p, '#entry-point-port'), /not assigned to this project/);
      await rival.screenshot('entry-points-refused-en', 1366, 768);

      assert.equal((await platform.api.get<{ items: unknown[] }>(rivalPoints)).body.items.length, 0);
      const shop = await platform.api.get<{ items: EntryPointView[] }>(shopPoints);
      assert.deepEqual(
        shop.body.items.map((e) => [e.port, e.serviceName]),
        [[port, 'web']],
      );
      assert.deepEqual(
        unexpectedProblems(rival.problems, [
          { urlEnds: '/api/v1/me', status: 401 },
          { urlEnds: rivalPoints, status: 403 },
        ]),
        [],
      );
    } finally {
      await rival.close();
    }
  });

  void it('deletes the entry point (with its version), then the admin releases the port', async () => {
    await page.goto(`${platform.url}/p/shop/test/entry-points`);
    await page.getByTestId(`delete-entry-point-tcp/${port}`).click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('entry-points-empty').waitFor();
    assert.equal((await platform.api.get<{ items: unknown[] }>(shopPoints)).body.items.length, 0);

    await page.goto(`${platform.url}/entry-ports/test`);
    const row = page
      .getByTestId('entry-ports-table')
      .locator('tr')
      .filter({ hasText: String(port) });
    await row.filter({ hasText: 'free' }).waitFor();
    await page.getByTestId(`release-entry-port-tcp/${port}`).click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Release' }).click();
    await row.waitFor({ state: 'detached' });
    const left = await platform.api.get<{ items: unknown[] }>('/api/v1/envs/test/entry-ports');
    assert.equal(left.body.items.length, 0);
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      { urlEnds: '/api/v1/envs/test/entry-ports', status: 400 },
      { urlEnds: '/api/v1/envs/test/entry-ports', status: 422 },
    ]);
    assert.deepEqual(problems, []);
  });
});
