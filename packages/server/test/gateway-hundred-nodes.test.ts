import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { EndpointsClient, controlSocketPath } from '@berth/gateway-nginx';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  eventually,
  makeProject,
  startPlatform,
  waitTask,
  webSpec,
  type TestPlatform,
} from './helpers/platform';
import { viaGateway } from './helpers/gateway-load';
import { grantZone } from './helpers/tenancy';
import { freePort } from './helpers/net';
import { startAgentGroup, writeCert, type AgentGroup, type GroupNode } from './helpers/gateway-nodes';

type Obj = Record<string, unknown>;
interface NodeView {
  name: string;
  state: string;
  appliedVersion: number | null;
  error: string | null;
}
/** 100 nodes by default; BERTH_TEST_GATEWAY_MANY_NODES=N for a smaller or larger run. */
const count = Number(process.env.BERTH_TEST_GATEWAY_MANY_NODES ?? 100);
/** Nodes per berth-gateway-agent process (`--nodes-file`). */
const perAgent = 25;
const host = 'web.many.test';
const routes = '/api/v1/projects/shop/envs/test/routes';

/**
 * A hundred small Nginx nodes (one worker each) on this machine, run by four berth-gateway-agent
 * processes of 25 nodes: a route change reaches every node, a node whose certificate directory
 * lacks the certificate a route names fails alone (the other 99 serve the new version), and
 * scaling the service reaches every node without a reload.
 */
describe(`a gateway of ${count} nodes`, () => {
  let p: TestPlatform;
  let root: string;
  let base: string;
  const groups: AgentGroup[] = [];
  let nodes: GroupNode[] = [];
  /** The node whose certificate directory stays empty. */
  let broken: GroupNode;

  const list = async () => {
    const r = await p.api.get<{ items: NodeView[] }>('/api/v1/gateways/edge/nodes');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items;
  };
  const gatewayVersion = async () =>
    (await p.api.get<{ appliedVersion: number }>('/api/v1/gateways/edge')).body.appliedVersion;
  const logs = () => groups.map((g) => g.output().slice(-3000)).join('\n');
  /** Waits until every node of `which` is in sync with the gateway's current version. */
  const inSync = async (which: GroupNode[], what: string) => {
    const names = new Set(which.map((n) => n.name));
    let last: NodeView[] = [];
    return eventually(
      async () => {
        const v = await gatewayVersion();
        last = (await list()).filter((n) => names.has(n.name));
        return (
          last.length === names.size && last.every((n) => n.state === 'in-sync' && n.appliedVersion === v)
        );
      },
      what,
      180_000,
      250,
    ).catch((err: Error) => {
      const off = last.filter((n) => n.state !== 'in-sync').slice(0, 5);
      throw new Error(`${err.message}: ${JSON.stringify(off)}\n${logs()}`);
    });
  };
  /**
   * Asks every node over HTTP, ten at a time (a hundred connections at once to a hundred Nginx
   * masters on two busy cores timed some out after 5 s in CI); answers the nodes whose answer
   * `ok` refused.
   */
  const serving = async (which: GroupNode[], ok: (r: Awaited<ReturnType<typeof viaGateway>>) => boolean) => {
    const answers: (string | null)[] = [];
    for (let i = 0; i < which.length; i += 10) {
      answers.push(
        ...(await Promise.all(
          which.slice(i, i + 10).map(async (n) => {
            const r = await viaGateway(n.listen, host, { timeoutMs: 15_000 }).catch((err: Error) => ({
              status: 0,
              body: err.message,
              headers: {},
            }));
            return ok(r)
              ? null
              : `${n.name}: ${r.status} ${r.body.slice(0, 80)} ${JSON.stringify(r.headers)}`;
          }),
        )),
      );
    }
    return answers.filter((a) => a !== null);
  };
  /** The worker pids of a node's Nginx: a reload replaces them. */
  const workers = (n: GroupNode) => {
    const pid = readFileSync(path.join(n.prefix, 'logs', 'nginx.pid'), 'utf8').trim();
    return `${pid}: ${readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()}`;
  };
  const servers = async (n: GroupNode) => {
    const set = await new EndpointsClient(controlSocketPath(n.prefix)).get();
    return Object.values(set.pools)
      .flat()
      .filter((e) => e.weight > 0).length;
  };

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'berth-gw-many-'));
    p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off' });
    base = await makeProject(p.api, 'shop');
    await grantZone(p.api, 'many.test', 'shop');
    const r = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: webSpec('v1', 1) });
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
  });
  after(async () => {
    // every agent stops its Nginx masters; kill() also ends masters an agent left behind
    await Promise.all(groups.map((g) => g.kill('SIGTERM')));
    const left = groups.flatMap((g) => g.masters());
    await p?.close();
    rmSync(root, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no Nginx master of the nodes is left running');
  });

  it(`${count} nodes run by ${Math.ceil(count / perAgent)} agent processes reach in-sync`, async () => {
    const g = await p.api.post('/api/v1/gateways', {
      name: 'edge',
      env: 'test',
      listen: `127.0.0.1:${await freePort()}`,
      tlsListen: `127.0.0.1:${await freePort()}`,
    });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    // 99 nodes share one certificate directory (one host); node-042 gets its own, left empty
    const shared = path.join(root, 'certs');
    await writeCert([shared, path.join(p.dataDir, 'gateway', 'certs')], 'site', host);
    const made: { name: string; token: string; certDir?: string }[] = [];
    for (let i = 0; i < count; i++) {
      const name = `node-${String(i).padStart(3, '0')}`;
      const r = await p.api.post<{ token: string }>('/api/v1/gateways/edge/nodes', { name });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      made.push({ name, token: r.body.token, ...(i === 42 % count ? {} : { certDir: shared }) });
    }
    for (let i = 0; i < made.length; i += perAgent)
      groups.push(await startAgentGroup(`agents-${i / perAgent}`, root, p.url, made.slice(i, i + perAgent)));
    nodes = groups.flatMap((x) => x.nodes);
    broken = nodes[42 % count]!;
    const t = performance.now();
    await inSync(nodes, `all ${count} nodes in sync`);
    console.log(`${count} nodes in sync ${Math.round(performance.now() - t)} ms after their agents started`);
    // one worker per node
    for (const n of nodes)
      assert.equal(workers(n).split(/\s+/).length, 2, `${n.name}: a master and one worker`);
  });

  it('a route change reaches every node, and each serves it', async () => {
    const t = performance.now();
    const c = await p.api.post(routes, {
      name: 'web',
      spec: { host, backends: { service: { name: 'web' } }, headers: [{ name: 'X-Rev', value: '1' }] },
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const answered = performance.now();
    await inSync(nodes, `all ${count} nodes in sync with the route`);
    console.log(
      `route change: answered in ${Math.round(answered - t)} ms, all ${count} in sync ${Math.round(performance.now() - answered)} ms later`,
    );
    assert.deepEqual(await serving(nodes, (r) => r.body === 'v1' && r.headers['x-rev'] === '1'), []);
  });

  it('a node whose certificate directory lacks the certificate fails alone; the others serve the new version', async () => {
    const cur = await p.api.get<{ version: number }>(`${routes}/web`);
    const u = await p.api.put(`${routes}/web`, {
      version: cur.body.version,
      spec: {
        host,
        backends: { service: { name: 'web' } },
        headers: [{ name: 'X-Rev', value: '2' }],
        tls: { certificate: 'site.crt', key: 'site.key' },
      },
    });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    const rest = nodes.filter((n) => n !== broken);
    await inSync(rest, `the other ${rest.length} nodes in sync`);
    const failed = await eventually(
      async () => (await list()).find((n) => n.name === broken.name && n.state === 'failed'),
      `${broken.name} failed`,
    );
    assert.match(failed.error ?? '', new RegExp(`cannot load certificate .*${broken.name}-certs/site\\.crt`));
    const states = await list();
    assert.deepEqual(
      states.filter((n) => n.state !== 'in-sync').map((n) => `${n.name} ${n.state}`),
      [`${broken.name} failed`],
      'only the broken node is not in sync',
    );
    assert.deepEqual(await serving(rest, (r) => r.body === 'v1' && r.headers['x-rev'] === '2'), []);
    // the broken node keeps serving the configuration it had
    assert.deepEqual(await serving([broken], (r) => r.body === 'v1' && r.headers['x-rev'] === '1'), []);
  });

  it('scaling the service reaches every node without a reload', async () => {
    const rest = nodes.filter((n) => n !== broken);
    const before = rest.map(workers);
    assert.deepEqual(
      (await Promise.all(rest.map(servers))).filter((s) => s !== 1),
      [],
      'one endpoint before',
    );
    const t = performance.now();
    const r = await p.api.post<{ task: Obj }>(`${base}/web/scale`, { replicas: 2 });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
    const done = performance.now();
    await eventually(
      async () => (await Promise.all(rest.map(servers))).every((s) => s === 2),
      `two endpoints on all ${rest.length} nodes`,
      60_000,
      250,
    );
    console.log(
      `scale: task done in ${Math.round(done - t)} ms, all ${rest.length} nodes balance over 2 endpoints ${Math.round(performance.now() - done)} ms later`,
    );
    assert.deepEqual(rest.map(workers), before, 'no node reloaded');
    assert.deepEqual(await serving(rest, (r) => r.body === 'v1' && r.headers['x-rev'] === '2'), []);
    await inSync(rest, `the ${rest.length} nodes in sync after scaling`);
  });
});
