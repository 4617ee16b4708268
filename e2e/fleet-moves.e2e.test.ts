/**
 * The fleet view of moves in progress in a real browser against a real Berth with two real Podman
 * clusters (`local` and a test-fleet cluster of its own): a service runs one replica on each; the
 * clusters page says that nothing moves; the cluster is killed as a dead host would be, and past
 * the environment's failover grace (10 s) the open page shows the service moving by itself — the
 * cluster failed over in red, its replicas per cluster now → wanted, the placer's note — and links
 * to the service; the filters narrow it (the dead cluster keeps it, a project where nothing moves
 * empties it); the dead cluster's page shows the FailoverStarted event. The same in Chinese.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { PodmanEngine } from '@berth/engine-podman';
import type { PlacementMove } from '@berth/shared';
import { startCluster, stopCluster, type FleetCluster } from '../packages/server/test/helpers/clusters.ts';
import {
  adminPassword,
  eventually,
  removeInstanceContainers,
  type TestApi,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { clusterApiRoutes } from '../packages/web/src/features/clusters/clusters-api.ts';
import { clustersEn } from '../packages/web/src/features/clusters/messages.ts';
import { clustersZh } from '../packages/web/src/features/clusters/messages.zh.ts';
import { movesEn } from '../packages/web/src/features/clusters/moves-messages.ts';
import { movesZh } from '../packages/web/src/features/clusters/moves-messages.zh.ts';
import { movesApiRoutes } from '../packages/web/src/features/clusters/moves-view.ts';
import { serviceEn } from '../packages/web/src/features/services/messages.ts';
import { serviceZh } from '../packages/web/src/features/services/messages.zh.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { logIn, portalSession } from './helpers/session.ts';
import { placeWebOnTwoClusters } from './helpers/two-clusters.ts';

/**
 * A cluster of its own: this test kills it (server tests use c1…c12, c15, c16; the CLI's c13;
 * containers-clusters.e2e c14, which must stay up while that test runs).
 */
const clusterName = 'c18';
const project = 'moves';
/** A project where nothing moves: filtering by it empties the list. */
const quietProject = 'quiet';
const rowId = `move-${project}/test/web`;

async function listMoves(api: TestApi): Promise<PlacementMove[]> {
  const r = await api.get<{ items: PlacementMove[] }>('/api/v1/fleet/moves');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

/**
 * Picks `option` in the fleet view's filter `testId` (an antd Select) and waits for the list it
 * asks the API for, whose URL carries `query` (e.g. `cluster=c18`).
 */
async function pickFilter(page: Page, testId: string, option: string | RegExp, query: string): Promise<void> {
  const answered = page.waitForResponse(
    (r) => r.url().includes('/api/v1/fleet/moves?') && r.url().includes(query),
  );
  await page.getByTestId(testId).click();
  await page
    .locator('.ant-select-dropdown:visible .ant-select-item-option')
    .filter({ hasText: typeof option === 'string' ? new RegExp(`^${option}$`) : option })
    .click();
  assert.equal((await answered).status(), 200);
}

/** Clears the filter `testId`: the list is asked for without it. */
async function clearFilter(page: Page, testId: string): Promise<void> {
  await page.getByTestId(testId).hover();
  await page.locator(`[data-testid="${testId}"] .ant-select-clear`).click();
}

/** The fleet view's English strings (placeholders dropped) that show in `text`. */
function englishIn(text: string): string[] {
  return Object.entries(movesEn)
    .filter(([key, en]) => movesZh[key as keyof typeof movesZh] !== en && en.length > 3)
    .map(([, en]) => en.replace(/\{[a-z]+\}/g, '').trim())
    .filter((en) => text.includes(en));
}

async function switchLanguage(page: Page, label: 'English' | '中文'): Promise<void> {
  await page.locator('.user-menu').click();
  await page.locator('.ant-dropdown-menu-item').filter({ hasText: label }).click();
}

void describe(
  'fleet view of moves in progress (browser, two real Podman clusters)',
  { timeout: 600_000 },
  () => {
    let platform: TestPlatform;
    let browser: TestBrowser;
    let page: Page;
    let c: FleetCluster | undefined;
    let settled: PlacementMove;

    portalSession(
      {
        server: { BERTH_GATEWAY_LISTEN: 'off', BERTH_CLUSTER_CHECK_SECONDS: '1' },
        projects: [quietProject],
        seed: async (p) => {
          c = await startCluster(clusterName);
          await placeWebOnTwoClusters(p.api, c, { project, graceSeconds: 10, ready: true });
        },
      },
      (s) => ({ platform, browser, page } = s),
    );
    // Always: the cluster runs again for later tests, without this test's containers (the platform
    // is closed by now, so nothing recreates them; local's were removed by its close).
    after(async () => {
      if (!c) return;
      await startCluster(c.name);
      if (!platform) return;
      const engine = new PodmanEngine({ socketPath: c.socketPath, cluster: c.name });
      await removeInstanceContainers(engine, platform.instanceId);
      assert.deepEqual(await engine.listContainers({ 'berth.instance': platform.instanceId }), []);
    });

    void it('calls only API paths that the OpenAPI document lists', async () => {
      await assertRoutesDocumented(platform.api, [
        ...Object.values(movesApiRoutes),
        ...Object.values(clusterApiRoutes),
      ]);
    });

    void it('says that no replicas are moving while the service runs where its placement says', async () => {
      await eventually(async () => (await listMoves(platform.api)).length === 0, 'nothing moving');
      await logIn(page, platform.url, 'admin', adminPassword);
      await page.goto(`${platform.url}/clusters`);
      const section = page.getByTestId('fleet-moves');
      await section.getByText(movesEn['clusters.moves.title']).waitFor();
      await section.getByText(movesEn['clusters.moves.empty']).waitFor();
      assert.equal(await section.locator('.ant-table-tbody tr.ant-table-row').count(), 0);
    });

    void it('shows the service moving by itself once the dead cluster is past its grace', async () => {
      const name = c!.name;
      const stoppedAt = Date.now();
      await stopCluster(name);
      // the API first: failed over, its replica replaced on local, the dead one written off
      let last: PlacementMove[] = [];
      settled = await eventually(
        async () => {
          last = await listMoves(platform.api);
          const m = last.find((x) => x.project === project && x.service === 'web');
          return m &&
            m.failedOver.join() === name &&
            m.targets.local === 2 &&
            (m.targets[name] ?? 0) === 0 &&
            m.current.local === 2 &&
            (m.current[name] ?? 0) === 0
            ? m
            : null;
        },
        `web failed over from ${name} in /api/v1/fleet/moves`,
        180_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; moves: ${JSON.stringify(last)}`);
      });
      console.log(`# listed as failed over ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after the kill`);
      assert.equal(settled.env, 'test');
      assert.equal(settled.unplaced, 0);
      assert.ok(Date.parse(settled.since) >= stoppedAt - 1000, `since ${settled.since} is after the kill`);

      // the page opened before the kill shows it without a reload (it polls)
      const row = page.getByTestId(rowId);
      await row.locator(`[data-testid="move-cluster-local"][data-current="2"][data-target="2"]`).waitFor();
      await row.locator(`[data-testid="move-cluster-${name}"][data-current="0"][data-target="0"]`).waitFor();
      assert.equal(await row.getByTestId('move-service').innerText(), `${project}/web`);
      assert.equal(await row.getByTestId(`move-cluster-local`).innerText(), 'local 2 → 2');
      assert.equal(await row.getByTestId(`move-cluster-${name}`).innerText(), `${name} 0 → 0`);
      const failed = row.getByTestId(`move-failed-over-${name}`);
      assert.equal(await failed.innerText(), name);
      assert.match((await failed.getAttribute('class')) ?? '', /ant-tag-red/);
      assert.match(
        await row.getByTestId(`move-note-${name}`).innerText(),
        new RegExp(`^${name}: ${serviceEn['svc.placement.reason.draining']}$`),
      );
      const text = await row.innerText();
      assert.ok(text.includes('test'), text);
      assert.ok(/now|second|minute/.test(text), `a relative time in: ${text}`);
      assert.equal(await page.getByText(movesEn['clusters.moves.empty']).count(), 0);
      await page.getByTestId('fleet-moves').scrollIntoViewIfNeeded();
      await browser.screenshot('fleet-moves-en', 1366, 768);

      // the filters narrow the list through the API: web is listed for the cluster it failed over
      // from, not for a project where nothing moves; cleared, it is back
      const section = page.getByTestId('fleet-moves');
      await pickFilter(page, 'moves-filter-cluster', name, `cluster=${name}`);
      await row.getByTestId(`move-failed-over-${name}`).waitFor();
      await pickFilter(page, 'moves-filter-project', quietProject, `project=${quietProject}`);
      await row.waitFor({ state: 'detached' });
      await section.getByText(movesEn['clusters.moves.emptyFiltered']).waitFor();
      assert.equal(await section.locator('.ant-table-tbody tr.ant-table-row').count(), 0);
      await section.scrollIntoViewIfNeeded();
      await browser.screenshot('fleet-moves-filtered-en', 1366, 768);
      await clearFilter(page, 'moves-filter-project');
      await row.getByTestId(`move-failed-over-${name}`).waitFor();
      await clearFilter(page, 'moves-filter-cluster');
      await row.waitFor();

      // the service's name leads to its page
      await row.getByTestId('move-service').click();
      await page.waitForURL(new RegExp(`/p/${project}/test/s/web/overview$`));
    });

    void it("shows the FailoverStarted event on the dead cluster's page", async () => {
      const name = c!.name;
      const events = await platform.api.get<{ items: Array<{ type: string }> }>(
        `/api/v1/clusters/${name}/events`,
      );
      assert.ok(
        events.body.items.some((e) => e.type === 'FailoverStarted'),
        JSON.stringify(events.body.items),
      );
      await page.goto(`${platform.url}/clusters/${name}`);
      const tag = page.getByTestId('cluster-events').locator('[data-event-type="FailoverStarted"]').first();
      assert.equal(await tag.innerText(), clustersEn['clusters.event.FailoverStarted']);
      assert.match((await tag.getAttribute('class')) ?? '', /ant-tag-red/);
      const row = page
        .getByTestId('cluster-events')
        .locator('tr')
        .filter({ has: page.locator('[data-event-type="FailoverStarted"]') })
        .first();
      assert.match(await row.innerText(), new RegExp(`past environment test's failover grace \\(10 s\\)`));
      await page.getByTestId('cluster-events').scrollIntoViewIfNeeded();
      await browser.screenshot('fleet-failover-event-en', 1366, 768);
    });

    void it('shows the same in Chinese', async () => {
      const name = c!.name;
      await switchLanguage(page, '中文');
      const tag = page.getByTestId('cluster-events').locator('[data-event-type="FailoverStarted"]').first();
      await tag.getByText(clustersZh['clusters.event.FailoverStarted']).waitFor();
      await browser.screenshot('fleet-failover-event-zh', 1366, 768);

      await page.goto(`${platform.url}/clusters`);
      const section = page.getByTestId('fleet-moves');
      await section.getByText(movesZh['clusters.moves.title']).waitFor();
      const row = page.getByTestId(rowId);
      await row.getByTestId(`move-failed-over-${name}`).waitFor();
      assert.equal(await row.getByTestId(`move-cluster-local`).innerText(), 'local 2 → 2');
      assert.equal(await row.getByTestId(`move-failed-over-${name}`).innerText(), name);
      assert.equal(
        await row.getByTestId(`move-note-${name}`).innerText(),
        `${name}：${serviceZh['svc.placement.reason.draining']}`,
      );
      const head = await section.locator('.ant-table-thead').innerText();
      for (const key of [
        'clusters.moves.col.service',
        'clusters.moves.col.env',
        'clusters.moves.col.clusters',
        'clusters.moves.col.failedOver',
        'clusters.moves.col.unplaced',
        'clusters.moves.col.notes',
        'clusters.moves.col.since',
      ] as const)
        assert.ok(head.includes(movesZh[key]), `${movesZh[key]} in ${head}`);
      assert.deepEqual(englishIn(await section.innerText()), [], 'English strings in the Chinese fleet view');
      assert.ok(/现在|秒|分钟/.test(await row.innerText()), 'a relative time in Chinese');
      await section.scrollIntoViewIfNeeded();
      await browser.screenshot('fleet-moves-zh', 1366, 768);

      // the filters in Chinese: their placeholders, the environment by its translated name
      assert.equal(
        await page.getByTestId('moves-filter-project').innerText(),
        movesZh['clusters.moves.filter.project'],
      );
      assert.equal(
        await page.getByTestId('moves-filter-cluster').innerText(),
        movesZh['clusters.moves.filter.cluster'],
      );
      await pickFilter(page, 'moves-filter-env', /\(test\)$/, 'env=test');
      await row.getByTestId(`move-failed-over-${name}`).waitFor();
      assert.match(await page.getByTestId('moves-filter-env').innerText(), /^\S+ \(test\)$/);
      assert.ok(!(await page.getByTestId('moves-filter-env').innerText()).startsWith('Test'));
      await pickFilter(page, 'moves-filter-project', quietProject, `project=${quietProject}`);
      await section.getByText(movesZh['clusters.moves.emptyFiltered']).waitFor();
      assert.deepEqual(englishIn(await section.innerText()), [], 'English strings in the filtered view');
      await browser.screenshot('fleet-moves-filtered-zh', 1366, 768);
      await clearFilter(page, 'moves-filter-project');
      await row.waitFor();
      await switchLanguage(page, 'English');
      assert.deepEqual(unexpectedProblems(browser.problems, [{ urlEnds: '/api/v1/me', status: 401 }]), []);
    });
  },
);
