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
import { startAgentNode, type AgentNode } from './helpers/gateway-nodes';

type Obj = Record<string, unknown>;
const host = 'web.example.test';

/**
 * Endpoint-only changes (scaling a real service) reach an agent node, also while a staged
 * rollout holds the node at an older configuration.
 */
describe('gateway agent follows the containers', () => {
  let p: TestPlatform;
  let root: string;
  let node: AgentNode | undefined;
  let base: string;

  /** The endpoints the node's running Nginx balances over (asked over its control socket). */
  const servers = async () => {
    const set = await new EndpointsClient(controlSocketPath(node!.prefix)).get();
    return Object.values(set.pools)
      .flat()
      .filter((e) => e.weight > 0).length;
  };
  /** The node's Nginx worker pids: a reload replaces them. */
  const workers = () => {
    const pid = readFileSync(path.join(node!.prefix, 'logs', 'nginx.pid'), 'utf8').trim();
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  };
  const scale = async (replicas: number) => {
    const r = await p.api.post<{ task: Obj }>(`${base}/web/scale`, { replicas });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
  };
  const gateway = async () => (await p.api.get<Obj>('/api/v1/gateways/edge')).body;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'berth-gw-ep-'));
    p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off' });
    base = await makeProject(p.api, 'shop');
    await grantZone(p.api, 'example.test', 'shop');
    const r = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: webSpec('v1', 1) });
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
  });
  after(async () => {
    await node?.kill('SIGTERM');
    node?.stopNginx();
    await p?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('scaling reaches the node, and a held node still follows the containers', async () => {
    const g = await p.api.post('/api/v1/gateways', {
      name: 'edge',
      env: 'test',
      listen: `127.0.0.1:${await freePort()}`,
    });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    const n = await p.api.post<{ token: string }>('/api/v1/gateways/edge/nodes', { name: 'a' });
    node = await startAgentNode('a', root, p.url, n.body.token);
    const routes = '/api/v1/projects/shop/envs/test/routes';
    const c = await p.api.post(routes, {
      name: 'web',
      spec: { host, backends: { service: { name: 'web' } } },
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    await eventually(async () => (await viaGateway(node!.listen, host)).body === 'v1', 'the node serves v1');
    assert.equal(await servers(), 1);

    // endpoints are pushed into the running Nginx: no reload, the same workers serve
    const before = workers();
    await scale(3);
    await eventually(async () => (await servers()) === 3, 'three servers on the node');
    assert.equal(workers(), before, 'scaling did not reload the node');
    // Berth sent the node only the pool that changed, not the whole set (PATCH, not PUT)
    assert.match(node.output(), /applied version \d+ \(revision \d+, endpoints only: 1 changed pools\)/);

    // hold the node at the current configuration, then change the route: the node keeps its
    // main file (no X-Rev) but still gets the endpoints of a scale-in
    const s = await p.api.put('/api/v1/gateways/edge', {
      version: (await gateway()).version,
      rolloutMode: 'staged',
    });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    const cur = await p.api.get<{ version: number }>(`${routes}/web`);
    const u = await p.api.put(`${routes}/web`, {
      version: cur.body.version,
      spec: { host, backends: { service: { name: 'web' } }, headers: [{ name: 'X-Rev', value: 'held' }] },
    });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    await scale(2);
    await eventually(async () => (await servers()) === 2, 'two servers on the held node');
    const res = await viaGateway(node.listen, host);
    assert.equal(res.body, 'v1');
    assert.equal(res.headers['x-rev'], undefined, 'the held node runs the older main file');
    const nodes = await p.api.get<{ items: { state: string; wantedVersion: number }[] }>(
      '/api/v1/gateways/edge/nodes',
    );
    assert.equal(nodes.body.items[0]?.state, 'behind');
  });
});
