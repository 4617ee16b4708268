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

/**
 * The least time between the starts of one worker's requests (BERTH_TEST_LOAD_GAP_MS, 40; 0: as
 * fast as the machine answers, as `npm run soak` runs). 4 workers then send up to 100 requests a
 * second: a backend that fails for the few hundred milliseconds of a bad removal still loses dozens,
 * while the load leaves the CPU to the rollout it judges and to the test file running beside it
 * (an unpaced loop took most of a core on the 2-core machine, for Node, Nginx and a forked httpd per
 * request).
 */
export const loadGapMs = Number(process.env.BERTH_TEST_LOAD_GAP_MS ?? 40);

/** Waits out the rest of `gapMs` after a request that started at `startedAt`. */
export async function paceAfter(startedAt: number, gapMs = loadGapMs): Promise<void> {
  const rest = startedAt + gapMs - Date.now();
  if (rest > 0) await new Promise((res) => setTimeout(res, rest));
}

/**
 * Steady load through the gateway, each worker one request at a time and at most one per
 * `loadGapMs`; every non-2xx or connection error counts as lost.
 */
export function startGatewayLoad(
  listen: string,
  host: string,
  workers = 4,
): { stop(): Promise<GatewayLoadResult> } {
  const result: GatewayLoadResult = { ok: 0, failed: 0, errors: [], bodies: new Map() };
  let running = true;
  const worker = async () => {
    while (running) {
      const startedAt = Date.now();
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
      await paceAfter(startedAt);
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

export interface PacedLoadResult extends GatewayLoadResult {
  /** Requests started. */
  sent: number;
  /** Wall time from start to stop, in seconds. */
  seconds: number;
  /** Requests started per second of wall time: the rate the load really had. */
  achievedRps: number;
}

/**
 * Open-loop load at a fixed rate through the gateway: request i starts at `start + i / rps`,
 * whether or not the earlier ones have answered, so a slow answer does not lower the rate (a
 * closed loop as `startGatewayLoad` would, on a busy machine). A timer that fires late starts the
 * requests it owes at once, keeping the mean rate; at most `maxInFlight` are outstanding.
 */
export function startPacedGatewayLoad(
  listen: string,
  host: string,
  rps: number,
  opts: { maxInFlight?: number; path?: string } = {},
): { startedAt: number; stop(): Promise<PacedLoadResult> } {
  const maxInFlight = opts.maxInFlight ?? 64;
  const result: GatewayLoadResult = { ok: 0, failed: 0, errors: [], bodies: new Map() };
  const startedAt = Date.now();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let running = true;
  let timer: NodeJS.Timeout | null = null;
  const one = async () => {
    try {
      const r = await viaGateway(listen, host, { path: opts.path ?? '/index.html' });
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
  };
  const tick = () => {
    if (!running) return;
    const owed = Math.floor(((Date.now() - startedAt) / 1000) * rps) + 1;
    while (sent < owed && inFlight.size < maxInFlight) {
      sent += 1;
      const p = one().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    const next = startedAt + (sent * 1000) / rps;
    timer = setTimeout(tick, Math.max(1, next - Date.now()));
  };
  tick();
  return {
    startedAt,
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      const seconds = (Date.now() - startedAt) / 1000;
      await Promise.all([...inFlight]);
      return { ...result, sent, seconds, achievedRps: sent / seconds };
    },
  };
}
