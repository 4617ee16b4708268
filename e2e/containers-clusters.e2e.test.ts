/**
 * Containers across clusters in a real browser against a real Berth on Podman: a service runs one
 * replica on `local` and one on a second cluster of the test fleet; the containers tab shows each
 * container's cluster and filters by it, the history tab filters through the API's ?cluster=, the
 * events tab shows the cluster of an event's container; the same in Chinese.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { PodmanEngine } from '@berth/engine-podman';
import { startCluster, type FleetCluster } from '../packages/server/test/helpers/clusters.ts';
import {
  adminPassword,
  removeInstanceContainers,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { logIn, portalSession } from './helpers/session.ts';
import { placeWebOnTwoClusters } from './helpers/two-clusters.ts';

/** A cluster of its own (server tests use c1…c12, the CLI's c13). */
const clusterName = 'c14';

/** Picks `cluster` in the tab's cluster filter (antd Select). */
async function pickCluster(page: Page, cluster: string): Promise<void> {
  await page.getByTestId('cluster-filter').click();
  await page
    .locator('.ant-select-dropdown:visible .ant-select-item-option')
    .filter({ hasText: new RegExp(`^${cluster}$`) })
    .click();
}

/** The texts of one column of the visible table body (by the header's text). */
async function column(page: Page, header: string): Promise<string[]> {
  const headers = await page.locator('.ant-table-thead th').allInnerTexts();
  const index = headers.findIndex((h) => h.trim() === header);
  assert.ok(index >= 0, `a "${header}" column in ${JSON.stringify(headers)}`);
  return page.locator(`.ant-table-tbody tr.ant-table-row td:nth-child(${index + 1})`).allInnerTexts();
}

void describe('containers across clusters (browser, real Podman)', { timeout: 400_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let c: FleetCluster;
  const names: Record<string, string> = {};

  portalSession(
    {
      server: { BERTH_GATEWAY_LISTEN: 'off' },
      seed: async (p) => {
        c = await startCluster(clusterName);
        const { containers } = await placeWebOnTwoClusters(p.api, c, { project: 'xcp' });
        for (const item of containers) names[item.cluster] = item.name;
      },
    },
    (s) => ({ platform, browser, page } = s),
  );
  after(async () => {
    if (!c || !platform) return;
    const engine = new PodmanEngine({ socketPath: c.socketPath, cluster: c.name });
    await removeInstanceContainers(engine, platform.instanceId).catch(() => undefined);
  });

  it('shows the Cluster column on the containers tab and filters by it', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/p/xcp/test/s/web/containers`);
    await page.getByTestId(`cluster-of-${names[c.name]}`).waitFor();
    assert.equal(await page.getByTestId(`cluster-of-${names[c.name]}`).innerText(), c.name);
    assert.equal(await page.getByTestId(`cluster-of-${names.local}`).innerText(), 'local');
    assert.deepEqual((await column(page, 'Cluster')).sort(), [c.name, 'local'].sort());

    await pickCluster(page, c.name);
    await page.getByTestId(`cluster-of-${names.local}`).waitFor({ state: 'detached' });
    assert.deepEqual(await column(page, 'Cluster'), [c.name]);
    await browser.screenshot('containers-cluster-filter', 1366, 768);
    // cleared: both again
    await page.getByTestId('cluster-filter').hover();
    await page.locator('[data-testid="cluster-filter"] .ant-select-clear').click();
    await page.getByTestId(`cluster-of-${names.local}`).waitFor();
  });

  it('filters the history through the API and shows clusters on events', async () => {
    await page.goto(`${platform.url}/p/xcp/test/s/web/history`);
    await page.locator('.ant-table-tbody tr.ant-table-row').first().waitFor();
    assert.ok((await column(page, 'Cluster')).includes('local'));
    const filtered = page.waitForResponse(
      (r) => r.url().includes('/containers/history') && r.url().includes(`cluster=${c.name}`),
    );
    await pickCluster(page, c.name);
    assert.equal((await filtered).status(), 200);
    await page
      .locator('.ant-table-tbody tr.ant-table-row')
      .filter({ hasText: names.local! })
      .waitFor({ state: 'detached' });
    const clusters = await column(page, 'Cluster');
    assert.ok(clusters.length >= 1);
    assert.ok(
      clusters.every((x) => x === c.name),
      JSON.stringify(clusters),
    );

    await page.goto(`${platform.url}/p/xcp/test/s/web/events`);
    await page
      .locator('.ant-table-tbody tr.ant-table-row')
      .filter({ hasText: names[c.name]! })
      .first()
      .waitFor();
    const containers = await column(page, 'Container');
    const eventClusters = await column(page, 'Cluster');
    containers.forEach((container, i) => {
      if (container === names[c.name]) assert.equal(eventClusters[i], c.name);
      else if (container === names.local) assert.equal(eventClusters[i], 'local');
      else if (container === '') assert.equal(eventClusters[i], '');
    });
  });

  it('shows the cluster column and filter in Chinese', async () => {
    await page.goto(`${platform.url}/p/xcp/test/s/web/containers`);
    await page.evaluate("localStorage.setItem('berth.lang', 'zh-CN')");
    await page.reload();
    await page.getByTestId(`cluster-of-${names[c.name]}`).waitFor();
    assert.deepEqual((await column(page, '集群')).sort(), [c.name, 'local'].sort());
    assert.equal(await page.getByTestId('cluster-filter').innerText(), '全部集群');
    await browser.screenshot('containers-cluster-zh', 1366, 768);
    await page.evaluate("localStorage.setItem('berth.lang', 'en')");
    assert.deepEqual(unexpectedProblems(browser.problems, [{ urlEnds: '/api/v1/me', status: 401 }]), []);
  });
});
