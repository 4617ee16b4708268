import http from 'node:http';

export interface GatewayResponse {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request through the gateway with a Host header and `Connection: close`, as a browser would. */
export function viaGateway(
  listen: string,
  host: string,
  opts: { path?: string; headers?: Record<string, string>; method?: string; timeoutMs?: number } = {},
): Promise<GatewayResponse> {
  const i = listen.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: listen.slice(0, i),
        port: Number(listen.slice(i + 1)),
        path: opts.path ?? '/index.html',
        method: opts.method ?? 'GET',
        agent: false,
        headers: { Host: host, Connection: 'close', ...opts.headers },
        timeout: opts.timeoutMs ?? 5000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: body.trim(), headers: res.headers }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export interface GatewayLoadResult {
  ok: number;
  failed: number;
  errors: string[];
  bodies: Map<string, number>;
}

/** Steady load through the gateway; every non-2xx or connection error counts as lost. */
export function startGatewayLoad(
  listen: string,
  host: string,
  workers = 4,
): { stop(): Promise<GatewayLoadResult> } {
  const result: GatewayLoadResult = { ok: 0, failed: 0, errors: [], bodies: new Map() };
  let running = true;
  const worker = async () => {
    while (running) {
      try {
        const r = await viaGateway(listen, host);
        if (r.status >= 200 && r.status < 300) {
          result.ok += 1;
          result.bodies.set(r.body, (result.bodies.get(r.body) ?? 0) + 1);
        } else {
          result.failed += 1;
          result.errors.push(`HTTP ${r.status}: ${r.body.slice(0, 100)}`);
        }
      } catch (err) {
        result.failed += 1;
        result.errors.push((err as Error).message);
      }
    }
  };
  const all = Array.from({ length: workers }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(all);
      return result;
    },
  };
}
