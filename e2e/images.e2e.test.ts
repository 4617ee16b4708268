import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  adminPassword,
  makeProject,
  startPlatform,
  testImage,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { localHelpers } from '../packages/server/src/supervisor/helpers.ts';
import { supervisedHelper, type HelperProcess } from '../packages/server/src/supervisor/helper-process.ts';
import { pushImage } from '../packages/server/test/helpers/local-registry.ts';
import { freePort } from '../packages/server/test/helpers/net.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { closeDrawer, logIn, portalSession } from './helpers/session.ts';

describe('images in the portal (browser, real registry)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let registry: HelperProcess;
  let host: string;

  portalSession(
    {
      start: async () => {
        host = `127.0.0.1:${await freePort()}`;
        return startPlatform({ BERTH_REGISTRY_LISTEN: host });
      },
      seed: async (platform) => {
        localHelpers(platform.server.ctx.config, platform.server.app.log, {
          registryListen: host,
          tokenRealm: platform.url,
        });
        registry = supervisedHelper(platform.dataDir, 'registry')!;
        await registry.start();
        await makeProject(platform.api, 'shop');
        await pushImage(testImage, host, 'shop/web:1');
        await pushImage(testImage, host, 'shop/web:2');
        const svc = await platform.api.post('/api/v1/projects/shop/envs/test/services', {
          name: 'web',
          spec: { image: `${host}/shop/web:1`, command: ['sleep', '3600'], replicas: 1 },
        });
        assert.equal(svc.status, 202);
      },
      teardown: async () => {
        await registry?.stop();
      },
    },
    (s) => ({ platform, browser, page } = s),
  );

  it('browses repositories and tags, and deletes a tag after a confirmation naming its sharing tags', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    // The header menu has an Images item (it may sit in the overflow menu on narrow screens). On a
    // cold load the header's menu comes one frame after the first paint (AfterFirstPaint).
    await page.locator('.app-header a[href="/images"]').first().waitFor({ state: 'attached' });
    await page.goto(`${platform.url}/images`);
    await page.waitForURL(/\/images$/);
    await page.getByTestId('repo-link-shop/web').click();
    await page.waitForURL(/\/images\/r\/local\/shop\/web$/);
    const table = page.getByTestId('tags-table');
    await table.getByText('shop/test/web').first().waitFor();
    const rows = table.locator('tbody tr.ant-table-row');
    assert.equal(await rows.count(), 2);
    const first = await rows.first().innerText();
    assert.match(first, /\b1\b/);
    assert.match(first, /\d+(\.\d+)? MiB/);
    assert.match(first, /linux\/amd64/);
    await browser.screenshot('images-tags', 1366, 768);

    await page.getByTestId('delete-tag-2').click();
    const modal = page.getByTestId('delete-tag-modal');
    await modal.getByTestId('delete-sharing').waitFor();
    assert.match(await modal.getByTestId('delete-sharing').innerText(), /Tags deleted with it: 1/);
    assert.match(await modal.innerText(), /Running services use this image: shop\/test\/web/);
    const ok = modal.getByRole('button', { name: 'Delete' });
    assert.ok(await ok.isDisabled(), 'a used image needs the force box');
    await modal.getByText('Delete even though services use it').click();
    await ok.click();
    await page.getByText(/Deleted [0-9a-f]{12} \(tags: 1, 2\)/).waitFor();
    await page.getByText('This repository has no tags').waitFor();
    const tags = await platform.api.get<{ items: unknown[] }>(
      '/api/v1/registries/local/repositories/shop/web/tags',
    );
    assert.deepEqual(tags.body.items, [], 'the registry has no tags left');
    assert.deepEqual(unexpectedProblems(browser.problems, [{ urlEnds: '/api/v1/me', status: 401 }]), []);
  });

  it('garbage-collects from the images page and follows the task; tests a registry connection', async () => {
    await page.goto(`${platform.url}/images`);
    await page.getByTestId('gc-button').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Garbage-collect' }).click();
    const card = page.getByTestId('task-card').first();
    await card.waitFor();
    await page
      .locator('[data-testid="task-card"][data-task-state="succeeded"]')
      .first()
      .waitFor({ timeout: 60_000 });
    await card
      .getByText(/freed \d+ blobs, \d+ bytes/)
      .first()
      .waitFor();
    await closeDrawer(page);
    await page.goto(`${platform.url}/images/registries`);
    await page.getByTestId('test-registry-local').click();
    await page.getByText(/answered \/v2\/ with 200/).waitFor();
  });

  it('shows and edits registry access: assignments and public repositories, local images too', async () => {
    await page.goto(`${platform.url}/images/registries`);
    await page.getByTestId('registry-login-hint').getByText(`podman login ${host}`).waitFor();
    // The seeded public local images are listed.
    const local = page.getByTestId('public-repos-local-store');
    await local.getByText('berth-busybox').waitFor();
    assert.ok(await local.getByText('berth-node').isVisible());
    // codeflow's layers can never be public: the refusal shows at the input.
    await page.getByTestId('public-repo-input-local-store').fill('berth-pre/x');
    await page.getByTestId('public-repo-add-local-store').click();
    await local.getByText(/berth-pre\/… cannot be public/).waitFor();
    await page.getByTestId('access-registry-local').click();
    const dialog = page.locator('.ant-modal');
    await page.getByTestId('assign-name').fill('team-shop');
    await page.getByTestId('assign-add').click();
    await page.getByTestId('public-repo-input-local').fill('shop/base');
    await page.getByTestId('public-repo-add-local').click();
    await dialog.getByText('shop/base').waitFor();
    await page.getByTestId('save-access').click();
    const table = page.getByTestId('registries-table');
    await table.getByText('team-shop').waitFor();
    await table.getByText('shop/base').waitFor();
    const r = await platform.api.get<{ assignedTo: unknown; publicRepositories: unknown }>(
      '/api/v1/registries/local',
    );
    assert.deepEqual(r.body.assignedTo, [{ kind: 'team', name: 'team-shop' }]);
    assert.deepEqual(r.body.publicRepositories, ['shop/base']);
  });

  it('shows a refused image at the service form’s image field', async () => {
    const res = await platform.api.post<{ error: { code: string } }>('/api/v1/users', {
      name: 'dev-other',
      password: 'pw-dev-other-secret',
    });
    assert.equal(res.status, 201);
    await makeProject(platform.api, 'other');
    await platform.api.post('/api/v1/bindings', {
      user: 'dev-other',
      role: 'developer',
      scope: { kind: 'project', name: 'other' },
    });
    // The browser, as the developer of another project, tries shop's image.
    await page.context().clearCookies();
    await logIn(page, platform.url, 'dev-other', 'pw-dev-other-secret');
    await page.goto(`${platform.url}/p/other/test/new`);
    await page.fill('#svc-name', 'stolen');
    await page.fill('#svc-image', `${host}/shop/web:1`);
    await page.getByTestId('form-submit').click();
    const imageItem = page.locator('.ant-form-item').filter({ has: page.locator('#svc-image') });
    await imageItem.locator('.ant-form-item-explain-error').first().waitFor();
    assert.match(await imageItem.innerText(), /belongs to project 'shop'.*Push the image to/s);
    const list = await platform.api.get<{ items: unknown[] }>('/api/v1/projects/other/envs/test/services');
    assert.deepEqual(list.body.items, [], 'nothing was created');
    // Back to the admin for the next test.
    await page.context().clearCookies();
    await logIn(page, platform.url, 'admin', adminPassword);
  });

  it('shows the page in Chinese', async () => {
    await page.goto(`${platform.url}/images`);
    await page.evaluate("localStorage.setItem('berth.lang', 'zh-CN')");
    await page.reload();
    await page.getByText('镜像管理').waitFor();
    assert.ok(await page.getByText('管理镜像仓库').isVisible());
  });
});
