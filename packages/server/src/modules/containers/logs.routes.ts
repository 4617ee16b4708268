import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InvalidError, UnavailableError } from '@berth/shared';
import type { ContainerEngine, LogLine } from '@berth/engine-api';
import { toHttpError } from '../../http/errors';
import { handled, type RouteRegistry } from '../../http/route';
import { openSse, wantsStream, type SseStream } from '../../http/sse';
import type { ContainersDeps } from './containers-deps';
import {
  checkClusterFilter,
  clusterQuerySchema,
  clusterUnavailable,
  engineOf,
  onCluster,
} from './container-clusters';
import { projectScope, serviceParams } from '../services/service-params';
import type { ContainerRow } from '../services/services.repository';
import {
  containerGone,
  containerNotFound,
  containerParams,
  serviceBase,
  sinceSchema,
} from './container-params';
import {
  byTime,
  collectLines,
  defaultTail,
  downloadHeaders,
  formatLines,
  maxTail,
  type TaggedLogLine,
} from './log-lines';

const logQuery = z.object({
  cluster: clusterQuerySchema.meta({
    description:
      'Service logs: only the containers on this cluster (a registered cluster name); an unknown name is a 422 at `cluster`',
  }),
  tail: z.coerce.number().int().min(1).max(maxTail).optional(),
  since: sinceSchema.optional(),
  follow: z.stringbool().optional(),
  download: z.stringbool().optional(),
});
type LogQuery = z.output<typeof logQuery>;

const read = { permission: 'services:read' as const, scope: projectScope };
/** How often a follow checks the ledger (container stopped) or looks for new containers. */
const watchMs = 3000;
const logsWhat = "its containers' logs are";

/** Container and service logs: a tail, a download, or a follow over SSE. */
export function registerLogRoutes(registry: RouteRegistry, deps: ContainersDeps): void {
  registry.add({
    id: 'containers.logs',
    method: 'GET',
    url: `${serviceBase}/containers/:container/logs`,
    summary:
      'Logs of one container: a tail, a download (?download=true) or a live follow (?follow=true, SSE)',
    tags: ['containers'],
    access: read,
    params: containerParams,
    query: logQuery,
    async handler({ params, query, req, reply }) {
      const service = await deps.service.resolve(params);
      const row = await deps.repo.findContainer(service.id, params.container);
      if (!row) throw containerNotFound(params.container, service.name, false);
      if (query.cluster !== undefined && query.cluster !== row.cluster) {
        throw new InvalidError(
          `Invalid query parameters. cluster: container '${row.name}' runs on cluster '${row.cluster}', not '${query.cluster}'; leave out cluster or pass cluster=${row.cluster}.`,
          [{ path: 'cluster', message: `must be ${row.cluster}, the container's cluster` }],
          'UNPROCESSABLE',
        );
      }
      if (row.state === 'removed') throw containerGone(row.name);
      const engine = await engineOf(deps.engines, row.cluster, logsWhat);
      const ref = await onCluster(deps.engines, row.cluster, logsWhat, () => engineRef(engine, row));
      if (streamed(req, query)) {
        followContainer(deps, engine, row, ref, query, openSse(req, reply));
        return handled;
      }
      const lines = await onCluster(deps.engines, row.cluster, logsWhat, () =>
        collectLines(engine.logs(ref, options(query))),
      );
      if (query.download)
        return { status: 200, body: formatLines(lines), headers: downloadHeaders(row.name) };
      return { items: lines, nextCursor: null };
    },
  });

  registry.add({
    id: 'services.logs',
    method: 'GET',
    url: `${serviceBase}/logs`,
    summary: 'Logs of every current container of a service, merged by time and tagged with the container',
    tags: ['containers'],
    access: read,
    params: serviceParams,
    query: logQuery,
    async handler({ params, query, req, reply }) {
      const service = await deps.service.resolve(params);
      const cluster = await checkClusterFilter(deps.engines, query.cluster);
      if (streamed(req, query)) {
        followService(deps, service.id, cluster, query, openSse(req, reply));
        return handled;
      }
      const rows = (await deps.repo.activeContainers(service.id)).filter(
        (r) => r.engine_id && (cluster === undefined || r.cluster === cluster),
      );
      const results = await Promise.allSettled(
        rows.map((r) =>
          onCluster(deps.engines, r.cluster, logsWhat, (engine) =>
            collectLines(engine.logs(r.engine_id!, options(query))),
          ),
        ),
      );
      const tagged: TaggedLogLine[] = [];
      const errors: Array<{ cluster: string; container: string; code: string; message: string }> = [];
      results.forEach((r, i) => {
        const container = rows[i]!.name;
        if (r.status === 'fulfilled') tagged.push(...r.value.map((l) => ({ ...l, container })));
        else errors.push({ cluster: rows[i]!.cluster, container, ...toHttpError(r.reason).body.error });
      });
      const lines = byTime(tagged).slice(-tailOf(query));
      if (query.download)
        return { status: 200, body: formatLines(lines), headers: downloadHeaders(service.name) };
      return { items: lines, nextCursor: null, ...(errors.length ? { errors } : {}) };
    },
  });
}

/** A download is a finished file, so it is never a stream. */
function streamed(req: FastifyRequest, query: LogQuery): boolean {
  if (query.follow && query.download) {
    throw new InvalidError('Use either follow=true or download=true, not both.', [
      { path: 'download', message: 'conflicts with follow' },
    ]);
  }
  return !query.download && wantsStream(req, query.follow);
}

/** Downloads default to the largest tail: whoever saves a log wants all of it that we serve. */
function tailOf(query: LogQuery): number {
  return query.tail ?? (query.download ? maxTail : defaultTail);
}

function options(query: LogQuery, signal?: AbortSignal) {
  return { tail: tailOf(query), since: query.since, follow: signal !== undefined, signal };
}

/** The engine's reference of a ledger container, or the "gone" 404 when the engine no longer has it. */
async function engineRef(engine: ContainerEngine, row: ContainerRow): Promise<string> {
  if (row.state === 'removed') throw containerGone(row.name);
  const observed = await engine.inspectContainer(row.engine_id ?? row.name);
  if (!observed) throw containerGone(row.name);
  return observed.id;
}

/** Sends lines until the engine ends the stream (the container stopped) or `signal` aborts. */
async function pump(
  sse: SseStream,
  lines: AsyncIterable<LogLine>,
  signal: AbortSignal,
  container?: string,
  cluster?: string,
): Promise<void> {
  try {
    for await (const l of lines) {
      if (signal.aborted) break;
      sse.send(
        'line',
        container
          ? { container, stream: l.stream, at: l.at, text: l.text }
          : { stream: l.stream, at: l.at, text: l.text },
      );
    }
  } catch (err) {
    if (signal.aborted || sse.closed.aborted) return;
    const failure =
      cluster && err instanceof UnavailableError ? clusterUnavailable(cluster, logsWhat, err) : err;
    sse.send('error', { ...(container ? { container } : {}), ...toHttpError(failure).body });
  }
}

function followContainer(
  deps: ContainersDeps,
  engine: ContainerEngine,
  row: ContainerRow,
  ref: string,
  query: LogQuery,
  sse: SseStream,
): void {
  const stop = new AbortController();
  sse.closed.addEventListener('abort', () => stop.abort());
  // Podman ends a follow when the container exits; the ledger watch is the backstop for engines
  // that keep the stream open, with a grace period for the last lines in flight.
  const watch = setInterval(() => {
    void deps.repo.findContainer(row.service_id, row.name).then(
      (now) => {
        if (now && now.state !== 'exited' && now.state !== 'removed') return;
        clearInterval(watch);
        setTimeout(() => stop.abort(), watchMs).unref();
      },
      () => undefined,
    );
  }, watchMs);
  void pump(sse, engine.logs(ref, options(query, stop.signal)), stop.signal, undefined, row.cluster).finally(
    () => {
      clearInterval(watch);
      if (!sse.closed.aborted) sse.send('end', { reason: 'the container stopped' });
      sse.end();
    },
  );
}

/** Follows every current container, and picks up containers that appear during the follow. */
function followService(
  deps: ContainersDeps,
  serviceId: string,
  cluster: string | undefined,
  query: LogQuery,
  sse: SseStream,
): void {
  const following = new Set<string>();
  const attach = async () => {
    for (const row of await deps.repo.activeContainers(serviceId)) {
      if (!row.engine_id || following.has(row.name)) continue;
      if (cluster !== undefined && row.cluster !== cluster) continue;
      let engine: ContainerEngine;
      try {
        engine = await engineOf(deps.engines, row.cluster, logsWhat);
      } catch (err) {
        // Tried again at the next look; the others keep streaming.
        sse.send('error', { container: row.name, cluster: row.cluster, ...toHttpError(err).body });
        continue;
      }
      following.add(row.name);
      const lines = engine.logs(row.engine_id, options(query, sse.closed));
      void pump(sse, lines, sse.closed, row.name, row.cluster);
    }
  };
  const poll = setInterval(
    () =>
      void attach().catch((err: unknown) =>
        deps.ctx.log.warn({ err }, 'log follow: listing containers failed'),
      ),
    watchMs,
  );
  sse.closed.addEventListener('abort', () => clearInterval(poll));
  void attach().catch((err: unknown) => {
    sse.send('error', toHttpError(err).body);
    sse.end();
  });
}
