import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateKeepalived } from '@berth/gateway-nginx';
import { GatewayAgent } from '../../gateway-nginx/src/agent';
import { eventually, startPlatform, type TestPlatform } from './helpers/platform';
import { freePort } from './helpers/net';
import { testDialects } from './helpers/db';
import { hostInterface } from '../../gateway-nginx/test/host-interface';

const run = promisify(execFile);

interface VipView {
  version: number;
  vipHolder: string | null;
  splitBrain: boolean;
  settings: { address: string; authPassSet: boolean; preemption: string } | null;
  nodes: Array<{ name: string; vrrpState: string; priority: number | null; holdsVip: boolean }>;
}
interface ErrorBody {
  error: { message: string; details?: { fields?: Array<{ path: string; message: string }> } };
}
interface NodeView {
  name: string;
  state: string;
  appliedVersion: number | null;
  error: string | null;
}

/*
 * The virtual IP of a gateway through the real server and two real agents (in this process, each
 * with its own Nginx on loopback): settings refused with the field named, every node's file
 * accepted by the real `keepalived -t`, delivered and installed by the agents with the notify
 * script, the state the notify script writes shown per node with the holder, and a setting the
 * node's keepalived refuses reported as that node's failure with keepalived's message. keepalived
 * itself is never started (VRRP would send adverts and change addresses).
 */
for (const dialect of testDialects())
  describe(`gateway virtual IP (${dialect})`, () => {
    let p: TestPlatform;
    let root: string;
    const iface = hostInterface();
    const agents: Array<{
      name: string;
      agent: GatewayAgent;
      conf: string;
      state: string;
      notify: string;
      prefix: string;
      done: Promise<void>;
    }> = [];
    const vip = async () => (await p.api.get<VipView>('/api/v1/gateways/edge/vip')).body;
    const nodes = async () =>
      (await p.api.get<{ items: NodeView[] }>('/api/v1/gateways/edge/nodes')).body.items;
    const settings = (over: Record<string, unknown> = {}) => ({
      address: '192.0.2.100/24',
      virtualRouterId: 51,
      authPass: 'k33pal1v',
      preemption: 'nopreempt',
      nodes: [
        { name: 'a', interface: iface, priority: 150 },
        { name: 'b', interface: iface, priority: 100 },
      ],
      ...over,
    });
    const fieldsOf = (b: ErrorBody) => (b.error.details?.fields ?? []).map((f) => f.path);

    before(async () => {
      root = mkdtempSync(path.join(tmpdir(), 'berth-gw-vip-'));
      p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off' }, { dialect });
      const created = await p.api.post('/api/v1/gateways', {
        name: 'edge',
        env: 'test',
        listen: `127.0.0.1:${await freePort()}`,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      for (const name of ['a', 'b']) {
        const r = await p.api.post<{ token: string }>('/api/v1/gateways/edge/nodes', { name });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        const prefix = path.join(root, name);
        const conf = path.join(root, `${name}-keepalived`, 'keepalived.conf');
        const state = path.join(root, `${name}-vrrp-state.json`);
        const notify = path.join(root, `${name}-bin`, 'berth-vrrp-notify');
        const agent = new GatewayAgent({
          server: p.url,
          token: r.body.token,
          prefix,
          nginxListen: `127.0.0.1:${await freePort()}`,
          manageNginx: true,
          waitSeconds: 2,
          workerProcesses: 1,
          keepalived: { confFile: conf, stateFile: state, notifyScript: notify },
          log: () => undefined,
        });
        agents.push({ name, agent, conf, state, notify, prefix, done: agent.run() });
      }
      await eventually(
        async () => (await nodes()).every((n) => n.state === 'in-sync'),
        'both agent nodes in sync',
        30_000,
      );
    });
    after(async () => {
      for (const a of agents) await a.agent.stop();
      await Promise.all(agents.map((a) => a.done.catch(() => undefined)));
      // the agents ran in this process: their keep-alive sockets would hold the server's close
      p?.server.app.server.closeAllConnections();
      await p?.close();
      rmSync(root, { recursive: true, force: true });
    });

    it('refuses bad settings with the field named and how to fix it', async () => {
      const none = await vip();
      assert.equal(none.version, 0);
      assert.equal(none.settings, null);
      assert.deepEqual(
        none.nodes.map((n) => [n.name, n.vrrpState]),
        [
          ['a', 'unknown'],
          ['b', 'unknown'],
        ],
      );
      const long = await p.api.put<ErrorBody>(
        '/api/v1/gateways/edge/vip',
        settings({ authPass: 'k33palive1' }),
      );
      assert.equal(long.status, 400);
      assert.ok(fieldsOf(long.body).includes('authPass'), JSON.stringify(long.body));
      assert.match(JSON.stringify(long.body), /at most 8 characters/);
      const ghost = await p.api.put<ErrorBody>(
        '/api/v1/gateways/edge/vip',
        settings({
          nodes: [
            { name: 'a', interface: iface, priority: 150 },
            { name: 'ghost', interface: iface, priority: 100 },
          ],
        }),
      );
      assert.equal(ghost.status, 400, JSON.stringify(ghost.body));
      assert.deepEqual(fieldsOf(ghost.body), ['nodes[1].name']);
      assert.match(JSON.stringify(ghost.body), /has no node 'ghost': add it first/);
      const tie = await p.api.put<ErrorBody>(
        '/api/v1/gateways/edge/vip',
        settings({
          nodes: [
            { name: 'a', interface: iface, priority: 150 },
            { name: 'b', interface: iface, priority: 150 },
          ],
        }),
      );
      assert.equal(tie.status, 400, JSON.stringify(tie.body));
      assert.deepEqual(fieldsOf(tie.body), ['nodes[1].priority']);
      const lo = await p.api.put<ErrorBody>(
        '/api/v1/gateways/edge/vip',
        settings({
          nodes: [
            { name: 'a', interface: 'lo', priority: 150 },
            { name: 'b', interface: iface, priority: 100 },
          ],
        }),
      );
      assert.equal(lo.status, 400);
      assert.ok(
        fieldsOf(lo.body).some((f) => f.includes('interface')),
        JSON.stringify(lo.body),
      );
      assert.match(JSON.stringify(lo.body), /lo cannot carry VRRP adverts/);
      assert.equal((await vip()).version, 0, 'nothing stored');
    });

    it('stores the VIP; every node gets its own keepalived.conf, accepted by keepalived -t', async () => {
      const r = await p.api.put<VipView>('/api/v1/gateways/edge/vip', { version: 0, ...settings() });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.version, 1);
      assert.equal(r.body.settings?.authPassSet, true);
      assert.ok(!JSON.stringify(r.body).includes('k33pal1v'), 'the password is never answered');
      const stale = await p.api.put<ErrorBody>('/api/v1/gateways/edge/vip', { version: 0, ...settings() });
      assert.equal(stale.status, 409);
      assert.match(stale.body.error.message, /changed since you read it \(now version 1\)/);
      for (const a of agents)
        await eventually(
          () => Promise.resolve(existsSync(a.conf)),
          `${a.name}'s keepalived.conf installed`,
          20_000,
        );
      const [a, b] = agents as [(typeof agents)[0], (typeof agents)[0]];
      const textA = readFileSync(a.conf, 'utf8');
      const textB = readFileSync(b.conf, 'utf8');
      assert.match(textA, /^ {2}priority 150$/m);
      assert.match(textB, /^ {2}priority 100$/m);
      assert.match(textA, /^ {4}192\.0\.2\.100\/24 dev /m);
      // the agent's own paths: its Nginx pid file, notify script and state file
      assert.ok(textA.includes(`-F ${path.join(a.prefix, 'logs', 'nginx.pid')} -x nginx`), textA);
      assert.ok(textA.includes(`notify "${a.notify} ${a.state}"`), textA);
      assert.ok(existsSync(a.notify), 'notify script installed');
      for (const text of [textA, textB]) {
        const v = await validateKeepalived(text);
        assert.equal(v.ok, true, JSON.stringify(v));
      }
    });

    it('shows the state the notify script wrote per node, and who holds the VIP', async () => {
      const [a, b] = agents as [(typeof agents)[0], (typeof agents)[0]];
      // what keepalived runs on a transition: SCRIPT STATE_FILE INSTANCE NAME STATE PRIORITY
      await run(a.notify, [a.state, 'INSTANCE', 'berth_edge', 'MASTER', '150']);
      await run(b.notify, [b.state, 'INSTANCE', 'berth_edge', 'BACKUP', '100']);
      await eventually(
        async () => {
          const v = await vip();
          return v.vipHolder === 'a' && v.nodes.find((n) => n.name === 'b')?.vrrpState === 'BACKUP';
        },
        'a holds the VIP, b is backup',
        20_000,
      );
      // a's Nginx check fails: a goes FAULT, b claims the VIP
      await run(a.notify, [a.state, 'INSTANCE', 'berth_edge', 'FAULT', '150']);
      await run(b.notify, [b.state, 'INSTANCE', 'berth_edge', 'MASTER', '100']);
      await eventually(
        async () => {
          const v = await vip();
          return v.vipHolder === 'b' && v.nodes.find((n) => n.name === 'a')?.vrrpState === 'FAULT';
        },
        'b holds the VIP after a faults',
        20_000,
      );
      assert.equal((await vip()).splitBrain, false);
    });

    it("reports a setting the node's keepalived refuses as that node's failure; nginx config untouched", async () => {
      const [, b] = agents as [(typeof agents)[0], (typeof agents)[0]];
      const before = await nodes();
      const bBefore = before.find((n) => n.name === 'b')!;
      const confBefore = readFileSync(b.conf, 'utf8');
      const nginxBefore = readFileSync(path.join(b.prefix, 'conf', 'nginx.conf'), 'utf8');
      // an interface b's machine does not have: Berth cannot know, b's keepalived -t refuses it
      const r = await p.api.put<VipView>(
        '/api/v1/gateways/edge/vip',
        settings({
          version: 1,
          nodes: [
            { name: 'a', interface: iface, priority: 150 },
            { name: 'b', interface: 'nosuch9', priority: 100 },
          ],
        }),
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      let failed: NodeView | undefined;
      await eventually(
        async () => {
          failed = (await nodes()).find((n) => n.name === 'b' && n.state === 'failed');
          return failed !== undefined;
        },
        'node b failed',
        20_000,
      );
      assert.match(failed!.error ?? '', /keepalived -t refused keepalived\.conf: .*nosuch9/s);
      assert.equal(failed!.appliedVersion, bBefore.appliedVersion, 'b keeps its applied version');
      assert.equal(readFileSync(b.conf, 'utf8'), confBefore, "b's keepalived.conf untouched");
      assert.equal(
        readFileSync(path.join(b.prefix, 'conf', 'nginx.conf'), 'utf8'),
        nginxBefore,
        "b's nginx.conf untouched",
      );
      // fixed: b applies again
      const fixed = await p.api.put('/api/v1/gateways/edge/vip', settings({ version: 2 }));
      assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
      await eventually(
        async () => (await nodes()).every((n) => n.state === 'in-sync'),
        'both nodes in sync again',
        20_000,
      );
    });

    it('a rollback brings back the VIP settings its version was applied with', async () => {
      const versions = async () =>
        (
          await p.api.get<{ items: Array<{ number: number; kind: string }> }>(
            '/api/v1/gateways/edge/versions',
          )
        ).body.items;
      const withOld = Math.max(...(await versions()).filter((v) => v.kind === 'config').map((v) => v.number));
      const moved = await p.api.put<VipView>(
        '/api/v1/gateways/edge/vip',
        settings({ version: 3, address: '192.0.2.101/24' }),
      );
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      const has = (address: string) => async () =>
        agents.every((a) => readFileSync(a.conf, 'utf8').includes(` ${address} dev `));
      await eventually(has('192.0.2.101/24'), 'both nodes hold the new address', 20_000);
      const back = await p.api.post<{ number: number }>(
        `/api/v1/gateways/edge/versions/${withOld}/rollback`,
        {
          reason: 'the new address was wrong',
        },
      );
      assert.equal(back.status, 200, JSON.stringify(back.body));
      const v = await vip();
      assert.equal(v.settings?.address, '192.0.2.100/24', 'the settings of that version');
      assert.equal(v.version, 5, 'restoring is a new VIP version');
      assert.equal(v.settings?.authPassSet, true, 'with its password');
      await eventually(has('192.0.2.100/24'), 'both nodes hold the old address again', 20_000);
    });

    it('removes the VIP: the agents install a keepalived.conf without it', async () => {
      const gone = await p.api.delete('/api/v1/gateways/edge/vip?version=5');
      assert.equal(gone.status, 204, JSON.stringify(gone.body));
      for (const a of agents)
        await eventually(
          () => Promise.resolve(!readFileSync(a.conf, 'utf8').includes('vrrp_instance')),
          `${a.name}'s keepalived.conf without instance`,
          20_000,
        );
      assert.equal((await vip()).settings, null);
    });
  });
