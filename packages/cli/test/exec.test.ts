import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { run } from '../src/main';
import { testIo } from './test-support';

const shellPath = '/api/v1/projects/shop/envs/test/services/web/containers/web-1/shell';

/** A fake shell endpoint: echoes stdin back, ends with exit code 5 on the eof message; or refuses with `refuse`. */
async function fakeShell(
  t: { after(fn: () => Promise<void>): void },
  refuse?: { status: number; body: unknown },
) {
  const seen: Array<{ url: string; auth: string | undefined }> = [];
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        items: [
          { name: 'web-0', ready: false },
          { name: 'web-1', ready: true },
        ],
        nextCursor: null,
      }),
    );
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    if (refuse) {
      const text = JSON.stringify(refuse.body);
      socket.end(
        `HTTP/1.1 ${refuse.status} Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data: Buffer, isBinary) => {
        if (!isBinary) {
          if (data.toString() === '{"type":"eof"}') {
            ws.send(JSON.stringify({ type: 'exit', code: 5 }));
            ws.close();
          }
          return;
        }
        ws.send(data, { binary: true });
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
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

test('exec pipes stdin to the first ready container, prints the output and exits with the remote code', async (t) => {
  const shell = await fakeShell(t);
  const io = testIo({ BERTH_URL: shell.url, BERTH_TOKEN: 'tok' }, 'echo hi\n');
  const code = await run(['exec', 'web', '-p', 'shop', '-i', '--user', 'root', '--', 'sh'], io);
  assert.equal(code, 5, io.stderr.text);
  assert.equal(io.stdout.text, 'echo hi\n');
  assert.equal(shell.seen.length, 1);
  const url = new URL(shell.seen[0]!.url, 'http://x');
  assert.equal(url.pathname, shellPath);
  assert.equal(url.searchParams.get('user'), 'root');
  assert.deepEqual(url.searchParams.getAll('cmd'), ['sh']);
  assert.equal(url.searchParams.get('tty'), 'false');
  assert.equal(url.searchParams.has('cols'), false, 'no terminal size without -t');
  assert.equal(shell.seen[0]!.auth, 'Bearer tok');
});

test('a command gets a piped stdin only with -i; the default shell reads it without', async (t) => {
  const shell = await fakeShell(t);
  // the fake echoes what it is sent: nothing comes back when stdin stays home
  const command = testIo({ BERTH_URL: shell.url, BERTH_TOKEN: 'tok' }, 'x\n');
  assert.equal(await run(['exec', 'web', '-p', 'shop', '--', 'id'], command), 5, command.stderr.text);
  assert.equal(command.stdout.text, '', 'stdin is not sent to a command without -i');
  const script = testIo({ BERTH_URL: shell.url, BERTH_TOKEN: 'tok' }, 'id\n');
  assert.equal(await run(['exec', 'web', '-p', 'shop'], script), 5, script.stderr.text);
  assert.equal(script.stdout.text, 'id\n', 'a piped script goes to the default shell');
  const url = new URL(shell.seen[1]!.url, 'http://x');
  assert.deepEqual(url.searchParams.getAll('cmd'), ['/bin/sh']);
});

test('a refused shell prints the API error', async (t) => {
  const shell = await fakeShell(t, {
    status: 403,
    body: {
      error: { code: 'FORBIDDEN', message: 'A root shell needs the "services:exec-root" permission.' },
    },
  });
  const io = testIo({ BERTH_URL: shell.url, BERTH_TOKEN: 'tok' });
  assert.equal(await run(['exec', 'web', 'web-1', '-p', 'shop', '--user', 'root'], io), 1);
  assert.equal(io.stderr.text, 'error: A root shell needs the "services:exec-root" permission.\n');
});

test('exec sends a command with arguments as an argv, one cmd parameter each', async (t) => {
  const shell = await fakeShell(t);
  const io = testIo({ BERTH_URL: shell.url, BERTH_TOKEN: 'tok' }, '');
  assert.equal(await run(['exec', 'web', '-p', 'shop', '--', 'ls', '-l', '/tmp; rm -rf /'], io), 5);
  const url = new URL(shell.seen[0]!.url, 'http://x');
  assert.deepEqual(url.searchParams.getAll('cmd'), ['ls', '-l', '/tmp; rm -rf /']);
});
