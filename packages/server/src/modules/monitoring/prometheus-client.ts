/*
 * A small client of Prometheus' HTTP API (docs/monitoring.md). Queries never throw: they answer
 * a result or a failure with its kind, so a caller (the autoscaler, the rule preview) can tell
 * "Prometheus is down" from "the query is wrong" and act safely on each.
 */

export interface PromSample {
  metric: Record<string, string>;
  /** NaN kept as NaN (Prometheus sends "NaN"); +Inf/-Inf as Infinity. */
  value: number;
}
export type PromFailure = {
  ok: false;
  kind: 'unreachable' | 'timeout' | 'bad_query' | 'http';
  error: string;
};
export type PromQueryResult = { ok: true; samples: PromSample[] } | PromFailure;
export type PromRangeResult =
  | {
      ok: true;
      series: Array<{ metric: Record<string, string>; points: Array<[unixSeconds: number, value: number]> }>;
    }
  | PromFailure;

interface ApiBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

type RawSample = { metric?: Record<string, string>; value?: [number, string] };
type RawSeries = { metric?: Record<string, string>; values?: Array<[number, string]> };

/** Prometheus' sample value text as a number ("NaN", "+Inf", "-Inf" included). */
export function promNumber(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

export class PrometheusClient {
  readonly url: string;
  private readonly timeoutMs: number;

  constructor(opts: { url: string; timeoutMs?: number }) {
    this.url = opts.url.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  /** An instant query (POST /api/v1/query, form-encoded: long expressions fit). */
  async query(expr: string, at?: Date): Promise<PromQueryResult> {
    const form: Record<string, string> = { query: expr };
    if (at) form.time = (at.getTime() / 1000).toFixed(3);
    const res = await this.api('/api/v1/query', form);
    if (!res.ok) return res;
    const data = res.body.data;
    if (data?.resultType === 'scalar' && Array.isArray(data.result)) {
      const [, v] = data.result as [number, string];
      return { ok: true, samples: [{ metric: {}, value: promNumber(v) }] };
    }
    if (data?.resultType !== 'vector' || !Array.isArray(data.result))
      return {
        ok: false,
        kind: 'bad_query',
        error: `the query answers a ${data?.resultType ?? 'missing'} result, not an instant vector: ${expr}`,
      };
    return {
      ok: true,
      samples: (data.result as RawSample[]).map((s) => ({
        metric: s.metric ?? {},
        value: promNumber(s.value?.[1] ?? 'NaN'),
      })),
    };
  }

  /** A range query (POST /api/v1/query_range). */
  async queryRange(expr: string, start: Date, end: Date, stepSeconds: number): Promise<PromRangeResult> {
    const res = await this.api('/api/v1/query_range', {
      query: expr,
      start: (start.getTime() / 1000).toFixed(3),
      end: (end.getTime() / 1000).toFixed(3),
      step: String(stepSeconds),
    });
    if (!res.ok) return res;
    const data = res.body.data;
    if (data?.resultType !== 'matrix' || !Array.isArray(data.result))
      return {
        ok: false,
        kind: 'bad_query',
        error: `the range query answers a ${data?.resultType ?? 'missing'} result, not a matrix: ${expr}`,
      };
    return {
      ok: true,
      series: (data.result as RawSeries[]).map((s) => ({
        metric: s.metric ?? {},
        points: (s.values ?? []).map(([t, v]): [number, number] => [t, promNumber(v)]),
      })),
    };
  }

  /**
   * POST /-/reload (Prometheus runs with --web.enable-lifecycle). Prometheus answers after the
   * reload: 200 when it applied, else 500 with its message, which this throws.
   */
  async reload(): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/-/reload`, {
        method: 'POST',
        signal: AbortSignal.timeout(Math.max(this.timeoutMs, 30_000)),
      });
    } catch (err) {
      throw new Error(`Prometheus at ${this.url} did not take the reload: ${describe(err)}`);
    }
    const text = (await res.text()).trim();
    if (res.status !== 200)
      throw new Error(
        `Prometheus at ${this.url} refused the reload (HTTP ${res.status}): ${text || res.statusText}`,
      );
  }

  /** GET /-/ready: true when Prometheus serves queries. */
  async ready(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(this.timeoutMs) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** GET /api/v1/status/runtimeinfo: whether the last reload succeeded, and when the config last loaded. */
  async runtimeInfo(): Promise<{ reloadConfigSuccess: boolean; lastConfigTime: Date }> {
    const res = await fetch(`${this.url}/api/v1/status/runtimeinfo`, {
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body = (await res.json()) as { data?: { reloadConfigSuccess?: boolean; lastConfigTime?: string } };
    if (res.status !== 200 || !body.data)
      throw new Error(`Prometheus at ${this.url}: runtime info answered HTTP ${res.status}`);
    return {
      reloadConfigSuccess: body.data.reloadConfigSuccess === true,
      lastConfigTime: new Date(body.data.lastConfigTime ?? 0),
    };
  }

  /** How many Alertmanagers Prometheus sends alerts to now (GET /api/v1/alertmanagers). */
  async activeAlertmanagers(): Promise<number> {
    const res = await fetch(`${this.url}/api/v1/alertmanagers`, {
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body = (await res.json()) as { data?: { activeAlertmanagers?: unknown[] } };
    if (res.status !== 200)
      throw new Error(`Prometheus at ${this.url}: alertmanagers answered HTTP ${res.status}`);
    return body.data?.activeAlertmanagers?.length ?? 0;
  }

  private async api(
    p: string,
    form: Record<string, string>,
  ): Promise<{ ok: true; body: ApiBody } | PromFailure> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${p}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const name = (err as Error | undefined)?.name;
      if (name === 'TimeoutError' || name === 'AbortError')
        return {
          ok: false,
          kind: 'timeout',
          error: `Prometheus at ${this.url} did not answer within ${this.timeoutMs} ms`,
        };
      return {
        ok: false,
        kind: 'unreachable',
        error: `Prometheus at ${this.url} is unreachable: ${describe(err)}`,
      };
    }
    const text = await res.text();
    let body: ApiBody | null = null;
    try {
      body = JSON.parse(text) as ApiBody;
    } catch {
      body = null;
    }
    if (res.status === 200 && body?.status === 'success') return { ok: true, body };
    // 400 bad_data (a parse error), 422 execution errors: the query's fault, with Prometheus' words
    if ((res.status === 400 || res.status === 422) && body?.error)
      return { ok: false, kind: 'bad_query', error: body.error };
    if (res.status === 503 && body?.errorType === 'timeout')
      return { ok: false, kind: 'timeout', error: body.error ?? 'query timed out' };
    return {
      ok: false,
      kind: 'http',
      error: `Prometheus at ${this.url} answered HTTP ${res.status}: ${body?.error ?? text.slice(0, 300)}`,
    };
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } } | null;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
