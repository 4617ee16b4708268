import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ForbiddenError, UnauthenticatedError, type StatsSample } from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import type { ContainersDeps } from './containers-deps';
import { prometheusContentType, renderFamilies, type MetricFamily, type MetricType } from './prometheus-text';
import type { LatestSample, StatsSampler } from './stats-sampler';

/** A service as the replica gauges see it. */
export interface ServiceGauge {
  id: string;
  project: string;
  env: string;
  name: string;
  desired: number;
  ready: number;
}

export interface MetricsInput {
  services: ServiceGauge[];
  samples: LatestSample[];
}

const containerMetrics: Array<
  [name: string, type: MetricType, help: string, pick: (s: StatsSample) => number]
> = [
  [
    'berth_container_cpu_percent',
    'gauge',
    'CPU use of the container in percent of one CPU core.',
    (s) => s.cpuPercent,
  ],
  ['berth_container_memory_bytes', 'gauge', 'Memory used by the container in bytes.', (s) => s.memoryBytes],
  [
    'berth_container_memory_limit_bytes',
    'gauge',
    'Memory limit of the container in bytes.',
    (s) => s.memoryLimitBytes,
  ],
  [
    'berth_container_network_receive_bytes_total',
    'counter',
    'Bytes the container received over the network.',
    (s) => s.netRxBytes,
  ],
  [
    'berth_container_network_transmit_bytes_total',
    'counter',
    'Bytes the container sent over the network.',
    (s) => s.netTxBytes,
  ],
  [
    'berth_container_block_read_bytes_total',
    'counter',
    'Bytes the container read from block devices.',
    (s) => s.blockReadBytes,
  ],
  [
    'berth_container_block_write_bytes_total',
    'counter',
    'Bytes the container wrote to block devices.',
    (s) => s.blockWriteBytes,
  ],
];

/** The metric families of the exporter: per-container resource use and per-service replicas. */
export function metricFamilies(input: MetricsInput): MetricFamily[] {
  const services = new Map(input.services.map((s) => [s.id, s]));
  const labelled = input.samples.flatMap((l) => {
    const svc = services.get(l.serviceId);
    if (!svc) return [];
    const labels = {
      project: svc.project,
      env: svc.env,
      service: svc.name,
      container: l.sample.container,
      release: String(l.release),
      cluster: l.cluster,
    };
    return [{ labels, sample: l.sample }];
  });
  const families: MetricFamily[] = containerMetrics.map(([name, type, help, pick]) => ({
    name,
    type,
    help,
    samples: labelled.map((x) => ({ labels: x.labels, value: pick(x.sample) })),
  }));
  const serviceLabels = (s: ServiceGauge) => ({ project: s.project, env: s.env, service: s.name });
  families.push(
    {
      name: 'berth_service_replicas_desired',
      type: 'gauge',
      help: 'Replicas the service should run (0 while stopped).',
      samples: input.services.map((s) => ({ labels: serviceLabels(s), value: s.desired })),
    },
    {
      name: 'berth_service_replicas_ready',
      type: 'gauge',
      help: 'Replicas of the service that are ready.',
      samples: input.services.map((s) => ({ labels: serviceLabels(s), value: s.ready })),
    },
  );
  return families;
}

export function renderMetrics(input: MetricsInput): string {
  return renderFamilies(metricFamilies(input));
}

/** Registers GET /metrics, the exporter Prometheus scrapes. */
export function registerMetricsRoute(
  registry: RouteRegistry,
  deps: ContainersDeps,
  sampler: StatsSampler,
): void {
  const token = Buffer.from(metricsToken(deps.ctx.config.dataDir, deps.ctx.config.metricsToken));
  registry.add({
    id: 'meta.metrics',
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics of every current container and service',
    tags: ['meta'],
    // The exporter names every project's services and containers: a scrape presents the metrics
    // token (or a platform admin's API token) as a Bearer token; checked in the handler so that
    // Prometheus needs no Berth user. Refusals are audited by the route registry.
    access: 'public',
    response: {
      status: 200,
      description: 'Prometheus text format 0.0.4',
      schema: z.string(),
      contentType: 'text/plain',
    },
    async handler({ req }) {
      await assertScraper(deps.ctx, req, token);
      const rows = await deps.ctx.db
        .selectFrom('services')
        .select(['id', 'project', 'env', 'name', 'replicas', 'stopped', 'ready_replicas'])
        .where('deleting', '=', 0)
        .orderBy('project')
        .orderBy('env')
        .orderBy('name')
        .execute();
      const services = rows.map((r) => ({
        id: r.id,
        project: r.project,
        env: r.env,
        name: r.name,
        desired: r.stopped === 1 ? 0 : r.replicas,
        ready: r.ready_replicas,
      }));
      const samples = (await sampler.currentSamples()).sort((a, b) =>
        a.sample.container.localeCompare(b.sample.container),
      );
      return {
        status: 200,
        body: renderMetrics({ services, samples }),
        headers: { 'Content-Type': prometheusContentType },
      };
    },
  });
}

/** File the generated scrape token lives in (when BERTH_METRICS_TOKEN is not set). */
export function metricsTokenFile(dataDir: string): string {
  return path.join(dataDir, 'metrics.token');
}

/** The scrape token: BERTH_METRICS_TOKEN, else `$dataDir/metrics.token` (generated once, 0600). */
export function metricsToken(dataDir: string, configured: string | null): string {
  if (configured) return configured;
  const file = metricsTokenFile(dataDir);
  if (!existsSync(file)) {
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readFileSync(file, 'utf8').trim();
}

/** The metrics token, or the API token/session of a platform admin; otherwise 401/403. */
async function assertScraper(ctx: AppContext, req: FastifyRequest, token: Buffer): Promise<void> {
  const header = req.headers.authorization;
  const given =
    typeof header === 'string' && /^Bearer /i.test(header) ? Buffer.from(header.slice(7).trim()) : null;
  if (given && given.length === token.length && timingSafeEqual(given, token)) return;
  const actor = await ctx.auth.authenticate(req).catch(() => null);
  if (!actor)
    throw new UnauthenticatedError(
      `/metrics needs "Authorization: Bearer <token>": the metrics token (BERTH_METRICS_TOKEN, or the file ${metricsTokenFile('$BERTH_DATA_DIR')}) or a platform admin's API token.`,
    );
  if (!(await ctx.auth.authorize(actor, 'platform:admin', { kind: 'platform' })))
    throw new ForbiddenError(
      `User '${actor.name}' is not a platform admin: only the metrics token or a platform admin may read /metrics (it lists every project's services).`,
      { permission: 'platform:admin', scope: { kind: 'platform' } },
    );
}
