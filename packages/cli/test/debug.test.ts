import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { parseTtl } from '../src/commands/debug';
import { run } from '../src/main';
import { testIo } from './test-support';

const base = '/api/v1/projects/shop/envs/test/services/web/containers/web-1';
const shellPath = `${base}/debug/d1/shell`;

/** A fake API: POST …/debug answers a session, its shell echoes stdin and exits 7 on eof (or is refused). */
async function fakeApi(t: { after(fn: () => Promise<void>): void }, refuse = false) {
  const calls: Array<{ method: string; url: string; body: unknown }> = [];
  const upgrades: string[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      calls.push({ method: req.method ?? '', url: req.url ?? '', body: text ? JSON.parse(text) : null });
      if (req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ items: [{ name: 'web-1', ready: true }], nextCursor: null }));
      } else if (req.method === 'POST') {
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'd1',
            container: 'web-1-debug-abc',
            image: 'localhost/berth-toolbox:1',
            user: '1000:1000',
            expiresAt: '2030-01-01T00:00:00.000Z',
            shellPath,
          }),
        );
      } else {
        res.writeHead(204);
        res.end();
      }
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrades.push(req.url ?? '');
    if (refuse) {
      const text = JSON.stringify({ error: { code: 'CONFLICT', message: 'already has its shell' } });
      socket.end(
        `HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data: Buffer, isBinary) => {
        if (isBinary) ws.send(data, { binary: true });
        else if (data.toString() === '{"type":"eof"}') {
          ws.send(JSON.stringify({ type: 'exit', code: 7 }));
          ws.close();
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, upgrades };
}

test('containers debug starts a debug container, opens its shell with stdin and exits with the remote code', async (t) => {
  const api = await fakeApi(t);
  const io = testIo({ BERTH_URL: api.url, BERTH_TOKEN: 'tok' }, 'ps\n');
  const code = await run(
    ['containers', 'debug', 'web', '-p', 'shop', '--ttl', '10m', '--image', 'img:1'],
    io,
  );
  assert.equal(code, 7, io.stderr.text);
  assert.equal(io.stdout.text, 'ps\n');
  assert.match(
    io.stderr.text,
    /debug container web-1-debug-abc \(localhost\/berth-toolbox:1, user 1000:1000\)/,
  );
  const post = api.calls.find((c) => c.method === 'POST')!;
  assert.equal(post.url, `${base}/debug`);
  assert.deepEqual(post.body, { image: 'img:1', ttlSeconds: 600 });
  const url = new URL(api.upgrades[0]!, 'http://x');
  assert.equal(url.pathname, shellPath);
  assert.deepEqual(url.searchParams.getAll('cmd'), ['/bin/sh']);
  assert.ok(!api.calls.some((c) => c.method === 'DELETE'), 'the server removes it when the shell ends');
});

test('a shell that cannot open ends the debug session at once', async (t) => {
  const api = await fakeApi(t, true);
  const io = testIo({ BERTH_URL: api.url, BERTH_TOKEN: 'tok' });
  assert.equal(await run(['containers', 'debug', 'web', 'web-1', '-p', 'shop', '--user', 'root'], io), 1);
  assert.match(io.stderr.text, /error: already has its shell/);
  assert.deepEqual(api.calls.find((c) => c.method === 'POST')!.body, { user: 'root' });
  assert.ok(api.calls.some((c) => c.method === 'DELETE' && c.url === `${base}/debug/d1`));
});

test('--ttl takes seconds or a duration', () => {
  assert.equal(parseTtl('90'), 90);
  assert.equal(parseTtl('1h30m'), 5400);
  assert.throws(() => parseTtl('soon'), /--ttl "soon"/);
});
