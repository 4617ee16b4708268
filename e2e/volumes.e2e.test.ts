/**
 * An environment's volumes in the portal: a platform admin adds a class, a volume is created
 * (whether its size is enforced shown as the API says), a tar imported through the file picker and
 * exported as a download with the same bytes, deletion refused while a service mounts it and done
 * once it does not, and the page in Chinese; in a real browser against a real Berth.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { volumeApiRoutes } from '../packages/web/src/features/volumes/volumes-api.ts';
import { adminPassword, testImage, type TestPlatform } from '../packages/server/test/helpers/platform.ts';
import { readTar } from '../packages/server/test/helpers/volumes.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { logIn, portalSession } from './helpers/session.ts';

const volsApi = '/api/v1/projects/shop/envs/test/volumes';
const servicesApi = '/api/v1/projects/shop/envs/test/services';

void describe('volumes in the portal (browser)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-e2e-volumes-'));

  portalSession(
    { server: { BERTH_GATEWAY_LISTEN: 'off' }, projects: ['shop'] },
    (s) => ({ platform, browser, page } = s),
  );
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    for (const v of await platform.engine
      .listVolumes({ 'berth.instance': platform.instanceId })
      .catch(() => []))
      await platform.engine.removeVolume(v.name).catch(() => undefined);
  });

  const row = (name: string) => page.getByTestId('volumes-table').locator('tr').filter({ hasText: name });

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(volumeApiRoutes));
  });

  void it('adds a class as platform admin and creates a volume, showing whether its size is enforced', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/p/shop/test/volumes`);
    await page.getByTestId('volumes-table').waitFor();

    await page.getByTestId('add-volume-class').click();
    await page.fill('#class-name', 'fast');
    await page.fill('#class-max', '2048');
    await page.getByTestId('volume-class-form-ok').click();
    await page.getByTestId('volume-class-form').waitFor({ state: 'detached' });
    await page.getByTestId('volume-classes').locator('tr').filter({ hasText: 'fast' }).waitFor();

    await page.getByTestId('add-volume').click();
    await page.fill('#volume-name', 'data');
    await page.locator('#volume-class').click();
    await page.locator('.ant-select-item-option').filter({ hasText: 'fast (local)' }).click();
    await page.fill('#volume-size', '16');
    await page.getByTestId('volume-form-ok').click();
    await page.getByTestId('volume-form').waitFor({ state: 'detached' });
    await row('data').waitFor();
    const v = (await platform.api.get<{ sizeEnforced: boolean }>(`${volsApi}/data`)).body;
    const tag = await page.getByTestId('volume-enforced-data').innerText();
    assert.equal(tag, v.sizeEnforced ? 'enforced' : 'not enforced');
    assert.match(await page.getByTestId('volume-usage-data').innerText(), /^\d+(\.\d+)? ?[KMG]?i?B$/);
  });

  void it('imports a tar through the file picker and exports the same bytes as a download', async () => {
    const src = path.join(dir, 'src');
    mkdirSync(src);
    writeFileSync(path.join(src, 'greeting.txt'), 'hello from the portal\n');
    const tarFile = path.join(dir, 'in.tar');
    assert.equal(spawnSync('tar', ['-cf', tarFile, '-C', src, '.']).status, 0);
    const chooser = page.waitForEvent('filechooser');
    await page.getByTestId('import-volume-data').click();
    await (await chooser).setFiles(tarFile);
    await page.locator('.ant-message').getByText('Imported into data.').waitFor();

    const download = page.waitForEvent('download');
    await page.getByTestId('export-volume-data').click();
    const file = await (await download).path();
    const files = readTar(readFileSync(file));
    assert.equal(files.get('greeting.txt')?.content.toString('utf8'), 'hello from the portal\n');
  });

  void it('refuses to delete a volume a service mounts, naming it, and deletes it once unmounted', async () => {
    const svc = await platform.api.post(servicesApi, {
      name: 'app',
      spec: {
        image: testImage,
        command: ['sleep', '1000'],
        replicas: 0,
        mounts: [{ volume: 'data', path: '/data' }],
      },
    });
    assert.equal(svc.status, 202, JSON.stringify(svc.body));
    await page.reload();
    await row('data').getByText('app').waitFor();
    await page.getByTestId('remove-volume-data').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Confirm' }).click();
    await page
      .locator('.ant-message')
      .getByText(/mounted by service 'app'/)
      .waitFor();
    assert.equal((await platform.api.get(`${volsApi}/data`)).status, 200);

    assert.equal((await platform.api.delete(`${servicesApi}/app`)).status, 202);
    const deadline = Date.now() + 60_000;
    while ((await platform.api.get(`${servicesApi}/app`)).status !== 404) {
      assert.ok(Date.now() < deadline, 'the service is deleted');
      await new Promise((r) => setTimeout(r, 200));
    }
    await page.getByTestId('remove-volume-data').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Confirm' }).click();
    await page.locator('.ant-message').getByText('Volume data deleted.').waitFor();
    await page.getByTestId('volumes-table').getByText('No volumes in this environment').waitFor();
  });

  void it('shows the volumes page in Chinese', async () => {
    assert.equal((await platform.api.post(volsApi, { name: 'logs', class: 'fast', sizeMiB: 8 })).status, 201);
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.goto(`${platform.url}/p/shop/test/volumes`);
    await row('logs').waitFor();
    const body = await page.locator('.app-content').innerText();
    for (const word of ['存储卷', '存储类', '挂载者', '未挂载', '单个集群'])
      assert.ok(body.includes(word), word);
    assert.ok(body.includes('强制生效'), 'the enforcement tag');
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      { urlEnds: `${volsApi}/data`, status: 409 },
    ]);
    assert.deepEqual(problems, []);
  });
});
