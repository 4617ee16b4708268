import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { adminPassword, type TestPlatform } from '../packages/server/test/helpers/platform.ts';
import { freePort } from '../packages/server/test/helpers/net.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { fieldError, logIn, portalSession } from './helpers/session.ts';
import { hostInterface } from '../packages/gateway-nginx/test/host-interface.ts';

/*
 * The gateway's Virtual IP tab: a platform admin sets the VIP through the form (a password longer
 * than VRRP carries is refused at its field; the settings pass the real keepalived -t), and the
 * VRRP state a node's agent reports shows on the node's row with the holder.
 */

const iface = hostInterface();

describe('portal: gateway virtual IP', () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  const tokens: Record<string, string> = {};
  portalSession(
    {
      server: { BERTH_GATEWAY_LISTEN: 'off' },
      projects: ['shop'],
      seed: async (p) => {
        const g = await p.api.post('/api/v1/gateways', {
          name: 'edge',
          env: 'test',
          listen: `127.0.0.1:${await freePort()}`,
        });
        assert.equal(g.status, 201, JSON.stringify(g.body));
        for (const n of ['a', 'b']) {
          const r = await p.api.post<{ token: string }>('/api/v1/gateways/edge/nodes', { name: n });
          tokens[n] = r.body.token;
        }
      },
    },
    (s) => ({ platform, browser, page } = s),
  );

  /** What node `n`'s agent does: report the notify script's state (and poll, which keeps it online). */
  const report = async (n: string, state: string, priority: number) => {
    const headers = { authorization: `Bearer ${tokens[n]}`, 'content-type': 'application/json' };
    const r = await fetch(`${platform.url}/api/v1/gateway-agent/vrrp`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        instance: 'berth_edge',
        state,
        priority,
        at: new Date().toISOString().slice(0, 19) + 'Z',
      }),
    });
    assert.equal(r.status, 200, await r.text());
    await fetch(`${platform.url}/api/v1/gateway-agent/config?wait=0`, { headers });
  };

  it('sets the VIP through the form and shows the state and holder per node', async () => {
    await logIn(page, platform.url, 'admin', adminPassword);
    await page.goto(`${platform.url}/gateways/edge/vip`);
    await page.getByText('This gateway has no virtual IP yet.').waitFor();
    await page.fill('#vip-address', '192.0.2.100/24');
    await page.fill('#vip-auth-pass', 'k33palive1');
    await page.getByTestId('vip-iface-a').fill(iface);
    await page.getByLabel('Priority of a').fill('150');
    await page.getByTestId('vip-iface-b').fill(iface);
    await page.getByLabel('Priority of b').fill('100');
    await page.getByTestId('vip-save').click();
    assert.match(await fieldError(page, '#vip-auth-pass'), /at most 8 characters/);
    await page.fill('#vip-auth-pass', 'k33pal1v');
    await page.getByTestId('vip-save').click();
    await page
      .getByText('No node reports holding 192.0.2.100/24.')
      .waitFor()
      .catch(async (err: Error) => {
        const shown = await page
          .getByTestId('vip-error')
          .innerText({ timeout: 1000 })
          .catch(() => '');
        throw new Error(`${err.message}; the form shows: ${shown}`);
      });
    const stored = await platform.api.get<{ version: number; settings: { nodes: unknown[] } }>(
      '/api/v1/gateways/edge/vip',
    );
    assert.equal(stored.body.version, 1);
    assert.equal(stored.body.settings.nodes.length, 2);
    await report('a', 'MASTER', 150);
    await report('b', 'BACKUP', 100);
    await page.getByText('192.0.2.100/24 is held by node a.').waitFor();
    assert.equal(await page.getByTestId('vrrp-a').innerText(), 'MASTER');
    assert.equal(await page.getByTestId('vrrp-b').innerText(), 'BACKUP');
    await report('a', 'FAULT', 150);
    await report('b', 'MASTER', 100);
    await page.getByText('192.0.2.100/24 is held by node b.').waitFor();
    assert.equal(await page.getByTestId('vrrp-a').innerText(), 'FAULT');
    assert.deepEqual(
      unexpectedProblems(browser.problems, [{ urlEnds: '/api/v1/gateways/edge/vip', status: 400 }]),
      [],
    );
  });
});
