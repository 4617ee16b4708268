/**
 * WIP (branch entry-points-wiring): a TCP entry point served by the local gateway's Nginx — the
 * env's entry points render stream.conf, and a TCP connection to the assigned port on the
 * gateway's address reaches the service; scaling changes the stream pool (a reload).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, makeProject, waitTask, webSpec } from './helpers/platform';
import { startGatewayPlatform, tcpEntryPoint, type GatewayPlatform } from './helpers/gateway-platform';
import { rawHttpGet } from './helpers/net';

type Obj = Record<string, unknown>;

describe('TCP entry points through the local gateway', () => {
  let p: GatewayPlatform;
  let base: string;

  before(async () => {
    p = await startGatewayPlatform();
    base = await makeProject(p.api, 'tcp');
    const r = await p.api.post<{ task: Obj }>(base, { name: 'web', spec: webSpec('v1', 2) });
    assert.equal((await waitTask(p.api, r.body.task.id as string)).state, 'succeeded');
  });
  after(async () => {
    await p?.close();
  });

  it('a TCP connection to the assigned port reaches the service', async () => {
    const port = await tcpEntryPoint(p.api, 'tcp', 'web', 8080);
    const host = p.listen.slice(0, p.listen.lastIndexOf(':'));
    await eventually(async () => (await rawHttpGet(host, port).catch(() => '')) === 'v1', 'v1 over TCP');
  });
});
