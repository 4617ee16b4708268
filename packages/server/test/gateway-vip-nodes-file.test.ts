import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateKeepalived } from '@berth/gateway-nginx';
import { eventually, startPlatform, type TestPlatform } from './helpers/platform';
import { freePort } from './helpers/net';
import { startAgentGroup, type AgentGroup } from './helpers/gateway-nodes';
import { hostInterface } from '../../gateway-nginx/test/host-interface';

const run = promisify(execFile);

interface VipView {
  vipHolder: string | null;
  splitBrain: boolean;
  nodes: Array<{ name: string; vrrpState: string; priority: number | null; holdsVip: boolean }>;
}
interface NodeView {
  name: string;
  state: string;
  error: string | null;
}

/*
 * The virtual IP on nodes run by one `berth-gateway-agent --nodes-file` process (the real agent
 * command): each node's entry names its keepalived files, each node installs its own
 * keepalived.conf (accepted by the real keepalived -t) and reports its own VRRP state, so Berth
 * shows the holder per node as for single-node agents. A setting one node's keepalived refuses
 * fails that node alone. keepalived itself is never started.
 */
describe('gateway virtual IP on the nodes of a nodes file', () => {
  let p: TestPlatform;
  let root: string;
  let group: AgentGroup;
  const iface = hostInterface();
  const names = ['a', 'b', 'c'];
  const conf = (name: string) => path.join(root, 'keepalived', `${name}.conf`);
  /** The default state file of a nodes file's node: beside its configuration, with its name. */
  const state = (name: string) => path.join(root, 'keepalived', `berth-vrrp-state.${name}.json`);
  const notify = () => path.join(root, 'bin', 'berth-vrrp-notify');
  const vip = async () => (await p.api.get<VipView>('/api/v1/gateways/edge/vip')).body;
  const nodes = async () =>
    (await p.api.get<{ items: NodeView[] }>('/api/v1/gateways/edge/nodes')).body.items;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'berth-gw-vip-nodes-'));
    p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off' });
    const created = await p.api.post('/api/v1/gateways', {
      name: 'edge',
      env: 'test',
      listen: `127.0.0.1:${await freePort()}`,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const entries = [];
    for (const name of names) {
      const r = await p.api.post<{ token: string }>('/api/v1/gateways/edge/nodes', { name });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      entries.push({
        name,
        token: r.body.token,
        fields: { keepalivedConf: conf(name), keepalivedNotifyScript: notify() },
      });
    }
    group = await startAgentGroup('vip', root, p.url, entries, { waitSeconds: 2 });
    await eventually(
      async () => (await nodes()).every((n) => n.state === 'in-sync'),
      'the three nodes in sync',
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${group.output().slice(-3000)}`);
    });
  });
  after(async () => {
    await group?.kill('SIGTERM');
    const left = group?.masters() ?? [];
    await p?.close();
    rmSync(root, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no Nginx master of the nodes is left running');
  });

  it('every node installs its own keepalived.conf, accepted by keepalived -t', async () => {
    const r = await p.api.put('/api/v1/gateways/edge/vip', {
      version: 0,
      address: '192.0.2.100/24',
      virtualRouterId: 51,
      authPass: 'k33pal1v',
      preemption: 'nopreempt',
      nodes: [
        { name: 'a', interface: iface, priority: 150 },
        { name: 'b', interface: iface, priority: 100 },
        { name: 'c', interface: iface, priority: 50 },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const name of names)
      await eventually(
        () => Promise.resolve(existsSync(conf(name))),
        `${name}'s keepalived.conf installed`,
        30_000,
      );
    for (const [i, name] of names.entries()) {
      const text = readFileSync(conf(name), 'utf8');
      assert.match(text, new RegExp(`^ {2}priority ${150 - 50 * i}$`, 'm'));
      assert.ok(text.includes(`-F ${path.join(root, name, 'logs', 'nginx.pid')} -x nginx"`), text);
      assert.ok(text.includes(`notify "${notify()} ${state(name)}"`), text);
      const v = await validateKeepalived(text);
      assert.equal(v.ok, true, JSON.stringify(v));
    }
    assert.ok(existsSync(notify()), 'the notify script is installed');
  });

  it('shows the VRRP state each node reports, and the holder', async () => {
    // what keepalived runs on a transition: SCRIPT STATE_FILE INSTANCE NAME STATE PRIORITY
    await run(notify(), [state('a'), 'INSTANCE', 'berth_edge', 'MASTER', '150']);
    await run(notify(), [state('b'), 'INSTANCE', 'berth_edge', 'BACKUP', '100']);
    await run(notify(), [state('c'), 'INSTANCE', 'berth_edge', 'BACKUP', '50']);
    const states = (v: VipView) => v.nodes.map((n) => `${n.name}:${n.vrrpState}:${n.priority}`).join(' ');
    let last: VipView | null = null;
    await eventually(
      async () => {
        last = await vip();
        return last.vipHolder === 'a' && states(last) === 'a:MASTER:150 b:BACKUP:100 c:BACKUP:50';
      },
      'a holds the VIP, b and c are backups',
      20_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
    // a faults; b takes the VIP: only b's report changes who holds it
    await run(notify(), [state('a'), 'INSTANCE', 'berth_edge', 'FAULT', '150']);
    await run(notify(), [state('b'), 'INSTANCE', 'berth_edge', 'MASTER', '100']);
    await eventually(
      async () => {
        last = await vip();
        return last.vipHolder === 'b' && states(last) === 'a:FAULT:150 b:MASTER:100 c:BACKUP:50';
      },
      'b holds the VIP after a faults',
      20_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
    assert.equal(last!.splitBrain, false);
  });

  it("a setting one node's keepalived refuses fails that node alone", async () => {
    const current = await p.api.get<{ version: number }>('/api/v1/gateways/edge/vip');
    const r = await p.api.put('/api/v1/gateways/edge/vip', {
      version: current.body.version,
      address: '192.0.2.100/24',
      virtualRouterId: 52,
      authPass: 'k33pal1v',
      preemption: 'nopreempt',
      nodes: [
        { name: 'a', interface: iface, priority: 150 },
        { name: 'b', interface: iface, priority: 100 },
        // the server validates with dynamic_interfaces; node c's keepalived -t checks the interface
        { name: 'c', interface: 'nosuchif0', priority: 50 },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    let last: NodeView[] = [];
    await eventually(
      async () => {
        last = await nodes();
        const c = last.find((n) => n.name === 'c');
        return (
          c?.state === 'failed' &&
          last.filter((n) => n.name !== 'c').every((n) => n.state === 'in-sync') &&
          names
            .filter((n) => n !== 'c')
            .every((n) => readFileSync(conf(n), 'utf8').includes('virtual_router_id 52'))
        );
      },
      'c failed, a and b in sync with the new file',
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
    assert.match(
      last.find((n) => n.name === 'c')!.error ?? '',
      /keepalived -t refused keepalived\.conf: .*nosuchif0/s,
    );
    assert.ok(readFileSync(conf('c'), 'utf8').includes('virtual_router_id 51'), "c's installed file is kept");
  });
});
