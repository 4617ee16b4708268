/**
 * TCP entry points on an agent node: the agent adapts stream.conf's listen lines to its own host
 * (like the main file's listeners) and keeps the entry point's port. On one machine two nodes
 * cannot bind the same port, so the local gateway's Nginx is stopped here and the agent, whose
 * listeners are on `localhost`, serves the entry point alone.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adaptStreamListen } from '@berth/gateway-nginx';
import { eventually, makeProject, waitTask, webSpec } from './helpers/platform';
import { startGatewayPlatform, tcpEntryPoint, type GatewayPlatform } from './helpers/gateway-platform';
import { startAgentNode, type AgentNode } from './helpers/gateway-nodes';
import { rawHttpGet } from './helpers/net';

type Obj = Record<string, unknown>;

describe('adaptStreamListen', () => {
  const stream = [
    'stream {',
    '  server {',
    '    listen 10.0.0.1:6379;',
    '    proxy_pass berth_tcp_6379;',
    '  }',
    '  server {',
    '    listen 10.0.0.1:53 udp;',
    '  }',
    '  server {',
    '    listen 0.0.0.0:25;',
    '  }',
    '}',
  ].join('\n');

  it("moves the gateway host's listen lines to the node's host and keeps ports and protocol", () => {
    const out = adaptStreamListen(stream, '10.0.0.1', '192.0.2.7');
    assert.match(out, /^ {4}listen 192\.0\.2\.7:6379;$/m);
    assert.match(out, /^ {4}listen 192\.0\.2\.7:53 udp;$/m);
    assert.match(out, /^ {4}listen 0\.0\.0\.0:25;$/m, 'a listener on another address is kept');
    assert.match(out, /proxy_pass berth_tcp_6379;/);
  });

  it('keeps the file when the node has no listener of its own', () => {
    assert.equal(adaptStreamListen(stream, '10.0.0.1', undefined), stream);
    assert.equal(adaptStreamListen(stream, '10.0.0.1', '10.0.0.1'), stream);
  });
});

describe('a TCP entry point served by an agent node', () => {
  let p: GatewayPlatform;
  let root: string;
  let base: string;
  let agent: AgentNode | undefined;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'berth-ep-agent-'));
    p = await startGatewayPlatform();
    base = await makeProject(p.api, 'tcpagent');
    const r = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: webSpec('v1', 2) });
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
  });
  after(async () => {
    await agent?.kill('SIGTERM');
    agent?.stopNginx();
    await p?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("listens on the node's host and the entry point's port, and reaches the service", async () => {
    // the agent's Nginx binds the entry point's port on 127.0.0.1: the local node must not
    await p.nginx.stop();
    const n = await p.api.post<{ token: string }>('/api/v1/gateways/local/nodes', { name: 'edge' });
    assert.equal(n.status, 201, JSON.stringify(n.body));
    agent = await startAgentNode('edge', root, p.url, n.body.token, 2, 0, 'localhost');

    const port = await tcpEntryPoint(p.api, 'tcpagent', 'web', 8080);

    const streamFile = path.join(agent.prefix, 'conf', 'stream.conf');
    const installed = await eventually(async () => {
      const text = readFileSync(streamFile, 'utf8');
      return text.includes(`listen localhost:${port};`) ? text : null;
    }, "the agent's stream.conf on its own host");
    assert.doesNotMatch(installed, /listen 127\.0\.0\.1:/, 'no listener left on the gateway host');
    const local = readFileSync(path.join(p.dataDir, 'gateway', 'local', 'conf', 'stream.conf'), 'utf8');
    assert.match(
      local,
      new RegExp(`listen 127\\.0\\.0\\.1:${port};`),
      "the gateway's own file is rendered as is",
    );
    await eventually(
      async () => (await rawHttpGet('127.0.0.1', port).catch(() => '')) === 'v1',
      'v1 over TCP through the agent',
    );

    // a rollout moves the agent's stream pool (a configuration version the agent reloads)
    const up = await p.api.put<{ task: Obj }>(`${base}/web`, { spec: webSpec('v2', 2) });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    assert.equal((await waitTask(p.api, up.body.task.id as string)).state, 'succeeded');
    await eventually(
      async () => (await rawHttpGet('127.0.0.1', port).catch(() => '')) === 'v2',
      'v2 over TCP through the agent',
    );
  });
});
