import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from '../src/context';
import { run } from '../src/main';

/** A Writable that keeps what was written. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += String(chunk);
    done();
  }
}

/** An io for `run()` with captured stdout/stderr and a stdin fed from `input` (then closed). */
export function testIo(
  env: Record<string, string | undefined>,
  input = '',
): CliIo & { stdout: Capture; stderr: Capture } {
  const stdin = new PassThrough();
  stdin.end(input);
  return { stdout: new Capture(), stderr: new Capture(), stdin, env };
}

/** What one `berth …` call ended with. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `berth` in-process with the env `env()` returns at call time (tests fill it in `before`):
 * `berth(args)` for the exit code and output, `json(args)` for a successful `-o json` answer.
 */
export function cliRunner(env: () => Record<string, string>): {
  berth: (args: string[], input?: string) => Promise<CliResult>;
  json: <T = Record<string, unknown>>(args: string[]) => Promise<T>;
} {
  async function berth(args: string[], input = ''): Promise<CliResult> {
    const io = testIo(env(), input);
    const code = await run(args, io);
    return { code, out: io.stdout.text, err: io.stderr.text };
  }
  return {
    berth,
    json: async <T>(args: string[]): Promise<T> => {
      const r = await berth([...args, '-o', 'json']);
      if (r.code !== 0) throw new Error(`berth ${args.join(' ')} exited ${r.code}: ${r.err}`);
      return JSON.parse(r.out) as T;
    },
  };
}

/** A request the fake server received. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Handler = (req: Received, res: ServerResponse) => void | Promise<void>;

/**
 * A stand-in for the Berth API in unit tests: routes by `METHOD /path` (without the query) and
 * records every request. Unrouted requests get the API's 404 body.
 */
export async function fakeServer(
  routes: Record<string, Handler>,
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      received.push(r);
      const handler = routes[`${r.method} ${r.url.split('?')[0]}`];
      if (!handler)
        return json(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${r.method} ${r.url}` } });
      void Promise.resolve(handler(r, res)).catch((err: unknown) =>
        json(res, 500, { error: { code: 'INTERNAL', message: String(err) } }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a JSON response. */
export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Sends SSE events, each written in small pieces to exercise the parser, then ends the stream. */
export async function sse(
  res: ServerResponse,
  events: Array<{ event: string; data: unknown }>,
): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
  res.write(': stream open\n\n');
  for (const e of events) {
    const text = `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
    for (let i = 0; i < text.length; i += 5) {
      res.write(text.slice(i, i + 5));
      await new Promise((r) => setImmediate(r));
    }
  }
  res.end();
}
