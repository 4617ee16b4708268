import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ForbiddenError, UnauthenticatedError, type StatsSample } from '@berth/shared';
import type { AppContext } from '../../http/context';
import type { Db } from '../../db/database';
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

/** Crashes (containers that exited on their own) and OOM kills of one service, since Berth counts. */
export interface ServiceCrashes {
  serviceId: string;
  restarts: number;
  oomKills: number;
}

/** A project's certificate as the expiry gauge sees it. */
export interface CertificateGauge {
  project: string;
  name: string;
  /** RFC 3339. */
  notAfter: string;
}

export interface MetricsInput {
  services: ServiceGauge[];
  samples: LatestSample[];
  /** Container name → its CPU limit in cores (containers without a limit are absent). */
  cpuLimits?: Map<string, number>;
  crashes?: ServiceCrashes[];
  certificates?: CertificateGauge[];
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
  const cpuLimits = input.cpuLimits ?? new Map<string, number>();
  families.push({
    name: 'berth_container_cpu_limit_cores',
    type: 'gauge',
    help: 'CPU limit of the container in cores (absent for a container without a limit).',
    samples: labelled.flatMap((x) => {
      const cores = cpuLimits.get(x.labels.container);
      return cores === undefined ? [] : [{ labels: x.labels, value: cores }];
    }),
  });
  const serviceLabels = (s: ServiceGauge) => ({ project: s.project, env: s.env, service: s.name });
  const crashes = new Map((input.crashes ?? []).map((c) => [c.serviceId, c]));
  families.push(
    {
      name: 'berth_service_restarts_total',
      type: 'counter',
      help: 'Containers of the service that exited on their own (crashes and OOM kills) and were replaced.',
      samples: input.services.map((s) => ({
        labels: serviceLabels(s),
        value: crashes.get(s.id)?.restarts ?? 0,
      })),
    },
    {
      name: 'berth_service_oom_kills_total',
      type: 'counter',
      help: 'Containers of the service killed for exceeding their memory limit.',
      samples: input.services.map((s) => ({
        labels: serviceLabels(s),
        value: crashes.get(s.id)?.oomKills ?? 0,
      })),
    },
  );
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
    {
      name: 'berth_certificate_not_after_seconds',
      type: 'gauge',
      help: "Expiry of a project's certificate (its leaf's notAfter) in Unix seconds.",
      samples: (input.certificates ?? []).flatMap((c) => {
        const at = Date.parse(c.notAfter);
        return Number.isFinite(at)
          ? [{ labels: { project: c.project, certificate: c.name }, value: Math.floor(at / 1000) }]
          : [];
      }),
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
  const limits = new CpuLimits(deps.ctx.db);
  const crashCounter = new CrashCounter(deps.ctx.db);
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
      const [cpuLimits, crashes, certificates] = await Promise.all([
        limits.of(samples),
        crashCounter.read(),
        deps.ctx.db
          .selectFrom('certificates')
          .select(['project', 'name', 'not_after'])
          .orderBy('project')
          .orderBy('name')
          .execute(),
      ]);
      return {
        status: 200,
        body: renderMetrics({
          services,
          samples,
          cpuLimits,
          crashes,
          certificates: certificates.map((c) => ({
            project: c.project,
            name: c.name,
            notAfter: c.not_after,
          })),
        }),
        headers: { 'Content-Type': prometheusContentType },
      };
    },
  });
}

/**
 * CPU limits of the sampled containers: their release's `spec.resources.cpu`, else the project's
 * default (what ContainerRunner applied). A release never changes, so its limit is read once.
 */
class CpuLimits {
  private readonly releases = new Map<string, number | null>();

  constructor(private readonly db: Db) {}

  async of(samples: LatestSample[]): Promise<Map<string, number>> {
    const missing = [
      ...new Set(samples.map((s) => `${s.serviceId}/${s.release}`).filter((k) => !this.releases.has(k))),
    ];
    if (missing.length) {
      const ids = [...new Set(missing.map((k) => k.split('/')[0]!))];
      const rows = await this.db
        .selectFrom('releases')
        .select(['service_id', 'number', 'spec'])
        .where('service_id', 'in', ids)
        .execute();
      for (const r of rows) {
        const key = `${r.service_id}/${r.number}`;
        if (!missing.includes(key)) continue;
        const cpu = (JSON.parse(r.spec) as { resources?: { cpu?: number | null } }).resources?.cpu;
        this.releases.set(key, typeof cpu === 'number' ? cpu : null);
      }
      for (const key of missing) if (!this.releases.has(key)) this.releases.set(key, null);
    }
    const projects = await this.db
      .selectFrom('project_quotas')
      .innerJoin('services', 'services.project', 'project_quotas.project')
      .select(['services.id', 'project_quotas.default_cpu_millis'])
      .where('services.id', 'in', samples.length ? [...new Set(samples.map((s) => s.serviceId))] : [''])
      .execute();
    const defaults = new Map(projects.map((p) => [p.id, p.default_cpu_millis]));
    const out = new Map<string, number>();
    for (const s of samples) {
      const own = this.releases.get(`${s.serviceId}/${s.release}`);
      const fallback = defaults.get(s.serviceId);
      const cores = own ?? (fallback != null ? fallback / 1000 : null);
      if (cores !== null && cores > 0) out.set(s.sample.container, cores);
    }
    return out;
  }
}

/**
 * Crashes and OOM kills per service, counted from the services' `Crashed` and `OOMKilled` events
 * (container-runner.ts writes one per container that exited on its own). Events are only added,
 * and their ids are time-ordered, so each scrape reads only the events since the last one.
 */
class CrashCounter {
  private last = '';
  private readonly counts = new Map<string, ServiceCrashes>();

  constructor(private readonly db: Db) {}

  async read(): Promise<ServiceCrashes[]> {
    const rows = await this.db
      .selectFrom('events')
      .select(['id', 'service_id', 'type'])
      .where('id', '>', this.last)
      .where('type', 'in', ['Crashed', 'OOMKilled'])
      .orderBy('id')
      .execute();
    for (const r of rows) {
      const c = this.counts.get(r.service_id) ?? { serviceId: r.service_id, restarts: 0, oomKills: 0 };
      c.restarts += 1;
      if (r.type === 'OOMKilled') c.oomKills += 1;
      this.counts.set(r.service_id, c);
      this.last = r.id;
    }
    return [...this.counts.values()];
  }
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
