import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, makeProject, waitTask, webSpec } from './helpers/platform';
import { startGatewayLoad, viaGateway } from './helpers/gateway-load';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';
import { startAgentNode, type AgentNode } from './helpers/gateway-nodes';

type Obj = Record<string, unknown>;
type Event = { at: string; type: string; message: string; container: string | null };
const updates = Number(process.env.BERTH_TEST_GATEWAY_NODES_UPDATES ?? 20);
/** The slow node waits this long before installing each configuration: longer than drainSeconds. */
const slowMs = 2000;
const host = 'web.three.test.localhost';

/**
 * Zero loss by confirmation: the local gateway has three nodes — Berth's own Nginx and two
 * berth-gateway-agent nodes, one slowed down on purpose — and a container is stopped only after
 * every node, the slow one included, runs a configuration without it.
 */
describe('rolling updates through a gateway of three nodes, one of them slow', () => {
  let p: GatewayPlatform;
  let root: string;
  let base: string;
  const agents: AgentNode[] = [];

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'berth-gw-three-'));
    p = await startGatewayPlatform();
    base = await makeProject(p.api, 'three');
  });
  after(async () => {
    for (const a of agents) {
      await a.kill('SIGTERM');
      a.stopNginx();
    }
    await p?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it(`loses zero requests over ${updates} rolling updates, and stops containers only after the slow node confirmed`, async () => {
    const r = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: webSpec('v0', 3) });
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
    for (const [name, delay] of [
      ['quick', 0],
      ['slow', slowMs],
    ] as const) {
      const n = await p.api.post<{ token: string }>('/api/v1/gateways/local/nodes', { name });
      assert.equal(n.status, 201, JSON.stringify(n.body));
      agents.push(await startAgentNode(name, root, p.url, n.body.token, 2, delay));
    }
    const listens = [p.listen, ...agents.map((a) => a.listen)];
    for (const listen of listens)
      await eventually(async () => (await viaGateway(listen, host)).body === 'v0', `v0 at ${listen}`);

    // Endpoint changes are pushed into the running Nginx of every node: a reload would start new
    // workers, so the same workers must serve from the first update to the last.
    const prefixes = [path.join(p.dataDir, 'gateway', 'local'), ...agents.map((a) => a.prefix)];
    const workers = () =>
      prefixes.map((prefix) => {
        const pid = readFileSync(path.join(prefix, 'logs', 'nginx.pid'), 'utf8').trim();
        return `${pid}: ${readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()}`;
      });
    const workersBefore = workers();
    const loads = listens.map((listen) => startGatewayLoad(listen, host, 2));
    try {
      await new Promise((res) => setTimeout(res, 500));
      for (let i = 1; i <= updates; i += 1) {
        const up = await p.api.put<{ task: Obj }>(`${base}/web`, { spec: webSpec(`v${i}`) });
        assert.equal(up.status, 202, JSON.stringify(up.body));
        assert.equal((await waitTask(p.api, up.body.task.id as string)).state, 'succeeded', `update ${i}`);
      }
      await new Promise((res) => setTimeout(res, 1500));
    } finally {
      await Promise.all(loads.map((l) => l.stop()));
    }
    const results = await Promise.all(loads.map((l) => l.stop()));
    assert.deepEqual(workers(), workersBefore, 'no node reloaded during the rolling updates');
    const sent = results.reduce((a, x) => a + x.ok + x.failed, 0);
    const failed = results.reduce((a, x) => a + x.failed, 0);
    console.log(`three nodes: ${sent} requests, ${failed} failed`);
    assert.equal(
      failed,
      0,
      `lost: ${results
        .flatMap((x) => x.errors)
        .slice(0, 10)
        .join('; ')}`,
    );
    for (const [i, x] of results.entries()) {
      assert.ok(x.ok > updates * 5, `node ${i} served enough requests (${x.ok})`);
      assert.ok(x.bodies.has(`v${updates}`), `node ${i} served the last release`);
    }

    const events = async (type: string) =>
      (await p.api.get<{ items: Event[] }>(`${base}/web/events?type=${type}&limit=500`)).body.items;
    assert.deepEqual(await events('DrainUnconfirmed'), [], 'every removal was confirmed in time');
    const confirmed = await events('RemovalConfirmed');
    const stopped = await events('Stopped');
    assert.ok(confirmed.length >= 3 * updates, `a confirmation per replaced container (${confirmed.length})`);

    // The slow agent's log: "<time> applied version V (revision R)", in order.
    const applied = [
      ...agents[1]!
        .output()
        .matchAll(/^(\S+) applied version \d+ \(revision (\d+)(?:, endpoints only[^)]*)?\)$/gm),
    ].map((m) => ({ at: Date.parse(m[1]!), revision: Number(m[2]) }));
    assert.ok(applied.length > updates, `the slow node applied revisions (${applied.length})`);
    for (const c of confirmed) {
      const gate = Number(/local revision (\d+)/.exec(c.message)?.[1]);
      assert.ok(gate > 0, `the confirmation names the revision: ${c.message}`);
      const slowHad = applied.find((a) => a.revision >= gate);
      assert.ok(slowHad, `the slow node applied revision ${gate} (${c.container})`);
      assert.ok(
        slowHad.at <= Date.parse(c.at),
        `${c.container}: confirmed at ${c.at}, but the slow node applied ${gate} only at ${new Date(slowHad.at).toISOString()}`,
      );
      const stop = stopped.find((s) => s.container === c.container);
      assert.ok(stop, `${c.container} was stopped`);
      // drainSeconds (1 s) after the confirmation, never before
      assert.ok(
        Date.parse(stop.at) >= Date.parse(c.at) + 1000,
        `${c.container} stopped after its drain period`,
      );
    }
  });
});
