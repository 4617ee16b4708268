import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  gatewayAdminApiRoutes,
  gatewayApiRoutes,
  gatewayNodeApiRoutes,
} from '../packages/web/src/features/gateways/gateways-api.ts';
import { routeApiRoutes } from '../packages/web/src/features/routes/routes-api.ts';
import { viaGateway } from '../packages/server/test/helpers/gateway-load.ts';
import { freePort } from '../packages/server/test/helpers/net.ts';
import { grantZone } from '../packages/server/test/helpers/tenancy.ts';
import { makeCert } from '../packages/server/test/helpers/certificates.ts';
import { startAgentNode, type AgentNode } from '../packages/server/test/helpers/gateway-nodes.ts';
import {
  startGatewayPlatform,
  type GatewayPlatform,
} from '../packages/server/test/helpers/gateway-platform.ts';
import {
  adminPassword,
  eventually,
  makeProject,
  waitTask,
  webSpec,
} from '../packages/server/test/helpers/platform.ts';
import { openBrowser, unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { closeDrawer } from './helpers/session.ts';

const run = promisify(execFile);
const host = 'shop.example.test';
const routesApi = '/api/v1/projects/shop/envs/test/routes';

interface VersionRow {
  number: number;
  kind: string;
  reason: string;
  state: string;
}

/** Which service answered each of `n` requests through the gateway (the body is its VERSION). */
async function bodiesOf(listen: string, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i += 1) {
    const res = await viaGateway(listen, host);
    const key = res.status === 200 ? res.body : `status ${res.status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * A certificate (and key) for the shop's host, made by openssl (argv only). With `sha1`, the leaf
 * is signed by a throwaway CA with SHA-1: Berth's store accepts it (it parses, its key is strong and
 * matches, it has not expired), but Nginx refuses to load it ("ca md too weak" under Debian's
 * OpenSSL security level 2). Otherwise a self-signed RSA-2048 one.
 */
async function rsaCert(dir: string, file: string, opts: { sha1?: boolean } = {}) {
  const keyFile = path.join(dir, `${file}.key`);
  const certFile = path.join(dir, `${file}.crt`);
  const subject = ['-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`];
  if (!opts.sha1) {
    const { certificate, key } = await makeCert(dir, file, [host], { rsaBits: 2048 });
    return { certificate, key };
  }
  const ca = path.join(dir, `${file}-ca`);
  await makeCert(dir, `${file}-ca`, ['weak-test-ca'], { rsaBits: 2048 });
  await run('openssl', [
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    ...subject,
    '-keyout',
    keyFile,
    '-out',
    `${certFile}.csr`,
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    `${certFile}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-sha1',
    '-copy_extensions',
    'copy',
    '-out',
    certFile,
  ]);
  return { certificate: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

async function confirmPopover(page: Page, name: string): Promise<void> {
  await page.locator('.ant-popconfirm').getByRole('button', { name }).click();
}

describe('gateway pages (browser, real Podman and Nginx)', { timeout: 600_000 }, () => {
  let platform: GatewayPlatform;
  let browser: TestBrowser;
  let page: Page;
  let agent: AgentNode | undefined;
  const agentRoot = mkdtempSync(path.join(tmpdir(), 'berth-e2e-agent-'));
  const certDir = mkdtempSync(path.join(tmpdir(), 'berth-e2e-gw-certs-'));

  const versions = async (kind?: string) =>
    (
      await platform.api.get<{ items: VersionRow[] }>(
        `/api/v1/gateways/local/versions?limit=100${kind ? `&kind=${kind}` : ''}`,
      )
    ).body.items;

  before(async () => {
    platform = await startGatewayPlatform();
    const services = await makeProject(platform.api, 'shop');
    await grantZone(platform.api, 'example.test', 'shop');
    const tasks = await Promise.all(
      [
        ['web', 'v1'],
        ['web-v2', 'v2'],
      ].map(async ([name, version]) => {
        const r = await platform.api.post<{ task: { id: string } }>(services, {
          name,
          spec: webSpec(version!, 1),
        });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        return r.body.task.id;
      }),
    );
    for (const id of tasks) assert.equal((await waitTask(platform.api, id)).state, 'succeeded');
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(30_000);
  });

  after(async () => {
    await agent?.kill('SIGTERM');
    agent?.stopNginx();
    rmSync(agentRoot, { recursive: true, force: true });
    rmSync(certDir, { recursive: true, force: true });
    await browser?.close();
    await platform?.close();
  });

  it('calls only gateway and route API paths that the OpenAPI document lists', async () => {
    const doc = await platform.api.get<{ paths: Record<string, Record<string, unknown>> }>(
      '/api/openapi.json',
    );
    for (const route of [
      ...Object.values(gatewayApiRoutes),
      ...Object.values(gatewayNodeApiRoutes),
      ...Object.values(gatewayAdminApiRoutes),
      ...Object.values(routeApiRoutes),
    ]) {
      const [method, template] = route.split(' ') as [string, string];
      assert.ok(doc.body.paths[template]?.[method.toLowerCase()], `${route} is not in /api/openapi.json`);
    }
  });

  it('creates a route in the portal, shows field errors at the field, and serves it through Nginx', async () => {
    await page.goto(`${platform.url}/login`);
    await page.fill('#login-username', 'admin');
    await page.fill('#login-password', adminPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/p\/shop\/test$/);
    await page.getByTestId('open-routes').click();
    await page.waitForURL(/\/p\/shop\/test\/routes$/);
    await page.getByTestId('routes-empty').waitFor();

    await page.getByTestId('create-route').click();
    await page.fill('#route-name', 'shop');
    await page.fill('#route-host', 'not a host');
    await page.locator('#route-service').click();
    await page.locator('.ant-select-item-option').filter({ hasText: /^web$/ }).click();
    await page.getByTestId('route-submit').click();
    const hostItem = page.locator('.ant-form-item').filter({ has: page.locator('#route-host') });
    await hostItem.locator('.ant-form-item-explain-error').waitFor();
    assert.match(await hostItem.innerText(), /lowercase DNS name/);
    assert.equal((await platform.api.get<{ items: unknown[] }>(routesApi)).body.items.length, 0);

    await page.fill('#route-host', host);
    await page.getByTestId('route-add-header').click();
    await page.getByLabel('Header name').fill('X-Route');
    await page.getByLabel('Header value').fill('shop');
    await page.fill('#route-reason', 'open the shop');
    await page.getByTestId('route-submit').click();
    await page.waitForURL(/\/p\/shop\/test\/routes\/shop$/);
    assert.match(await page.getByTestId('route-summary').innerText(), /X-Route: shop/);

    const res = await viaGateway(platform.listen, host);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'v1');
    assert.equal(res.headers['x-route'], 'shop');
    await browser.screenshot('route-detail-en', 1366, 768);
  });

  it('shows the wildcard domain and the route in the service overview', async () => {
    await page.goto(`${platform.url}/p/shop/test/s/web/overview`);
    const domains = page.getByTestId('service-domains');
    await domains.getByText(host).waitFor();
    assert.match(await domains.innerText(), /web\.shop\.test\.localhost[\s\S]*shop/);
    assert.equal((await viaGateway(platform.listen, 'web.shop.test.localhost')).body, 'v1');
    await domains.getByRole('link', { name: 'shop', exact: true }).click();
    await page.waitForURL(/\/p\/shop\/test\/routes\/shop$/);
  });

  it('shows Nginx’s refusal as a readable alert and keeps serving', async () => {
    // The store accepts a leaf signed with SHA-1 (rsaCert), but Nginx refuses to load it.
    // Another project's certificate of the same host must not be offered in the route form.
    const [weak, foreign] = await Promise.all([
      rsaCert(certDir, 'weak', { sha1: true }),
      rsaCert(certDir, 'foreign'),
    ]);
    await makeProject(platform.api, 'other');
    for (const [project, name, cert] of [
      ['shop', 'weak', weak],
      ['other', 'foreign', foreign],
    ] as const) {
      const r = await platform.api.post(`/api/v1/projects/${project}/certificates`, { name, ...cert });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const before = (await platform.api.get<{ version: number }>(`${routesApi}/shop`)).body.version;

    await page.getByTestId('route-edit').click();
    await page.locator('#route-tls-cert').click();
    const options = page.locator('.ant-select-dropdown:visible .ant-select-item-option');
    await options.filter({ hasText: /^weak/ }).waitFor();
    // The list is read until it holds something: on a busy machine the form re-renders after its
    // own data arrives and the dropdown may close between the wait and the read (then reopen it).
    const offered = async () => (await options.allInnerTexts()).map((t) => t.split(' ')[0]);
    let seen = await offered();
    for (const deadline = Date.now() + 15_000; seen.length === 0 && Date.now() < deadline;) {
      if ((await page.locator('.ant-select-dropdown:visible').count()) === 0)
        await page.locator('#route-tls-cert').click();
      await options
        .first()
        .waitFor({ timeout: 2_000 })
        .catch(() => undefined);
      seen = await offered();
    }
    assert.deepEqual(seen, ['weak'], 'only the project’s own certificates are offered');
    await options.filter({ hasText: /^weak/ }).click();
    await page.getByTestId('route-submit').click();
    await page.getByTestId('route-nginx-error').waitFor();
    assert.match(await page.getByTestId('route-error').innerText(), /Nginx refused/);
    assert.match(
      await page.getByTestId('route-nginx-error').innerText(),
      /weak\.[0-9a-f]{16}\.crt[\s\S]*ca md too weak/,
    );
    await browser.screenshot('route-form-refused-en', 1366, 768);
    const route = await platform.api.get<{ version: number; spec: { tls?: unknown } }>(`${routesApi}/shop`);
    assert.equal(route.body.version, before, 'the refused change is not stored');
    assert.equal(route.body.spec.tls, undefined);
    const [refused] = await versions('config');
    assert.equal(refused?.state, 'failed');
    assert.equal((await viaGateway(platform.listen, host)).body, 'v1');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL(/\/routes\/shop$/);
  });

  it('sets a 50% canary, sees the split through Nginx, and aborts it', async () => {
    const panel = page.getByTestId('canary-panel');
    assert.equal(await panel.getAttribute('data-canary'), 'off');
    await page.fill('#canary-percent', '50');
    await page.locator('#canary-service').click();
    await page.locator('.ant-select-item-option').filter({ hasText: 'web-v2' }).click();
    await page.getByTestId('canary-start').click();
    await page.locator('[data-testid="canary-panel"][data-canary="on"]').waitFor();
    assert.match(await page.getByTestId('canary-state').innerText(), /50% of requests[\s\S]*web-v2/);
    const split = await bodiesOf(platform.listen, 200);
    const v2 = split.get('v2') ?? 0;
    assert.equal((split.get('v1') ?? 0) + v2, 200, JSON.stringify([...split]));
    assert.ok(v2 >= 60 && v2 <= 140, `50% canary sent ${v2}/200 to v2`);
    await browser.screenshot('canary-en', 1366, 768);

    await page.getByTestId('canary-abort').click();
    await confirmPopover(page, 'Confirm');
    await page.locator('[data-testid="canary-panel"][data-canary="off"]').waitFor();
    const back = await bodiesOf(platform.listen, 30);
    assert.deepEqual([...back], [['v1', 30]]);
  });

  it('lists the versions, diffs two of them side by side, and rolls back', async () => {
    await page.getByRole('link', { name: 'Gateways', exact: true }).click();
    await page.getByTestId('gateway-link-local').click();
    await page.waitForURL(/\/gateways\/local\/versions$/);
    const table = page.getByTestId('versions-table');
    await table.getByText('open the shop').waitFor();

    const configs = await versions('config');
    const [aborted, canary] = configs;
    assert.ok(aborted && canary, 'two config versions');
    assert.match(canary.reason, /canary/);
    await page.getByLabel(`Compare version ${canary.number}`).check();
    await page.getByLabel(`Compare version ${aborted.number}`).check();
    await page.getByTestId('compare-versions').click();
    await page.waitForURL(new RegExp(`/gateways/local/diff\\?a=${canary.number}&b=${aborted.number}$`));
    const diff = page.getByTestId('diff-table');
    await diff.waitFor();
    const removed = await diff.locator('[data-diff="removed"]').allInnerTexts();
    assert.ok(
      removed.some((l) => l.includes('split_clients')),
      `the canary's split_clients is removed: ${removed.join('\n')}`,
    );
    assert.equal(await diff.locator('thead th').first().innerText(), `Version #${canary.number}`);
    await browser.screenshot('diff-en', 1366, 768);

    await page.getByRole('tab', { name: 'Versions' }).click();
    await page.getByTestId(`rollback-version-${canary.number}`).click();
    await page.fill('#rollback-reason', 'bring the canary back');
    await page.locator('#rollback-confirm').click();
    await table.getByText('bring the canary back').waitFor();
    const newest = (await versions('config'))[0]!;
    assert.ok(newest.number > aborted.number);
    assert.equal(newest.reason, 'bring the canary back');
    assert.equal(newest.state, 'applied');
    await browser.screenshot('versions-en', 1920, 1080);
    await page.setViewportSize({ width: 1366, height: 768 });
    const rows = table.locator('tbody tr[data-row-key]');
    assert.equal(await rows.first().getAttribute('data-row-key'), String(newest.number), 'newest first');
    assert.match(await rows.first().innerText(), /bring the canary back[\s\S]*Applied/);
    const route = await platform.api.get<{ canary: { percent: number } | null }>(`${routesApi}/shop`);
    assert.equal(route.body.canary?.percent, 50, 'the rollback restored the canary');
    await eventually(async () => (await bodiesOf(platform.listen, 40)).has('v2'), 'v2 serves again', 10_000);

    await page.getByTestId(`version-${newest.number}`).click();
    await page.getByTestId('version-drawer').getByText('bring the canary back').waitFor();
    await page.getByRole('tab', { name: 'nginx.conf' }).click();
    assert.match(await page.locator('.config-file').first().innerText(), /split_clients/);
    await closeDrawer(page, page.getByTestId('version-drawer'));
  });

  it('adds a node (its token shown once), sees it in sync, rolls a version out to it first, then to all', async () => {
    await page.getByRole('link', { name: 'All gateways' }).click();
    await page.getByTestId('gateway-nodes-local').click();
    await page.waitForURL(/\/gateways\/local\/nodes$/);
    await page.getByTestId('add-node').click();
    await page.fill('#node-name', 'edge-1');
    assert.equal(await page.locator('#node-name').inputValue(), 'edge-1');
    await page.locator('#add-node-submit').click();
    // the token, or (failing) the reason the form or the API gave, so a failure says why
    const token = page.getByTestId('node-token-value');
    const refusal = page.locator('.ant-form-item-explain-error, .ant-message-error');
    await token.or(refusal).first().waitFor({ timeout: 60_000 });
    assert.equal(
      await refusal.count(),
      0,
      `adding the node was refused: ${(await refusal.allInnerTexts()).join('; ')}`,
    );
    const tokenText = await token.innerText();
    assert.match(tokenText, /^\S{20,}$/);
    await page.locator('#add-node-submit').click();
    agent = await startAgentNode('edge-1', agentRoot, platform.url, tokenText, 1);

    const row = page.locator('tr[data-row-key="edge-1"]');
    await row.locator('[data-state="in-sync"]').waitFor({ timeout: 60_000 });
    await eventually(
      async () => (await page.getByTestId('nodes-in-sync').innerText()) === '2/2',
      'both nodes in sync',
    );
    const current = (await platform.api.get<{ appliedVersion: number }>('/api/v1/gateways/local')).body
      .appliedVersion;
    await eventually(async () => (await bodiesOf(agent!.listen, 40)).has('v2'), 'the node runs the canary');

    // One node first: the version that opened the shop (no canary yet) goes to edge-1 only.
    const first = (await versions('config')).find((v) => v.reason === 'open the shop')!;
    await page.locator('#rollout-version').click();
    await page
      .locator('.ant-select-item-option')
      .filter({ hasText: `#${first.number} ` })
      .click();
    await page.getByLabel('Select node edge-1').check();
    await page.getByTestId('rollout-selected').click();
    await confirmPopover(page, 'Confirm');
    await row.getByText('held').waitFor();
    const edge = async () =>
      (
        await platform.api.get<{ items: Array<{ name: string; state: string; appliedVersion: number }> }>(
          '/api/v1/gateways/local/nodes',
        )
      ).body.items.find((n) => n.name === 'edge-1');
    // A node held at an older version is "behind" the gateway's newest one, by design.
    let seen: unknown;
    await eventually(async () => {
      const n = await edge();
      seen = n;
      return n?.appliedVersion === first.number && n.state === 'behind';
    }, 'edge-1 to apply the held version').catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(seen)}`);
    });
    await eventually(async () => /Behind/.test(await row.innerText()), 'the table shows edge-1 behind');
    assert.match(await row.innerText(), new RegExp(`#${first.number}[\\s\\S]*#${first.number}[\\s\\S]*held`));
    assert.deepEqual([...(await bodiesOf(agent.listen, 30))], [['v1', 30]], 'the held node has no canary');
    await browser.screenshot('nodes-en', 1366, 768);

    await page.locator('#rollout-version').click();
    await page
      .locator('.ant-select-item-option')
      .filter({ hasText: `#${current} ` })
      .click();
    await page.getByTestId('rollout-all').click();
    await confirmPopover(page, 'Confirm');
    await row.getByText('held').waitFor({ state: 'detached' });
    await eventually(async () => (await bodiesOf(agent!.listen, 40)).has('v2'), 'edge-1 follows again');
    await row.locator('[data-state="in-sync"]').waitFor();
  });

  it('adds a vetted snippet; a bad argument is shown at its field and changes nothing', async () => {
    await page.getByRole('tab', { name: 'Snippets' }).click();
    await page.getByTestId('add-snippet-server').click();
    const directive = page.getByLabel('Directive').first();
    await directive.click();
    await directive.fill('gzip');
    await page
      .locator('.ant-select-item-option')
      .filter({ hasText: /^gzip$/ })
      .click();
    const args = page.getByLabel('Arguments').first();
    await args.fill('maybe');
    await args.press('Enter');
    await page.getByTestId('snippets-save').click();
    await page.getByTestId('snippets-error').waitFor();
    await page
      .locator('.ant-form-item-explain-error')
      .filter({ hasText: /on\|off/ })
      .waitFor();
    const before = (await platform.api.get<{ snippets: { server: unknown[] } }>('/api/v1/gateways/local'))
      .body;
    assert.deepEqual(before.snippets.server, []);

    await page.locator('.ant-select-selection-item-remove').first().click();
    await args.fill('on');
    await args.press('Enter');
    await page.fill('#snippets-reason', 'compress responses');
    await page.getByTestId('snippets-save').click();
    await page.getByText(/Snippets saved and applied as version #\d+/).waitFor();
    assert.equal((await versions('config'))[0]?.reason, 'compress responses');
    const gw = (await platform.api.get<{ snippets: { server: unknown[] } }>('/api/v1/gateways/local')).body;
    assert.deepEqual(gw.snippets.server, [{ directive: 'gzip', args: ['on'] }]);
    assert.equal((await viaGateway(platform.listen, host)).status, 200);
  });

  it('creates a gateway for another environment (bad listener shown at its field) and deletes it', async () => {
    await page.getByRole('link', { name: 'Gateways', exact: true }).click();
    await page.getByTestId('create-gateway').click();
    await page.fill('#gateway-name', 'edge');
    await page.locator('#gateway-env').click();
    await page.locator('.ant-select-item-option').filter({ hasText: 'Production' }).click();
    await page.fill('#gateway-listen', '127.0.0.1:80; include x');
    await page.fill('#gateway-description', 'the prod edge');
    await page.locator('#create-gateway-submit').click();
    const listenItem = page.locator('.ant-form-item').filter({ has: page.locator('#gateway-listen') });
    await listenItem.locator('.ant-form-item-explain-error').first().waitFor();
    assert.match(await listenItem.innerText(), /HOST:PORT/);
    await page.fill('#gateway-listen', `127.0.0.1:${await freePort()}`);
    await page.locator('#create-gateway-submit').click();
    await page.getByTestId('gateway-link-edge').waitFor();
    const row = page.locator('tr[data-row-key="edge"]');
    assert.match(await row.innerText(), /the prod edge[\s\S]*prod/);
    const edge = await platform.api.get<{ env: string }>('/api/v1/gateways/edge');
    assert.equal(edge.body.env, 'prod');

    await page.getByTestId('delete-gateway-edge').click();
    await confirmPopover(page, 'Delete');
    await row.waitFor({ state: 'detached' });
    assert.equal((await platform.api.get('/api/v1/gateways/edge')).status, 404);
  });

  it('shows the routes pages in Chinese without English UI strings', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    // Data, not UI: names, hosts, header names, users and protocol terms.
    const data = new Set(['shop', 'example', 'test', 'team', 'web', 'admin', 'Route']);
    // Terms the Chinese UI keeps in English on purpose (glossary): protocols and units.
    for (const term of ['TLS', 'HTTP', 'HTTPS', 'WebSocket', 'Cookie', 'upstream', 'MiB', 'IPv4', 'CIDR'])
      data.add(term);
    // Examples in help texts: shop.example.com, /api/.
    for (const example of ['com', 'api']) data.add(example);
    const english = async () => {
      const text = await page.locator('.app-content').innerText();
      return (text.match(/[A-Za-z][A-Za-z0-9-]{2,}/g) ?? []).filter(
        (w) => !w.split('-').every((part) => data.has(part) || part.length < 3),
      );
    };
    for (const path of ['/p/shop/test/routes', '/p/shop/test/routes/shop', '/p/shop/test/routes/shop/edit']) {
      await page.goto(`${platform.url}${path}`);
      await page.getByText('路由').first().waitFor();
      await page.locator('.ant-skeleton').waitFor({ state: 'detached' });
      assert.deepEqual(await english(), [], `English words on ${path}`);
    }
    await page.goto(`${platform.url}/p/shop/test/routes`);
    await page.getByText('灰度发布').first().waitFor();
    await browser.screenshot('routes-zh', 1366, 768);
  });

  it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      { urlEnds: routesApi, status: 400 },
      { urlEnds: `${routesApi}/shop`, status: 422 },
      { urlEnds: '/api/v1/gateways/local/snippets', status: 400 },
      { urlEnds: '/api/v1/gateways', status: 400 },
    ]);
    assert.deepEqual(problems, []);
    console.log(`screenshots: ${browser.shotsDir}`);
  });
});
