import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { grantNetwork, grantZone, loopbackBackends } from './helpers/tenancy';
import { eventually, makeProject, startPlatform, type TestPlatform } from './helpers/platform';
import { viaGateway } from './helpers/gateway-load';
import { freePort } from './helpers/net';
import { startAgentNode, writeCert, type AgentNode } from './helpers/gateway-nodes';
import { testDialects } from './helpers/db';

type Obj = Record<string, unknown>;
interface NodeView {
  name: string;
  state: string;
  appliedVersion: number | null;
  wantedVersion: number;
  error: string | null;
}
const host = 'app.example.test';
const routes = '/api/v1/projects/shop/envs/test/routes';

/**
 * Three real Nginx nodes, each run by a real berth-gateway-agent process against a real Berth:
 * changes reach every node, one-node-first rollouts, a node that fails a version keeps serving
 * the old one, and a killed agent goes offline after its lease.
 */
for (const dialect of testDialects())
  describe(`gateway nodes and berth-gateway-agent (${dialect})`, () => {
    let p: TestPlatform;
    let backend: http.Server;
    let backendAddr: string;
    let root: string;
    const nodes: AgentNode[] = [];
    nodes.length = 0;

    const spec = (rev: string, extra: Obj = {}) => ({
      host,
      backends: { servers: [{ address: backendAddr, weight: 1 }] },
      headers: [{ name: 'X-Rev', value: rev }],
      ...extra,
    });
    const list = async () =>
      (await p.api.get<{ items: NodeView[] }>('/api/v1/gateways/edge/nodes')).body.items;
    const gateway = async () => (await p.api.get<Obj>('/api/v1/gateways/edge')).body;
    const rev = async (n: AgentNode) => (await viaGateway(n.listen, host)).headers['x-rev'];
    const allServe = (want: string, which = nodes) =>
      eventually(
        async () => (await Promise.all(which.map(rev))).every((r) => r === want),
        `nodes serve rev ${want}`,
        30_000,
      ).catch(async (err: Error) => {
        const logs = which.map((n) => `--- ${n.name}\n${n.output().slice(-2000)}`).join('\n');
        throw new Error(`${err.message}; revs ${JSON.stringify(await Promise.all(which.map(rev)))}\n${logs}`);
      });
    const route = async () => (await p.api.get<{ version: number }>(`${routes}/web`)).body;

    before(async () => {
      root = mkdtempSync(path.join(tmpdir(), 'berth-gw-nodes-'));
      backend = http.createServer((_req, res) => res.end('backend ok\n'));
      const port = await freePort();
      await new Promise<void>((r) => backend.listen(port, '127.0.0.1', r));
      backendAddr = `127.0.0.1:${port}`;
      p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off', ...loopbackBackends }, { dialect });
      await makeProject(p.api, 'shop');
      await grantZone(p.api, 'example.test', 'shop');
      await grantNetwork(p.api, backendAddr.replace(/:\d+$/, '/32'), 'shop');
    });
    after(async () => {
      for (const n of nodes) {
        await n.kill('SIGTERM');
        n.stopNginx();
      }
      await p?.close();
      backend?.close();
      rmSync(root, { recursive: true, force: true });
    });

    it('creates a gateway; refuses bad input, a stale version and a second gateway for the env', async () => {
      const bad = await p.api.post<{ error: { message: string } }>('/api/v1/gateways', {
        name: 'edge',
        env: 'test',
        listen: '127.0.0.1:80;include /etc/passwd',
      });
      assert.equal(bad.status, 400);
      const created = await p.api.post<Obj>('/api/v1/gateways', {
        name: 'edge',
        env: 'test',
        listen: `127.0.0.1:${await freePort()}`,
        tlsListen: `127.0.0.1:${await freePort()}`,
        description: 'edge nodes',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.appliedVersion, 1);
      assert.equal(created.body.rolloutMode, 'auto');
      const again = await p.api.post<{ error: { message: string } }>('/api/v1/gateways', {
        name: 'edge2',
        env: 'test',
      });
      assert.equal(again.status, 409);
      assert.match(again.body.error.message, /already has gateway 'edge'/);
      const stale = await p.api.put('/api/v1/gateways/edge', { version: 99, description: 'x' });
      assert.equal(stale.status, 409);
      const upd = await p.api.put<Obj>('/api/v1/gateways/edge', { version: 1, description: 'the edge' });
      assert.equal(upd.status, 200, JSON.stringify(upd.body));
      assert.equal(upd.body.description, 'the edge');
    });

    it('runs three agent nodes that all reach the route', async () => {
      await writeCert([path.join(p.dataDir, 'gateway', 'certs')], 'site', host);
      for (const name of ['a', 'b', 'c']) {
        const r = await p.api.post<{ node: NodeView; token: string }>('/api/v1/gateways/edge/nodes', {
          name,
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.match(r.body.token, /^bgn_/);
        assert.equal(r.body.node.state, 'offline', 'a node never seen is offline');
        nodes.push(await startAgentNode(name, root, p.url, r.body.token));
      }
      // nodes a and b have the certificate; c lacks it (used below)
      await writeCert(
        [path.join(p.dataDir, 'gateway', 'certs'), nodes[0]!.certDir, nodes[1]!.certDir],
        'site',
        host,
      );
      const c = await p.api.post(routes, { name: 'web', spec: spec('1') });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      await allServe('1');
      const v = (await gateway()).appliedVersion;
      await eventually(
        async () => (await list()).every((n) => n.state === 'in-sync' && n.appliedVersion === v),
        'every node in sync',
        20_000,
      );
      const dup = await p.api.post('/api/v1/gateways/edge/nodes', { name: 'a' });
      assert.equal(dup.status, 409);
      const noToken = await fetch(`${p.url}/api/v1/gateway-agent/config?wait=1`, {
        headers: { authorization: 'Bearer bgn_wrong' },
      });
      assert.equal(noToken.status, 401);
    });

    it('a route change reaches every node', async () => {
      const r = await p.api.put(`${routes}/web`, { version: (await route()).version, spec: spec('2') });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await allServe('2');
    });

    it('rolls a version out to one node first; the others are behind until the rest follow', async () => {
      const s = await p.api.put<Obj>('/api/v1/gateways/edge', {
        version: (await gateway()).version,
        rolloutMode: 'staged',
      });
      assert.equal(s.status, 200, JSON.stringify(s.body));
      const r = await p.api.put(`${routes}/web`, { version: (await route()).version, spec: spec('3') });
      assert.equal(r.status, 200);
      const v3 = (await gateway()).appliedVersion as number;
      await new Promise((res) => setTimeout(res, 2500));
      assert.deepEqual(await Promise.all(nodes.map(rev)), ['2', '2', '2'], 'staged: nothing rolled out yet');
      const one = await p.api.post<Obj>('/api/v1/gateways/edge/rollout', { version: v3, nodes: ['a'] });
      assert.equal(one.status, 200, JSON.stringify(one.body));
      await allServe('3', [nodes[0]!]);
      assert.deepEqual(await Promise.all(nodes.slice(1).map(rev)), ['2', '2']);
      await eventually(async () => {
        const l = await list();
        return (
          l.find((n) => n.name === 'a')?.state === 'in-sync' &&
          l.filter((n) => n.state === 'behind').length === 2
        );
      }, 'a in sync, b and c behind');
      const rest = await p.api.post<Obj>('/api/v1/gateways/edge/rollout', { version: v3 });
      assert.equal(rest.status, 200, JSON.stringify(rest.body));
      await allServe('3');
      const back = await p.api.put<Obj>('/api/v1/gateways/edge', {
        version: (await gateway()).version,
        rolloutMode: 'auto',
      });
      assert.equal(back.status, 200);
    });

    it('a version that fails on one node shows failed with Nginx message; that node keeps serving', async () => {
      const r = await p.api.put(`${routes}/web`, {
        version: (await route()).version,
        spec: spec('4', { tls: { certificate: 'site.crt', key: 'site.key' } }),
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await allServe('4', nodes.slice(0, 2));
      const failed = await eventually(
        async () => (await list()).find((n) => n.name === 'c' && n.state === 'failed'),
        'node c failed',
      );
      assert.match(failed.error ?? '', /cannot load certificate .*c-certs\/site\.crt/);
      assert.equal(await rev(nodes[2]!), '3', 'node c keeps serving the old configuration');
      // the others run the TLS listener with their own certificate (node a reports after it
      // serves, so possibly after node c's failure)
      await eventually(
        async () => (await list()).find((n) => n.name === 'a')?.state === 'in-sync',
        'node a in sync',
      );
    });

    it('admin snippets are rendered from the allowlist only and reach the nodes', async () => {
      for (const bad of [
        { http: [{ directive: 'include', args: ['/etc/passwd'] }] },
        { http: [{ directive: 'lua_code_cache', args: ['off'] }] },
        { server: [{ directive: 'add_header', args: ['X-A', 'b; return 200'] }] },
        { server: [{ directive: 'add_header', args: ['X-A', '$host'] }] },
        { server: [{ directive: 'add_header', args: ['X-A', 'v\n}'] }] },
        { http: [{ directive: 'gzip', args: ['on', 'off'] }] },
      ]) {
        const r = await p.api.put<{ error: { message: string } }>('/api/v1/gateways/edge/snippets', bad);
        assert.equal(r.status, 400, JSON.stringify(bad));
      }
      const before = (await gateway()).appliedVersion as number;
      const ok = await p.api.put<{ gatewayVersion: { number: number } }>('/api/v1/gateways/edge/snippets', {
        http: [{ directive: 'gzip', args: ['on'] }],
        server: [{ directive: 'add_header', args: ['X-Snippet', 'from admin', 'always'] }],
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.gatewayVersion.number, before + 1);
      await eventually(
        // the default server: a location-level add_header (X-Rev) would replace it; a 404 needs `always`
        async () =>
          (await viaGateway(nodes[0]!.listen, 'unknown.example.test')).headers['x-snippet'] === 'from admin',
        'the snippet reaches node a',
      ).catch(async (err: Error) => {
        const conf = readFileSync(path.join(nodes[0]!.prefix, 'conf', 'nginx.conf'), 'utf8');
        const res = await viaGateway(nodes[0]!.listen, 'unknown.example.test');
        throw new Error(
          `${err.message}: ${JSON.stringify(res.headers)} ${res.status}\n${conf.slice(-1500)}\n${nodes[0]!.output().slice(-1500)}`,
        );
      });
      const conf = readFileSync(path.join(nodes[0]!.prefix, 'conf', 'nginx.conf'), 'utf8');
      assert.match(conf, /^  gzip on;$/m);
      assert.match(conf, /^    add_header X-Snippet "from admin" always;$/m);
      const g = await gateway();
      assert.deepEqual((g.snippets as { http: unknown[] }).http, [{ directive: 'gzip', args: ['on'] }]);
    });

    it('a killed agent shows offline after its lease; delete is refused while routes exist', async () => {
      await nodes[1]!.kill('SIGKILL');
      nodes[1]!.stopNginx();
      await eventually(
        async () => (await list()).find((n) => n.name === 'b')?.state === 'offline',
        'node b offline',
        30_000,
        500,
      );
      const del = await p.api.call<{ error: { message: string } }>('DELETE', '/api/v1/gateways/edge');
      assert.equal(del.status, 409);
      assert.match(del.body.error.message, /still serves 1 route/);
      const rm = await p.api.call('DELETE', '/api/v1/gateways/edge/nodes/b');
      assert.equal(rm.status, 204);
      assert.deepEqual(
        (await list()).map((n) => n.name),
        ['a', 'c'],
      );
    });
  });
