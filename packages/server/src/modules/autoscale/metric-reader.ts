import type { AutoscaleSpec } from '@berth/shared';
import type { PromQueryResult } from '../monitoring/prometheus-client';
import type { AutoscaleMetricsSource, AutoscaledContainer } from './autoscale-ports';
import type { ContainerMetric } from './hpa';

/** What the autoscaler read: a value per container (cpu, memory) or a total (rps, promql); or why not. */
export type MetricReading =
  | { ok: true; kind: 'containers'; containers: ContainerMetric[]; query: string }
  | { ok: true; kind: 'total'; total: number; query: string }
  | { ok: false; reason: string; query: string };

/** A PromQL string literal (label values are names here, but never trust that). */
export function promString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function failure(r: Exclude<PromQueryResult, { ok: true }>, query: string): MetricReading {
  const what =
    r.kind === 'unreachable'
      ? 'Prometheus is unreachable'
      : r.kind === 'timeout'
        ? 'Prometheus did not answer in time'
        : r.kind === 'bad_query'
          ? 'Prometheus refused the query'
          : 'Prometheus answered with an error';
  return { ok: false, reason: `${what}: ${r.error}`, query };
}

/**
 * The window of the rps rate, in seconds: Grafana's `$__rate_interval`, max(interval + scrape,
 * 4 × scrape). Long enough for `rate` to see at least four scrapes, short enough that a decision
 * reads the load of about the last interval: with a fixed 1 m window a service under a new load
 * took the whole minute (twelve 5 s intervals in the rps test) to be read at its full rate, and
 * the "1 → N within two intervals" was missed.
 */
export function rpsWindowSeconds(intervalSeconds: number, scrapeIntervalSeconds: number): number {
  return Math.ceil(Math.max(intervalSeconds + scrapeIntervalSeconds, 4 * scrapeIntervalSeconds));
}

/**
 * The service's metric (docs/autoscaling.md, "Metrics"):
 * - cpu: `berth_container_cpu_percent` (of one core) ÷ `berth_container_cpu_limit_cores`, i.e. in
 *   percent of the container's CPU limit; of one core for a container without a limit;
 * - memory: `berth_container_memory_bytes` in percent of `berth_container_memory_limit_bytes`
 *   (a container without a memory limit has no value: missing);
 * - rps: the gateways' request rate over every route of the service, a total, over
 *   `rpsWindowSeconds` (the caller passes Prometheus' scrape interval);
 * - promql: the expression's value summed over its series, a total.
 */
export async function readMetric(
  monitoring: AutoscaleMetricsSource,
  svc: { project: string; env: string; name: string },
  spec: Pick<AutoscaleSpec, 'metric' | 'intervalSeconds'>,
  containers: readonly AutoscaledContainer[],
  scrapeIntervalSeconds: number,
): Promise<MetricReading> {
  const sel = `project=${promString(svc.project)},env=${promString(svc.env)},service=${promString(svc.name)}`;
  const prom = monitoring.prometheus;
  if (spec.metric === 'cpu' || spec.metric === 'memory') {
    const query =
      spec.metric === 'cpu'
        ? `(berth_container_cpu_percent{${sel}} / on(container) berth_container_cpu_limit_cores{${sel}}) or on(container) berth_container_cpu_percent{${sel}}`
        : `100 * berth_container_memory_bytes{${sel}} / on(container) (berth_container_memory_limit_bytes{${sel}} > 0)`;
    const r = await prom.query(query);
    if (!r.ok) return failure(r, query);
    const byName = new Map<string, number>();
    for (const s of r.samples) if (s.metric.container) byName.set(s.metric.container, s.value);
    const values = containers.map((c) => ({
      name: c.name,
      ready: c.ready,
      value: byName.get(c.name) ?? null,
    }));
    if (!values.some((v) => v.value !== null && !Number.isNaN(v.value)))
      return {
        ok: false,
        reason:
          containers.length === 0
            ? 'the service has no containers to measure'
            : `Prometheus has no ${spec.metric} samples for the service's containers (is Berth's /metrics scraped?${spec.metric === 'memory' ? ' does the service have a memory limit?' : ''})`,
        query,
      };
    return { ok: true, kind: 'containers', containers: values, query };
  }
  const query =
    spec.metric === 'rps'
      ? `sum(rate(berth_gateway_requests_total{${sel}}[${rpsWindowSeconds(spec.intervalSeconds, scrapeIntervalSeconds)}s]))`
      : spec.metric.promql;
  const r = await prom.query(query);
  if (!r.ok) return failure(r, query);
  const values = r.samples.map((s) => s.value).filter((v) => !Number.isNaN(v));
  if (values.length === 0)
    return {
      ok: false,
      reason:
        spec.metric === 'rps'
          ? 'Prometheus has no gateway request series for the service (does a route lead to it? are the gateways scraped?)'
          : 'the PromQL expression answered no value',
      query,
    };
  const total = values.reduce((a, b) => a + b, 0);
  if (!Number.isFinite(total)) return { ok: false, reason: `the metric is ${total}`, query };
  return { ok: true, kind: 'total', total, query };
}
