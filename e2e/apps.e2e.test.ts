/**
 * The app store in the portal (issue 16): the catalog is browsed from an environment's instances
 * page, Redis is installed through the form with a parameter changed (a limit enforced by the input,
 * an API error shown at its field), the password is shown once, the instance becomes running with
 * its member, the connection info is copied (read back from the clipboard, and the copied URI
 * answers redis-cli), a backup made and restored from the Backups card (a deleted key comes back),
 * and the same pages in Chinese — a second backup and restore there — end with a delete that keeps
 * the volume; in a real browser against a real Berth and Podman.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { appApiRoutes } from '../packages/web/src/features/apps/apps-api.ts';
import { backupApiRoutes } from '../packages/web/src/features/apps/backups-api.ts';
import { adminPassword, eventually, type TestPlatform } from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { fieldError, logIn, portalSession } from './helpers/session.ts';
import { appImagesBuilt } from '../packages/server/test/helpers/app-images.ts';

// under npm test the images are built beside the first test files (helpers/app-images.ts)
await appImagesBuilt();

const instancesApi = '/api/v1/projects/shop/envs/test/app-instances';
const redisImage = 'localhost/berth-apps/redis:7';

interface Detail {
  state: string;
  params: Record<string, unknown>;
  connection: { host: string | null; port: number | null; uri: string | null };
}

void describe('app store in the portal (browser)', { timeout: 900_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let redisBuilt = false;
  let password = '';

  portalSession(
    {
      server: { BERTH_GATEWAY_LISTEN: 'off' },
      projects: ['shop'],
      seed: async (p) => {
        assert.equal((await p.api.put('/api/v1/volume-classes/local', { kind: 'local' })).status < 300, true);
        redisBuilt = (await p.engine.inspectImage(redisImage).catch(() => null)) !== null;
      },
    },
    (s) => ({ platform, browser, page } = s),
  );
  after(async () => {
    for (const v of await platform.engine
      .listVolumes({ 'berth.instance': platform.instanceId })
      .catch(() => []))
      await platform.engine.removeVolume(v.name).catch(() => undefined);
  });

  const clipboard = () => page.evaluate<string>('navigator.clipboard.readText()');
  /** redis-cli through the instance's current address (a restore restarts the member on a new port). */
  const redisCliNow = (...args: string[]) =>
    spawnSync(
      'redis-cli',
      ['--no-auth-warning', '-h', '127.0.0.1', '-p', String(currentPort), '-a', password, ...args],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    ).stdout.trim();
  let currentPort = 0;
  const backupIds = async () =>
    (await platform.api.get<{ items: { id: string }[] }>(`${instancesApi}/cache/backups`)).body.items.map(
      (b) => b.id,
    );
  const onlyBackup = () => eventually(async () => (await backupIds())[0] ?? null, 'a backup listed', 60_000);
  /** Restore from the card: the confirmation says what happens, then the current port is re-read. */
  const restoreFrom = async (id: string, explain: RegExp, ok: string) => {
    await page.getByTestId(`app-backup-restore-${id}`).click();
    const confirm = page.locator('.ant-modal').filter({ has: page.getByText(explain) });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: ok }).click();
    await confirm.waitFor({ state: 'hidden' });
    await eventually(
      async () => {
        const d = (await platform.api.get<Detail & { state: string }>(`${instancesApi}/cache`)).body;
        const restore = (
          await platform.api.get<{ restore: { state: string } | null }>(`${instancesApi}/cache/backups`)
        ).body.restore;
        if (restore?.state === 'failed') throw new Error('the restore failed');
        if (restore?.state !== 'succeeded' || d.state !== 'running' || !d.connection.port) return false;
        currentPort = d.connection.port;
        return true;
      },
      'restored and running again',
      240_000,
    );
  };
  const needsRedis = (t: { skip: (m: string) => void }) => {
    if (redisBuilt) return false;
    t.skip(`${redisImage} is not built: run scripts/app-images.sh redis`);
    return true;
  };

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, [
      ...Object.values(appApiRoutes),
      ...Object.values(backupApiRoutes),
    ]);
  });

  void it('browses the catalog from the instances page', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: platform.url });
    await page.goto(`${platform.url}/p/shop/test/apps`);
    await page.getByTestId('app-instances-table').getByText('No app instances in this environment').waitFor();
    await page.getByTestId('app-instances-install').click();
    await page.waitForURL(/\/apps\?project=shop&env=test$/);
    assert.equal(await page.getByTestId('app-catalog-target').innerText(), 'Installs into shop / test');
    const redis = page.getByTestId('app-card-redis');
    await redis.getByText('Redis', { exact: true }).waitFor();
    const catalog = (
      await platform.api.get<{ items: { name: string; description: { en: string } }[] }>('/api/v1/apps')
    ).body.items;
    for (const app of ['mariadb', 'redis'])
      assert.ok(
        catalog.some((a) => a.name === app),
        `${app} in the catalog the API serves (the cards below are checked against it)`,
      );
    for (const app of catalog)
      assert.equal(await page.getByTestId(`app-description-${app.name}`).innerText(), app.description.en);
    // versions, the latest marked, and the template's notes
    await redis
      .locator('.ant-tag')
      .filter({ hasText: /^7 · latest$/ })
      .waitFor();
    await page.getByTestId('app-note-redis').first().waitFor();
    assert.match(await page.getByTestId('app-note-redis').first().innerText(), /Debian packages/);
  });

  void it('installs Redis with a parameter changed, the limits enforced and the API error at its field', async (t) => {
    if (needsRedis(t)) return;
    await page.getByTestId('app-install-redis').click();
    assert.equal(
      await page.getByTestId('app-install-target').innerText(),
      'Into project shop, environment test.',
    );
    // the defaults are filled in
    assert.equal(await page.inputValue('#app-instance-name'), 'redis');
    assert.equal(await page.inputValue('#app-param-maxmemoryMiB'), '256');
    assert.equal(await page.inputValue('#app-param-volumeClass'), 'local');
    await page.fill('#app-instance-name', 'cache');
    // below the template's minimum (16 MiB): the input holds the limit
    await page.fill('#app-param-maxmemoryMiB', '8');
    await page.locator('.ant-modal-title').click();
    assert.equal(await page.inputValue('#app-param-maxmemoryMiB'), '16');
    await page.fill('#app-param-maxmemoryMiB', '64');
    // a class that does not exist: the server's 422 lands under the field, nothing is created
    await page.fill('#app-param-volumeClass', 'gold');
    await page.locator('.ant-modal-title').click();
    await page.getByTestId('app-install-ok').click();
    assert.match(await fieldError(page, '#app-param-volumeClass'), /gold/);
    assert.equal((await platform.api.get(`${instancesApi}/cache`)).status, 404);

    await page.fill('#app-param-volumeClass', 'local');
    await page.locator('.ant-modal-title').click();
    await page.getByTestId('app-install-ok').click();
    // the install answers once the volume and service are made: slow on a loaded machine
    await page.waitForURL(/\/p\/shop\/test\/apps\/cache$/, { timeout: 120_000 });
    const detail = (await platform.api.get<Detail>(`${instancesApi}/cache`)).body;
    assert.equal(detail.params.maxmemoryMiB, 64, 'the changed parameter was installed');
    assert.equal(detail.params.maxmemoryPolicy, 'noeviction', 'the others kept their defaults');
  });

  void it('shows the password once, with a copy button', async (t) => {
    if (needsRedis(t)) return;
    const value = page.getByTestId('app-password-value');
    await value.waitFor();
    password = await value.inputValue();
    assert.ok(password.length >= 16, 'a generated password');
    assert.ok(
      await page.getByText('This password is shown only now').isVisible(),
      'the dialog says it is not shown again',
    );
    await page.getByTestId('app-password-copy').click();
    assert.equal(await clipboard(), password);
    await page.getByTestId('app-password-done').click();
    await value.waitFor({ state: 'detached' });
  });

  void it('becomes running with its member, and the copied connection info reaches Redis', async (t) => {
    if (needsRedis(t)) return;
    await page
      .locator('[data-testid="app-instance-state"][data-state="running"]')
      .waitFor({ timeout: 180_000 });
    const member = page.getByTestId('app-member-cache');
    assert.equal(await member.getAttribute('href'), '/p/shop/test/s/cache');
    await page.getByTestId('app-member-ready-cache').filter({ hasText: '1/1' }).waitFor();

    const conn = (await platform.api.get<Detail>(`${instancesApi}/cache`)).body.connection;
    assert.ok(conn.port && conn.uri, JSON.stringify(conn));
    assert.equal(await page.getByTestId('app-conn-address-value').innerText(), `127.0.0.1:${conn.port}`);
    await page.getByTestId('app-conn-address-copy').click();
    assert.equal(await clipboard(), `127.0.0.1:${conn.port}`);
    await page.getByTestId('app-conn-uri-copy').click();
    assert.equal(await clipboard(), conn.uri);
    assert.doesNotMatch(conn.uri, new RegExp(password), 'the plain URI holds no password');
    // the page still has the password it was handed: the URI with it, as a client takes it
    await page.getByTestId('app-conn-uriWithPassword-copy').click();
    const uri = await clipboard();
    assert.equal(uri, `redis://default:${encodeURIComponent(password)}@127.0.0.1:${conn.port}`);
    const cli = (...args: string[]) =>
      spawnSync('redis-cli', ['--no-auth-warning', '-u', uri, ...args], {
        encoding: 'utf8',
        timeout: 30_000,
      });
    assert.equal(cli('SET', 'portal', 'copied').stdout.trim(), 'OK');
    currentPort = conn.port;
    assert.equal(cli('GET', 'portal').stdout.trim(), 'copied');

    // a reload shows neither the dialog nor the password; an admin may reveal it
    await page.reload();
    await page.getByTestId('app-conn-password-reveal').waitFor();
    assert.equal(await page.getByTestId('app-password-value').count(), 0);
    assert.equal(await page.getByTestId('app-conn-password-value').count(), 0);
    await page.getByTestId('app-conn-password-reveal').click();
    assert.equal(await page.getByTestId('app-conn-password-value').innerText(), password);
  });

  void it('backs up and restores from the Backups card: a deleted key comes back', async (t) => {
    if (needsRedis(t)) return;
    const card = page.getByTestId('app-backups');
    await card.getByText('No backups yet').waitFor();
    await page.getByTestId('app-backup-now').click();
    const id = await onlyBackup();
    await page
      .getByTestId(`app-backup-state-${id}`)
      .filter({ hasText: 'succeeded' })
      .waitFor({ timeout: 120_000 });
    assert.equal(await page.getByTestId(`app-backup-${id}`).innerText(), id);
    assert.match(await card.innerText(), /on demand/);
    assert.equal(redisCliNow('DEL', 'portal'), '1');
    await restoreFrom(id, /current data of cache is replaced by the backup/, 'Replace the data');
    await page
      .getByTestId('app-restore-state')
      .filter({ hasText: `Restored from ${id}` })
      .waitFor({ timeout: 240_000 });
    await eventually(
      () => Promise.resolve(redisCliNow('GET', 'portal') === 'copied'),
      'the key is back',
      120_000,
    );
  });

  void it('shows the same pages in Chinese and deletes the instance keeping its volume', async (t) => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.goto(`${platform.url}/apps?project=shop&env=test`);
    const zh = (await platform.api.get<{ description: Record<string, string> }>('/api/v1/apps/redis')).body;
    await page.getByTestId('app-description-redis').filter({ hasText: zh.description['zh-CN']! }).waitFor();
    // each card's details (what it creates, notes) come with the app's own request
    await page.getByTestId('app-note-redis').first().waitFor();
    const catalog = await page.locator('.app-content').innerText();
    for (const word of ['应用商店', '安装到 shop / test', '版本', '最新', '将创建'])
      assert.ok(catalog.includes(word), word);
    assert.ok(!catalog.includes('Install'), 'no English button');
    if (needsRedis(t)) return;
    await page.getByTestId('app-install-redis').click();
    const form = await page.locator('.ant-modal').innerText();
    for (const word of ['安装 Redis', '实例名称', '参数', '默认值', '取值范围 16 MiB 至 65536 MiB'])
      assert.ok(form.includes(word), word);
    await page.locator('.ant-modal-close').click();
    await page.locator('.ant-modal').waitFor({ state: 'detached' });

    await page.getByTestId('app-catalog-instances').click();
    await page.getByTestId('app-instance-state-cache').filter({ hasText: '运行中' }).waitFor();
    await page.getByTestId('app-instance-link-cache').click();
    await page.getByTestId('app-connection').waitFor();
    const body = await page.locator('.app-content').innerText();
    for (const word of ['应用实例 cache', '成员', '连接信息', '地址', '用户', '连接串', '显示密码'])
      assert.ok(body.includes(word), word);
    // antd spaces out a two-character Chinese button label
    assert.match(await page.getByTestId('app-conn-address-copy').innerText(), /^复\s?制$/);
    await page.getByTestId('app-conn-address-copy').click();
    await page.locator('.ant-message').getByText('已复制到剪贴板。').waitFor();
    const conn = (await platform.api.get<Detail>(`${instancesApi}/cache`)).body.connection;
    assert.equal(await clipboard(), `127.0.0.1:${conn.port}`);

    // the Backups card in Chinese: a second backup, restored with the confirmation in Chinese
    const card = page.getByTestId('app-backups');
    for (const word of ['备份', '立即备份', '定时备份', '保留'])
      assert.ok((await card.innerText()).includes(word), word);
    const before = await onlyBackup();
    await page.getByTestId('app-backup-now').click();
    const second = await eventually(async () => {
      const ids = await backupIds();
      return ids.find((x) => x !== before) ?? null;
    }, 'the second backup listed');
    await page
      .getByTestId(`app-backup-state-${second}`)
      .filter({ hasText: '成功' })
      .waitFor({ timeout: 120_000 });
    assert.equal(redisCliNow('SET', 'portal', 'changed'), 'OK');
    await restoreFrom(second, /cache 的当前数据将被备份/, '替换数据');
    await page
      .getByTestId('app-restore-state')
      .filter({ hasText: `已从 ${second} 恢复` })
      .waitFor({ timeout: 240_000 });
    await eventually(
      () => Promise.resolve(redisCliNow('GET', 'portal') === 'copied'),
      'the key as backed up',
      120_000,
    );
    await page
      .getByTestId('app-instance-state')
      .and(page.locator('[data-state="running"]'))
      .waitFor({ timeout: 120_000 });

    // delete asks about the volumes and waits for a choice
    await page.getByTestId('app-delete').click();
    const ok = page.getByTestId('app-delete-ok');
    assert.ok(await ok.isDisabled(), 'no choice, no delete');
    await page.getByText('保留存储卷（数据可再次挂载）').click();
    await ok.click();
    // the backups volume is one of the instance's volumes since the first backup: kept too
    await page
      .locator('.ant-message')
      .getByText('cache 已删除；保留的存储卷：cache-data, cache-backups。')
      .waitFor();
    await page.waitForURL(/\/p\/shop\/test\/apps$/);
    await page
      .getByTestId('app-instances-table')
      .getByText('此环境中没有应用实例')
      .waitFor({ timeout: 120_000 });
    await eventually(
      async () => (await platform.api.get(`${instancesApi}/cache`)).status === 404,
      'the instance is gone',
    );
    assert.equal((await platform.api.get('/api/v1/projects/shop/envs/test/volumes/cache-data')).status, 200);
    assert.equal(
      (await platform.api.get('/api/v1/projects/shop/envs/test/volumes/cache-backups')).status,
      200,
    );
    await eventually(
      async () => (await platform.api.get('/api/v1/projects/shop/envs/test/services/cache')).status === 404,
      'its service is deleted',
    );
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      { urlEnds: instancesApi, status: 422 },
    ]);
    assert.deepEqual(problems, []);
  });
});
