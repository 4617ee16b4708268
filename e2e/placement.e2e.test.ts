/**
 * The placement editor in a real browser against a real Berth with two real Podman clusters
 * (`local` and the test fleet's `c1`): the create form divides weighted local:2 c1:1 with 3
 * replicas as 2/1 in its live preview, follows weight changes, speaks Chinese, and the service it
 * creates runs 2 on local and 1 on c1, as its overview says; the edit form shows the placement
 * again with now → after counts, and a placement the environment no longer allows is refused at
 * the cluster's row.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { PodmanEngine } from '@berth/engine-podman';
import { fleetClusters, type FleetCluster } from '../packages/server/test/helpers/clusters.ts';
import {
  adminPassword,
  eventually,
  makeProject,
  removeInstanceContainers,
  startPlatform,
  testImage,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { serviceApiRoutes } from '../packages/web/src/features/services/service-api.ts';
import { serviceEn } from '../packages/web/src/features/services/messages.ts';
import { serviceZh } from '../packages/web/src/features/services/messages.zh.ts';
import { openBrowser, unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { closeDrawer } from './helpers/session.ts';

const script = 'mkdir -p /tmp/www && echo placed > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www';

/** Waits until the preview's count for a cluster is `n`. */
async function previewSays(page: Page, cluster: string, n: number): Promise<void> {
  await page.locator(`[data-testid="placement-replicas-${cluster}"][data-replicas="${n}"]`).waitFor();
}

/** Sets a cluster's weight in the editor. */
async function setWeight(page: Page, cluster: string, weight: number): Promise<void> {
  const input = page.locator(`#svc-placement-weight-${cluster}`);
  await input.fill(String(weight));
  await input.blur();
}

/** The first error antd shows under the form item that holds `selector`. */
async function fieldError(page: Page, selector: string): Promise<string> {
  const errors = page
    .locator('.ant-form-item')
    .filter({ has: page.locator(selector) })
    .locator('.ant-form-item-explain-error');
  await errors.first().waitFor();
  return errors.first().innerText();
}

async function switchLanguage(page: Page, label: 'English' | '中文'): Promise<void> {
  await page.locator('.user-menu').click();
  await page.locator('.ant-dropdown-menu-item').filter({ hasText: label }).click();
}

interface ContainerRow {
  cluster: string;
  ready: boolean;
}

void describe('placement editor (browser, two real Podman clusters)', { timeout: 600_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let c1: FleetCluster;
  let c1Engine: PodmanEngine;
  const base = '/api/v1/projects/shop/envs/test/services';

  before(async () => {
    [c1] = (await fleetClusters(1)) as [FleetCluster];
    c1Engine = new PodmanEngine({ socketPath: c1.socketPath, cluster: 'c1' });
    platform = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off', BERTH_CLUSTER_CHECK_SECONDS: '1' });
    const added = await platform.api.post('/api/v1/clusters', {
      name: 'c1',
      kind: 'podman',
      endpoint: c1.endpoint,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const env = await platform.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local', 'c1'] });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    await makeProject(platform.api, 'shop');
    await eventually(
      async () => (await platform.api.get<{ state: string }>('/api/v1/clusters/c1')).body.state === 'ready',
      'cluster c1 ready',
    );
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(30_000);
  });

  after(async () => {
    await browser?.close();
    await platform?.close();
    if (platform) await removeInstanceContainers(c1Engine, platform.instanceId).catch(() => undefined);
  });

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(serviceApiRoutes));
  });

  void it('previews weighted local:2 c1:1 with 3 replicas as 2/1, live as the weights change', async () => {
    await page.goto(`${platform.url}/login`);
    await page.fill('#login-username', 'admin');
    await page.fill('#login-password', adminPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/p\//);
    await page.goto(`${platform.url}/p/shop/test/new`);
    await page.fill('#svc-name', 'web');
    await page.fill('#svc-image', testImage);
    await page.fill('#svc-replicas', '3');
    await page.fill('#svc-port-0', '8080');
    await page.fill('#svc-command', `sh\n-c\n${script}`);

    // The default: local runs all three.
    await previewSays(page, 'local', 3);
    await page.getByTestId('placement-mode-clusters').click();
    for (const name of ['local', 'c1']) {
      await page.locator('#svc-placement-clusters').click();
      await page
        .locator('.ant-select-dropdown:visible .ant-select-item-option')
        .filter({ has: page.getByTestId(`placement-cluster-${name}`) })
        .click();
    }
    await page.keyboard.press('Escape');
    // Each chosen cluster shows its state.
    await page
      .getByTestId('placement-row-c1')
      .locator('[data-testid="cluster-state-c1"][data-state="ready"]')
      .waitFor();
    await setWeight(page, 'local', 2);
    await previewSays(page, 'local', 2);
    await previewSays(page, 'c1', 1);
    assert.match(await page.getByTestId('placement-preview').innerText(), /local[\s\S]*2[\s\S]*c1[\s\S]*1/);

    await setWeight(page, 'local', 1);
    await setWeight(page, 'c1', 2);
    await previewSays(page, 'local', 1);
    await previewSays(page, 'c1', 2);
    await setWeight(page, 'local', 2);
    await setWeight(page, 'c1', 1);
    await previewSays(page, 'local', 2);
    await previewSays(page, 'c1', 1);
    assert.equal(await page.getByTestId('placement-preview-unplaced').count(), 0);
    await page.getByTestId('placement-editor').scrollIntoViewIfNeeded();
    await browser.screenshot('placement-create-en', 1366, 900);
  });

  void it('shows the placement section in Chinese, with the preview kept', async () => {
    await switchLanguage(page, '中文');
    const editor = page.getByTestId('placement-editor');
    await editor.getByText('指定集群').waitFor();
    await previewSays(page, 'local', 2);
    await previewSays(page, 'c1', 1);
    const text = await editor.innerText();
    for (const word of [
      '副本运行在哪里',
      '环境默认集群（local）',
      '分配方式',
      '按权重',
      '权重',
      '每个集群至少',
      '预览',
      '就绪',
    ])
      assert.ok(text.includes(word), `${word} in:\n${text}`);
    const card = await page.locator('.ant-card').filter({ has: editor }).innerText();
    assert.ok(card.includes('部署位置'), 'the card title is Chinese');
    const english = Object.entries(serviceEn)
      .filter(
        ([key, en]) => key.startsWith('svc.placement.') && serviceZh[key as keyof typeof serviceZh] !== en,
      )
      .map(([, en]) => en.replace(/\{[a-z]+\}/g, '').trim())
      .filter((en) => en.length > 3);
    assert.deepEqual(
      english.filter((en) => card.includes(en)),
      [],
      'English placement strings in the Chinese form',
    );
    await page.getByTestId('placement-editor').scrollIntoViewIfNeeded();
    await browser.screenshot('placement-create-zh', 1366, 900);
  });

  void it('creates the service: 2 replicas run on local and 1 on c1, as the overview says', async () => {
    await page.getByTestId('form-submit').click();
    await page.waitForURL(/\/p\/shop\/test\/s\/web\/overview$/);
    // the rollout's task drawer opens; close it to see the overview
    await closeDrawer(page);
    const created = await platform.api.get<{ spec: { placement?: unknown } }>(`${base}/web`);
    assert.deepEqual(created.body.spec.placement, {
      clusters: [
        { name: 'local', weight: 2 },
        { name: 'c1', weight: 1 },
      ],
      division: 'weighted',
    });
    let last: ContainerRow[] = [];
    const counts = await eventually(
      async () => {
        last = (await platform.api.get<{ items: ContainerRow[] }>(`${base}/web/containers`)).body.items;
        const ready = last.filter((r) => r.ready);
        const local = ready.filter((r) => r.cluster === 'local').length;
        const remote = ready.filter((r) => r.cluster === 'c1').length;
        return local === 2 && remote === 1 ? { local, remote } : null;
      },
      '2 ready containers on local and 1 on c1',
      240_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; containers: ${JSON.stringify(last)}`);
    });
    assert.deepEqual(counts, { local: 2, remote: 1 });
    // the c1 replica runs on c1's own Podman
    const onC1 = await c1Engine.listContainers({ 'berth.instance': platform.instanceId });
    assert.equal(onC1.filter((c) => c.state === 'running').length, 1, JSON.stringify(onC1));

    await page
      .locator('[data-testid="service-placement-local"][data-current="2"][data-replicas="2"]')
      .waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="service-placement-c1"][data-current="1"][data-replicas="1"]').waitFor();
    assert.equal(await page.getByTestId('service-placement').innerText(), 'local ×2, c1 ×1 (按权重)');
    await browser.screenshot('placement-overview-zh', 1366, 768);
  });

  void it('edits: the placement shows again, the preview says now → after, a refused cluster is marked', async () => {
    await switchLanguage(page, 'English');
    await page.goto(`${platform.url}/p/shop/test/s/web/settings`);
    await page.getByTestId('placement-row-c1').waitFor();
    assert.equal(await page.locator('#svc-placement-weight-local').inputValue(), '2');
    assert.equal(await page.locator('#svc-placement-weight-c1').inputValue(), '1');
    const clustersMode = page.locator(
      'input[data-testid="placement-mode-clusters"], [data-testid="placement-mode-clusters"] input',
    );
    assert.equal(await clustersMode.isChecked(), true);
    await page.locator('[data-testid="placement-replicas-local"]').filter({ hasText: '2 → 2' }).waitFor();
    await page.fill('#svc-replicas', '4');
    // Webster continues from 2/1: the fourth replica goes to local (2/5 > 1/3); nothing moves.
    await page.locator('[data-testid="placement-replicas-local"]').filter({ hasText: '2 → 3' }).waitFor();
    await page.locator('[data-testid="placement-replicas-c1"]').filter({ hasText: '1 → 1' }).waitFor();

    // The environment drops c1 behind the form's back: deploying a placement naming it is refused
    // with a 422 at spec.placement.clusters.1.name, shown at c1's row.
    const env = await platform.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local'] });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    await page.fill('#svc-replicas', '3');
    await setWeight(page, 'c1', 2);
    await page.getByTestId('form-submit').click();
    await page.getByTestId('spec-diff').waitFor();
    await page.getByTestId('diff-confirm').click();
    const error = await fieldError(page, '[data-testid="placement-cluster-c1"]');
    assert.match(error, /c1/);
    const alert = await page.getByTestId('form-error').innerText();
    assert.ok(!alert.includes('spec.placement'), `the placement error is at its field, not above: ${alert}`);
    // the preview, asked for the same placement, says why it cannot divide it
    assert.match(await page.getByTestId('placement-preview-error').innerText(), /c1/);
    await page.getByTestId('placement-editor').scrollIntoViewIfNeeded();
    await browser.screenshot('placement-edit-refused-en', 1366, 900);
    assert.deepEqual(
      unexpectedProblems(browser.problems, [
        { urlEnds: '/services/web', status: 422 },
        { urlEnds: '/services/web/placement-preview', status: 422 },
      ]),
      [],
      'no console errors',
    );
  });
});
