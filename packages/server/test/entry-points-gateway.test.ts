/**
 * WIP (branch entry-points-wiring): a TCP entry point served by the local gateway's Nginx — the
 * env's entry points render stream.conf, and a TCP connection to the assigned port on the
 * gateway's address reaches the service; scaling changes the stream pool (a reload).
 */
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, makeProject, waitTask, webSpec } from './helpers/platform';
import { startGatewayPlatform, type GatewayPlatform } from './helpers/gateway-platform';
import { freePort } from './helpers/net';

type Obj = Record<string, unknown>;

/** Sends a raw HTTP request over TCP to host:port and returns the body's first line. */
function rawGet(address: string): Promise<string> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) });
    let data = '';
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('connect', () => s.write('GET /index.html HTTP/1.0\r\n\r\n'));
    s.on('data', (b: Buffer) => (data += b.toString()));
    s.on('end', () => resolve(data.split('\r\n\r\n')[1]?.trim() ?? ''));
    s.on('error', reject);
  });
}

describe('TCP entry points through the local gateway (WIP)', () => {
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
    const port = await freePort();
    const a = await p.api.post('/api/v1/envs/test/entry-ports', { project: 'tcp', protocol: 'tcp', port });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    const c = await p.api.post(`/api/v1/projects/tcp/envs/test/entry-points`, {
      protocol: 'tcp',
      port,
      serviceName: 'web',
      servicePort: 8080,
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const host = p.listen.slice(0, p.listen.lastIndexOf(':'));
    await eventually(async () => (await rawGet(`${host}:${port}`).catch(() => '')) === 'v1', 'v1 over TCP');
  });
});
