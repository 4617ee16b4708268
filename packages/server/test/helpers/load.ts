import http from 'node:http';
import type { TestApi } from './platform';
import { paceAfter } from './gateway-load';

export interface LoadResult {
  ok: number;
  failed: number;
  errors: string[];
  bodies: Map<string, number>;
}

function get(address: string): Promise<{ status: number; body: string }> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: address.slice(0, i),
        port: Number(address.slice(i + 1)),
        path: '/index.html',
        agent: false,
        headers: { Connection: 'close' },
        timeout: 5000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Follows `GET …/endpoints?follow=true` (SSE) and calls onList with each list the server sends;
 * reconnects (keeping the previous list, as a load balancer would) until stop() is called.
 */
export function watchEndpoints(
  api: TestApi,
  endpointsPath: string,
  onList: (addresses: string[]) => void,
): { stop(): Promise<void>; events: () => number; breaks: () => string[] } {
  const abort = new AbortController();
  let events = 0;
  /** Why the stream ended early each time it had to reconnect (with the time). */
  const breaks: string[] = [];
  const run = async () => {
    while (!abort.signal.aborted) {
      try {
        const res = await fetch(`${api.url}${endpointsPath}?follow=true`, {
          headers: { Authorization: `Bearer ${api.token}`, Accept: 'text/event-stream' },
          signal: abort.signal,
        });
        if (!res.ok || !res.body) throw new Error(`watch answered ${res.status}`);
        const decoder = new TextDecoder();
        let buf = '';
        for await (const chunk of res.body) {
          buf += decoder.decode(chunk as Uint8Array, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n');
            if (!block.includes('event: endpoints') || !data) continue;
            const body = JSON.parse(data) as { items: { address: string }[] };
            events += 1;
            onList(body.items.map((e) => e.address));
          }
        }
        if (!abort.signal.aborted) breaks.push(`${new Date().toISOString()} the stream ended`);
      } catch (err) {
        if (abort.signal.aborted) break;
        breaks.push(`${new Date().toISOString()} ${(err as Error).message}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  };
  const done = run();
  return {
    async stop() {
      abort.abort();
      await done;
    },
    events: () => events,
    breaks: () => breaks,
  };
}

/**
 * Steady HTTP load straight to the containers' published addresses, routed only to the
 * endpoints Berth lists as ready and in rotation, followed by watch (SSE) as a load balancer fed
 * by Berth would do: a removal arrives when it is committed, not on the next poll. Each worker
 * sends at most one request per `loadGapMs` (helpers/gateway-load.ts). Every non-2xx or connection
 * error counts as a lost request.
 */
export function startLoad(
  api: TestApi,
  endpointsPath: string,
  workers = 4,
): { stop(): Promise<LoadResult & { watchEvents: number; watchBreaks: string[] }> } {
  const result: LoadResult = { ok: 0, failed: 0, errors: [], bodies: new Map() };
  let addresses: string[] = [];
  let running = true;
  let rr = 0;
  // when each address last left the watched list (to tell a late list from a lost removal)
  const leftAt = new Map<string, number>();
  const watch = watchEndpoints(api, endpointsPath, (list) => {
    const now = Date.now();
    for (const a of addresses) if (!list.includes(a)) leftAt.set(a, now);
    for (const a of list) leftAt.delete(a);
    addresses = list;
  });
  const lostNote = (address: string) => {
    const t = leftAt.get(address);
    return t === undefined ? 'still listed' : `${Date.now() - t} ms after it left the list`;
  };
  const worker = async () => {
    while (running) {
      const list = addresses;
      if (list.length === 0) {
        await new Promise((res) => setTimeout(res, 20));
        continue;
      }
      const address = list[rr++ % list.length]!;
      const startedAt = Date.now();
      try {
        const r = await get(address);
        if (r.status >= 200 && r.status < 300) {
          result.ok += 1;
          result.bodies.set(r.body, (result.bodies.get(r.body) ?? 0) + 1);
        } else {
          result.failed += 1;
          result.errors.push(`${address}: HTTP ${r.status} (${lostNote(address)})`);
        }
      } catch (err) {
        result.failed += 1;
        result.errors.push(`${address}: ${(err as Error).message} (${lostNote(address)})`);
      }
      await paceAfter(startedAt);
    }
  };
  const all = Array.from({ length: workers }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(all);
      await watch.stop();
      return { ...result, watchEvents: watch.events(), watchBreaks: watch.breaks() };
    },
  };
}
