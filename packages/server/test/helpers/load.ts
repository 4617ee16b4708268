import http from 'node:http';
import type { TestApi } from './platform';

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
 * Steady HTTP load straight to the containers' published addresses, routed only to the
 * endpoints Berth lists as ready and in rotation (refreshed every 100 ms), as a load balancer
 * fed by Berth would do. Every non-2xx or connection error counts as a lost request.
 */
export function startLoad(api: TestApi, endpointsPath: string, workers = 4): { stop(): Promise<LoadResult> } {
  const result: LoadResult = { ok: 0, failed: 0, errors: [], bodies: new Map() };
  let addresses: string[] = [];
  let running = true;
  let rr = 0;
  const refresh = async () => {
    while (running) {
      try {
        const r = await api.get<{ items: { address: string }[] }>(endpointsPath);
        if (r.status === 200) addresses = r.body.items.map((e) => e.address);
      } catch {
        // keep the previous list, as a load balancer would
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  const worker = async () => {
    while (running) {
      const list = addresses;
      if (list.length === 0) {
        await new Promise((res) => setTimeout(res, 20));
        continue;
      }
      const address = list[rr++ % list.length]!;
      try {
        const r = await get(address);
        if (r.status >= 200 && r.status < 300) {
          result.ok += 1;
          result.bodies.set(r.body, (result.bodies.get(r.body) ?? 0) + 1);
        } else {
          result.failed += 1;
          result.errors.push(`${address}: HTTP ${r.status}`);
        }
      } catch (err) {
        result.failed += 1;
        result.errors.push(`${address}: ${(err as Error).message}`);
      }
    }
  };
  const all = [refresh(), ...Array.from({ length: workers }, worker)];
  return {
    async stop() {
      running = false;
      await Promise.all(all);
      return result;
    },
  };
}
