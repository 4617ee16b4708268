/**
 * Cron jobs in the portal: create one through the form (a bad schedule refused at its field),
 * resume and suspend it from the list (next run shown while it is scheduled), run it now, see the
 * run succeed in the history with its logs kept after the container is gone, and the pages in
 * Chinese; in a real browser against a real Berth on the real Podman.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { CronJobView, CronRunView } from '@berth/shared';
import { cronJobApiRoutes } from '../packages/web/src/features/cronjobs/cronjobs-api.ts';
import { adminPassword, eventually, type TestPlatform } from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { fieldErrors, logIn, portalSession } from './helpers/session.ts';

const jobsApi = '/api/v1/projects/shop/envs/test/cronjobs';

void describe('cron jobs in the portal (browser)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;

  portalSession({ server: { BERTH_GATEWAY_LISTEN: 'off' }, projects: ['shop'] }, (s) => {
    ({ platform, browser, page } = s);
  });
  after(async () => {
    const left = await platform.engine.listContainers({ 'berth.cron-instance': platform.instanceId });
    await Promise.all(left.map((c) => platform.engine.removeContainer(c.id)));
  });

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, Object.values(cronJobApiRoutes));
  });

  void it('creates a cron job through the form; a bad schedule is refused at its field', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/p/shop/test/cronjobs`);
    await page.getByTestId('cronjobs-empty').waitFor();
    await page.getByTestId('create-cronjob').click();
    await page.locator('#cronjob-name').fill('report');
    await page.locator('#cronjob-schedule').fill('0 25 * * *');
    await page.locator('#cronjob-timezone').fill('Europe/Berlin');
    await page.locator('#cronjob-image').fill('localhost/berth-busybox:1');
    for (const arg of ['sh', '-c', 'echo hello-from-cron; echo to-stderr >&2']) {
      await page.locator('#cronjob-command').fill(arg);
      await page.locator('#cronjob-command').press('Enter');
    }
    await page.locator('#cronjob-suspend').click();
    await page.getByTestId('cronjob-form-ok').click();
    assert.match(await fieldErrors(page, '#cronjob-schedule'), /hour: 25 is out of range 0-23/);
    assert.equal((await platform.api.get(`${jobsApi}/report`)).status, 404, 'nothing was created');

    await page.locator('#cronjob-schedule').fill('30 2 * * *');
    await page.getByTestId('cronjob-form-ok').click();
    await page.getByTestId('cronjob-form').waitFor({ state: 'detached' });
    await page.getByTestId('cronjob-suspended-report').waitFor();
    const job = (await platform.api.get<CronJobView>(`${jobsApi}/report`)).body;
    assert.deepEqual(job.spec.command, ['sh', '-c', 'echo hello-from-cron; echo to-stderr >&2']);
    assert.equal(job.spec.timeZone, 'Europe/Berlin');
    assert.equal(job.suspended, true);
    assert.equal(job.nextRunAt, null);
  });

  void it('resumes and suspends from the list; the next run shows while it is scheduled', async () => {
    await page.getByTestId('cronjob-resume-report').click();
    await page.getByTestId('cronjob-suspend-report').waitFor();
    await eventually(
      async () => ((await platform.api.get<CronJobView>(`${jobsApi}/report`)).body.nextRunAt ? true : null),
      'a next run',
    );
    const row = page.getByTestId('cronjobs-table').locator('tr').filter({ hasText: 'report' });
    await eventually(async () => !(await row.innerText()).includes('—'), 'the next run shown');
    await page.getByTestId('cronjob-suspend-report').click();
    await page.getByTestId('cronjob-suspended-report').waitFor();
    assert.equal((await platform.api.get<CronJobView>(`${jobsApi}/report`)).body.suspended, true);
  });

  void it('runs it now: the run succeeds in the history and its logs are kept after the container is gone', async () => {
    await page.getByTestId('cronjob-link-report').click();
    await page.waitForURL(/\/cronjobs\/report$/);
    await page.getByTestId('cronjob-detail-run').click();
    const run = await eventually(async () => {
      const items = (await platform.api.get<{ items: CronRunView[] }>(`${jobsApi}/report/runs`)).body.items;
      return items[0]?.state === 'succeeded' ? items[0] : null;
    }, 'the run succeeded');
    await page.getByTestId(`cron-run-state-${run.id}`).getByTestId('cron-state-succeeded').waitFor();
    assert.equal(
      await platform.engine.inspectContainer(run.attempts[0]!.container),
      null,
      'container removed',
    );
    await page.getByTestId(`cron-run-logs-${run.id}`).click();
    const logs = page.getByTestId('cron-logs');
    await logs.waitFor();
    assert.match(await logs.innerText(), /hello-from-cron/);
    assert.match(await logs.innerText(), /to-stderr/);
    await browser.screenshot('cronjob-en', 1366, 768);
    await page.keyboard.press('Escape');
    // the events table polls: the run's Succeeded event shows within a poll or two
    await page.getByTestId('cron-events-table').getByText('Succeeded').first().waitFor();
  });

  void it('shows the cron job pages in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.goto(`${platform.url}/p/shop/test/cronjobs`);
    await page.getByTestId('cronjob-link-report').waitFor();
    const list = await page.locator('.app-content').innerText();
    for (const word of ['定时任务', '立即运行', '已暂停', '下次运行', '上次结果', '成功'])
      assert.ok(list.includes(word), word);
    await page.getByTestId('cronjob-link-report').click();
    await page.getByTestId('cron-runs-table').waitFor();
    const detail = await page.locator('.app-content').innerText();
    for (const word of ['运行', '事件', '立即运行']) assert.ok(detail.includes(word), word);
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      { urlEnds: jobsApi, status: 400 },
      { urlEnds: `${jobsApi}/report`, status: 404 },
    ]);
    assert.deepEqual(problems, []);
  });
});
