/**
 * `berth gateways vip` against a real Berth: settings refused with the field named, set (checked
 * with the real `keepalived -t`), shown with each node's VRRP state and the holder once a node's
 * agent reported it, and removed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { platformCli } from './platform-support';
import { hostInterface } from '../../gateway-nginx/test/host-interface';

const iface = hostInterface();

describe('berth gateways vip', () => {
  const cli = platformCli({
    dirPrefix: 'berth-cli-vip-',
    server: { BERTH_GATEWAY_LISTEN: 'off' },
    setup: 'admin',
  });
  const { berth, json } = cli;
  const tokens: Record<string, string> = {};

  it('sets, shows (with the holder an agent reported) and removes a virtual IP', async () => {
    await json(['gateways', 'create', 'edge', '--env', 'test', '--listen', '127.0.0.1:18090']);
    for (const n of ['a', 'b'])
      tokens[n] = (await json<{ token: string }>(['gateways', 'node-add', 'edge', n])).token;
    const none = await berth(['gateways', 'vip', 'show', 'edge']);
    assert.equal(none.code, 0, none.err);
    assert.match(none.out, /gateway edge has no virtual IP/);
    assert.match(none.out, /a\s+-\s+-\s+unknown/);
    const args = [
      '--address',
      '192.0.2.100/24',
      '--vrid',
      '51',
      '--node',
      `a:${iface}:150`,
      '--node',
      `b:${iface}:100`,
    ];
    const long = await berth(['gateways', 'vip', 'set', 'edge', ...args, '--auth-pass', 'k33palive1']);
    assert.equal(long.code, 1);
    assert.match(long.err, /authPass/);
    assert.match(long.err, /at most 8 characters/);
    const ghost = await berth([
      'gateways',
      'vip',
      'set',
      'edge',
      ...args.slice(0, 6),
      '--node',
      `ghost:${iface}:90`,
    ]);
    assert.equal(ghost.code, 1);
    assert.match(ghost.err, /nodes\[1\]\.name/);
    assert.match(ghost.err, /has no node 'ghost'/);
    const set = await berth([
      'gateways',
      'vip',
      'set',
      'edge',
      ...args,
      '--auth-pass',
      'k33pal1v',
      '--preempt',
      '--preempt-delay',
      '30',
    ]);
    assert.equal(set.code, 0, set.err);
    assert.match(set.out, /address:\s+192\.0\.2\.100\/24 \(virtual_router_id 51, version 1\)/);
    assert.match(set.out, /preemption:\s+preempt \(delay 30s\)/);
    assert.match(set.out, /password:\s+set/);
    const stale = await berth(['gateways', 'vip', 'set', 'edge', ...args, '--version', '0']);
    assert.equal(stale.code, 1);
    assert.match(stale.err, /changed since you read it/);
    // node a's agent reports what its notify script wrote
    const r = await fetch(`${cli.platform.url}/api/v1/gateway-agent/vrrp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.a}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        instance: 'berth_edge',
        state: 'MASTER',
        priority: 150,
        at: '2026-12-06T12:00:00Z',
      }),
    });
    assert.equal(r.status, 200, await r.text());
    // the node must be online (its agent polls) for its state to count
    await fetch(`${cli.platform.url}/api/v1/gateway-agent/config?wait=0`, {
      headers: { authorization: `Bearer ${tokens.a}` },
    });
    const shown = await berth(['gateways', 'vip', 'show', 'edge']);
    assert.match(shown.out, /holder:\s+a/);
    assert.match(shown.out, /a\s+\S+\s+150\s+MASTER\s+holder/);
    assert.match(shown.out, /b\s+\S+\s+100\s+unknown/);
    const v = await json<{ vipHolder: string; version: number }>(['gateways', 'vip', 'show', 'edge']);
    assert.equal(v.vipHolder, 'a');
    const removed = await berth(['gateways', 'vip', 'remove', 'edge', '--version', '1']);
    assert.equal(removed.code, 0, removed.err);
    assert.match((await berth(['gateways', 'vip', 'show', 'edge'])).out, /has no virtual IP/);
  });
});
