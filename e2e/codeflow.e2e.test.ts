/**
 * Codeflow in the portal, on real parts: a local bare git repository of a tiny Node.js app, the
 * embedded registry (docker-registry on a free loopback port), real Podman builds and the real
 * platform rolling the service. The user creates the pipeline in the browser, clicks "Build now",
 * follows the live log to success, reads the steps, and the service serves the new body.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import {
  adminPassword,
  eventually,
  makeProject,
  podmanSocket,
  startPlatform,
  waitTask,
  webSpec,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { TestRepo } from '../packages/server/test/helpers/codeflow-fixtures.ts';
import { localHelpers } from '../packages/server/src/supervisor/helpers.ts';
import { supervisedHelper, type HelperProcess } from '../packages/server/src/supervisor/helper-process.ts';
import { freePort } from '../packages/server/test/helpers/net.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { logIn, portalSession } from './helpers/session.ts';

const run = promisify(execFile);
const project = 'pcf';

describe('codeflow in the portal (browser, real git, registry and builds)', { timeout: 600_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let registry: HelperProcess;
  let host: string;
  let dir: string;
  let repo: TestRepo;
  let servicesBase: string;

  async function served(): Promise<string[]> {
    const eps = await platform.api.get<{ items: { address: string }[] }>(`${servicesBase}/web/endpoints`);
    return Promise.all(eps.body.items.map(async (e) => (await fetch(`http://${e.address}/`)).text()));
  }

  /** Waits on the build page until the build is finished; returns its state. */
  async function waitBuildPage(): Promise<string> {
    const tag = page.locator('.page-head [data-testid="build-state"]');
    return eventually(
      async () => {
        const state = await tag.getAttribute('data-state');
        return state && state !== 'queued' && state !== 'running' ? state : null;
      },
      'the build to finish',
      300_000,
      500,
    );
  }

  portalSession(
    {
      start: async () => {
        dir = mkdtempSync(path.join(tmpdir(), 'berth-cf-portal-'));
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
        servicesBase = await makeProject(platform.api, project);
        const svc = await platform.api.post<{ task: { id: string } }>(servicesBase, {
          name: 'web',
          spec: webSpec('v0', 1, { readiness: { type: 'http', path: '/', periodSeconds: 1 } }),
        });
        assert.equal(svc.status, 202, JSON.stringify(svc.body));
        assert.equal((await waitTask(platform.api, svc.body.task.id)).state, 'succeeded');
        repo = new TestRepo(dir);
        await repo.init();
        await repo.commitApp('hello from v1');
      },
      teardown: async () => {
        await registry?.stop();
      },
    },
    (s) => ({ platform, browser, page } = s),
  );

  after(async () => {
    // The images this test built: the pushed ones and the pre-processing layers of its project.
    const { stdout } = await run('podman', [
      '--url',
      `unix://${podmanSocket}`,
      'images',
      '--format',
      '{{.Repository}}:{{.Tag}}',
    ]).catch(() => ({ stdout: '' }));
    const mine = stdout
      .split('\n')
      .filter((l) => l.startsWith(`${host}/`) || l.startsWith(`localhost/berth-pre/${project}-`));
    if (mine.length)
      await run('podman', ['--url', `unix://${podmanSocket}`, 'rmi', '-f', ...mine]).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates a pipeline in the portal: empty state, field errors from the API, Dockerfile, webhook', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/p/${project}/test`);
    await page.getByTestId('nav-pipelines').click();
    await page.waitForURL(new RegExp(`/p/${project}/test/pipelines$`));
    await page.getByTestId('pipelines-empty').waitFor();
    assert.match(
      await page.getByTestId('pipelines-empty').innerText(),
      /No pipelines in pcf yet — create one/,
    );

    await page.getByTestId('create-pipeline').click();
    await page.waitForURL(/\/pipelines\/new$/);
    // The Node.js template fills sensible scripts; the start command's default is its placeholder.
    assert.match(await page.locator('#pipeline-pre-script').inputValue(), /npm (ci|install)/);
    assert.equal(await page.locator('#pipeline-start').getAttribute('placeholder'), 'exec node server.js');
    await page.fill('#pipeline-name', 'web');
    await page.fill('#pipeline-target-service', 'web');
    await page.fill('#pipeline-repo-url', '--upload-pack=touch /tmp/x');
    await page.getByTestId('pipeline-submit').click();
    // The API's field error is shown at the field, and nothing was created.
    const urlItem = page.locator('.ant-form-item').filter({ has: page.locator('#pipeline-repo-url') });
    await urlItem
      .locator('.ant-form-item-explain-error')
      .getByText(/must not start with "-"/)
      .waitFor();
    await page.getByTestId('pipeline-error').waitFor();
    await browser.screenshot('codeflow-form-error', 1366, 768);
    const none = await platform.api.get<{ items: unknown[] }>(`/api/v1/projects/${project}/pipelines`);
    assert.deepEqual(none.body.items, []);

    await page.fill('#pipeline-repo-url', repo.bare);
    await page.getByTestId('pipeline-submit').click();
    await page.waitForURL(new RegExp(`/p/${project}/test/pipelines/web$`));
    await page.getByText('Pipeline web saved.').waitFor();
    const dockerfile = page.getByTestId('generated-dockerfile');
    await dockerfile.waitFor();
    const text = await dockerfile.innerText();
    assert.match(text, /^FROM /);
    assert.match(text, /USER 1000/);
    assert.match(text, /CMD \["\/bin\/sh","-c","exec node server.js"\]/);
    await page.getByTestId('pipeline-service-link').waitFor();

    // Webhook: three provider URLs with the pipeline's id; a new secret is shown once.
    const gitlab = await page.getByTestId('webhook-url-gitlab').innerText();
    assert.match(gitlab, new RegExp(`^${platform.url}/api/v1/hooks/pipelines/[^/]+/gitlab$`));
    await page.getByTestId('rotate-secret').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Confirm' }).click();
    const secret = (await page.getByTestId('webhook-secret').innerText()).trim();
    assert.ok(secret.length >= 20, `a secret is shown (${secret})`);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByTestId('webhook-panel').getByText('Set', { exact: true }).waitFor();
    await browser.screenshot('codeflow-pipeline', 1366, 768);
  });

  it('"Build now" follows the live log to success, shows the steps and the image, and the service serves the new body', async () => {
    const sha = await repo.commitApp('hello from v2');
    await page.getByTestId('build-now').click();
    await page.waitForURL(new RegExp(`/p/${project}/test/builds/[^/]+$`));
    // The log streams while the build runs.
    await page.getByTestId('build-log').getByText(/\S/).first().waitFor({ timeout: 60_000 });
    const state = await waitBuildPage();
    const log = await page.getByTestId('build-log').innerText();
    assert.equal(state, 'succeeded', log);
    await page
      .getByTestId('build-log')
      .getByText(`service web runs ${host}/${project}/web:1-`)
      .first()
      .waitFor();
    for (const step of ['fetch', 'pre', 'build', 'image', 'push', 'deploy'])
      assert.equal(await page.getByTestId(`step-${step}`).getAttribute('data-state'), 'succeeded', step);
    assert.match(await page.getByTestId('build-message').innerText(), /serve hello from v2/);
    assert.equal((await page.getByTestId('build-commit').innerText()).trim(), sha.slice(0, 8));
    assert.match(await page.getByTestId('build-image').innerText(), new RegExp(`^${host}/${project}/web:1-`));
    assert.match(await page.getByTestId('build-digest').innerText(), /^sha256:[0-9a-f]{64}$/);
    // Search highlights the matching lines of the log.
    await page.getByTestId('log-search').locator('input').fill('service web runs');
    assert.ok((await page.getByTestId('build-log').locator('mark').count()) >= 1);
    await browser.screenshot('codeflow-build', 1366, 768);
    await eventually(async () => {
      const bodies = await served();
      return bodies.length === 1 && bodies[0] === 'hello from v2';
    }, 'the service serving the new body');
    await page.getByTestId('build-service-link').click();
    await page.waitForURL(new RegExp(`/p/${project}/test/s/web/`));
  });

  it('a second build from the list reuses the pre-processing layer (cached) and rolls again', async () => {
    await repo.commitApp('hello from v3');
    await page.goto(`${platform.url}/p/${project}/test/pipelines`);
    await page.getByTestId('last-build-web').getByTestId('build-state').waitFor();
    assert.equal(
      await page.getByTestId('last-build-web').getByTestId('build-state').getAttribute('data-state'),
      'succeeded',
    );
    await page.getByTestId('build-now-web').click();
    await page.waitForURL(new RegExp(`/p/${project}/test/builds/[^/]+$`));
    assert.equal(await waitBuildPage(), 'succeeded', await page.getByTestId('build-log').innerText());
    await page.getByTestId('step-pre-cached').waitFor();
    await page.getByTestId('build-log').getByText('pre-processing layer unchanged').first().waitFor();
    await eventually(async () => (await served()).join() === 'hello from v3', 'the service serving v3');
    // The pipeline's builds list has both, newest first.
    await page.goto(`${platform.url}/p/${project}/test/pipelines/web`);
    await page.getByTestId('build-link-2').waitFor();
    const rows = page.getByTestId('builds-table').locator('tbody tr.ant-table-row');
    assert.equal(await rows.count(), 2);
    assert.match(await rows.first().innerText(), /#2/);
  });

  it('edits the build script in the portal, and cancels the running build', async () => {
    await page.getByTestId('edit-pipeline').click();
    await page.waitForURL(/\/pipelines\/web\/edit$/);
    await page.fill('#pipeline-build-script', 'echo "slow build starting"\nsleep 120');
    await page.getByTestId('pipeline-submit').click();
    await page.waitForURL(new RegExp(`/p/${project}/test/pipelines/web$`));
    await page.getByTestId('build-now').click();
    await page.waitForURL(new RegExp(`/p/${project}/test/builds/[^/]+$`));
    await page
      .getByTestId('build-log')
      .getByText('slow build starting')
      .first()
      .waitFor({ timeout: 120_000 });
    await eventually(
      async () => (await page.getByTestId('step-build').getAttribute('data-state')) === 'running',
      'the build step shown running',
    );
    await page.getByTestId('cancel-build').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Confirm' }).click();
    assert.equal(await waitBuildPage(), 'cancelled');
    await page.getByTestId('cancel-build').waitFor({ state: 'detached' });
    assert.equal((await served()).join(), 'hello from v3', 'a cancelled build changes nothing');
  });

  it('shows the pipeline pages in Chinese', async () => {
    await page.evaluate("localStorage.setItem('berth.lang', 'zh-CN')");
    await page.goto(`${platform.url}/p/${project}/test/pipelines`);
    await page.getByText('pcf 的流水线').waitFor();
    // the heading renders before the table's rows: wait for the row's button, then read it
    await page.getByTestId('build-now-web').waitFor();
    assert.equal((await page.getByTestId('build-now-web').innerText()).trim(), '立即构建');
    await browser.screenshot('codeflow-list-zh', 1920, 1080);
    await page.evaluate("localStorage.setItem('berth.lang', 'en')");
    assert.deepEqual(
      unexpectedProblems(browser.problems, [
        { urlEnds: '/api/v1/me', status: 401 },
        { urlEnds: `/api/v1/projects/${project}/pipelines`, status: 400 },
      ]),
      [],
    );
  });
});
