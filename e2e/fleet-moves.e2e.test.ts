/**
 * The fleet view of moves in progress in a real browser against a real Berth with two real Podman
 * clusters (`local` and a test-fleet cluster of its own): a service runs one replica on each; the
 * clusters page says that nothing moves; the cluster is killed as a dead host would be, and past
 * the environment's failover grace (10 s) the open page shows the service moving by itself — the
 * cluster failed over in red, its replicas per cluster now → wanted, the placer's note — and links
 * to the service; the dead cluster's page shows the FailoverStarted event. The same in Chinese.
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
  makeProject,
  removeInstanceContainers,
  waitTask,
  webSpec,
  type TestApi,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { clusterApiRoutes } from '../packages/web/src/features/clusters/clusters-api.ts';
import { clustersEn, clustersZh } from '../packages/web/src/features/clusters/messages.ts';
import { movesEn, movesZh } from '../packages/web/src/features/clusters/moves-messages.ts';
import { movesApiRoutes } from '../packages/web/src/features/clusters/moves-view.ts';
import { serviceEn, serviceZh } from '../packages/web/src/features/services/messages.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { logIn, portalSession } from './helpers/session.ts';

/**
 * A cluster of its own: this test kills it (server tests use c1…c12, c15, c16; the CLI's c13;
 * containers-clusters.e2e c14, which must stay up while that test runs).
 */
const clusterName = 'c18';
const project = 'moves';
const rowId = `move-${project}/test/web`;

async function listMoves(api: TestApi): Promise<PlacementMove[]> {
  const r = await api.get<{ items: PlacementMove[] }>('/api/v1/fleet/moves');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
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
        seed: async (p) => {
          c = await startCluster(clusterName);
          const added = await p.api.post('/api/v1/clusters', {
            name: c.name,
            kind: 'podman',
            endpoint: c.endpoint,
          });
          assert.equal(added.status, 201, JSON.stringify(added.body));
          const env = await p.api.call('PATCH', '/api/v1/envs/test', {
            clusters: ['local', c.name],
            failover: { graceSeconds: 10 },
          });
          assert.equal(env.status, 200, JSON.stringify(env.body));
          await eventually(
            async () =>
              (await p.api.get<{ state: string }>(`/api/v1/clusters/${c!.name}`)).body.state === 'ready',
            `cluster ${c.name} ready`,
          );
          const base = await makeProject(p.api, project);
          const placement = {
            clusters: [
              { name: 'local', weight: 1 },
              { name: c.name, weight: 1 },
            ],
            division: 'weighted',
          };
          const created = await p.api.post<{ task: { id: string } }>(base, {
            name: 'web',
            spec: webSpec('v1', 2, { placement }),
          });
          assert.equal(created.status, 202, JSON.stringify(created.body));
          assert.equal((await waitTask(p.api, created.body.task.id)).state, 'succeeded');
          const list = await p.api.get<{ items: Array<{ cluster: string; ready: boolean }> }>(
            `${base}/web/containers`,
          );
          assert.deepEqual(list.body.items.map((i) => i.cluster).sort(), [c.name, 'local'].sort());
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
      const all = await section.innerText();
      const english = Object.entries(movesEn)
        .filter(([key, en]) => movesZh[key as keyof typeof movesZh] !== en && en.length > 3)
        .map(([, en]) => en.replace(/\{[a-z]+\}/g, '').trim())
        .filter((en) => all.includes(en));
      assert.deepEqual(english, [], 'English strings in the Chinese fleet view');
      assert.ok(/现在|秒|分钟/.test(await row.innerText()), 'a relative time in Chinese');
      await section.scrollIntoViewIfNeeded();
      await browser.screenshot('fleet-moves-zh', 1366, 768);
      await switchLanguage(page, 'English');
      assert.deepEqual(unexpectedProblems(browser.problems, [{ urlEnds: '/api/v1/me', status: 401 }]), []);
    });
  },
);
