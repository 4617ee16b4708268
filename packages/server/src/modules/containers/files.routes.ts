import { Readable } from 'node:stream';
import path from 'node:path';
import { z } from 'zod';
import { InvalidError } from '@berth/shared';
import type { ContainerEngine } from '@berth/engine-api';
import { toHttpError } from '../../http/errors';
import { handled, type RouteRegistry } from '../../http/route';
import { openSse, type SseStream } from '../../http/sse';
import type { ContainersDeps } from './containers-deps';
import { engineOf, onCluster } from './container-clusters';
import { projectScope } from '../services/service-params';
import { containerGone, containerNotFound, containerParams, serviceBase } from './container-params';
import {
  archiveOf,
  containerPathSchema,
  fileContent,
  FileFollower,
  fileInfo,
  fileLimits,
  listDirectory,
  notAFile,
  statFollowed,
  tailFile,
  viewFile,
  type FileInfo,
} from './container-files';

/**
 * Reading a container's files needs `services:exec`, the shell's permission, not `services:read`:
 * a container's file system holds what a shell would see (mounted configs, keys, the app's data),
 * and viewers, who have services:read, must not read it (docs/file-logs.md "Who may").
 */
const exec = { permission: 'services:exec' as const, scope: projectScope };
const filesWhat = 'its files are';
/** How often a follow stats the file. */
export const followPollMs = 1000;

const pathQuery = z.object({
  path: containerPathSchema.meta({ description: 'Absolute path inside the container, e.g. /var/log' }),
});

const contentQuery = pathQuery.extend({
  tail: z.coerce.number().int().min(1).max(fileLimits.tailLines).optional(),
  follow: z.stringbool().optional(),
  download: z.stringbool().optional(),
});

/** A safe file name for Content-Disposition (the path's last segment, plain characters only). */
export function attachmentName(p: string, suffix = ''): string {
  const base = (p === '/' ? 'root' : path.posix.basename(p)).replace(/[^A-Za-z0-9._-]/g, '_') || 'file';
  return `attachment; filename="${base}${suffix}"`;
}

interface Target {
  engine: ContainerEngine;
  archive: ReturnType<typeof archiveOf>;
  ref: string;
  name: string;
}

/** The current container a path names, on its cluster's engine (404 when gone or not the service's). */
async function target(deps: ContainersDeps, params: z.output<typeof containerParams>): Promise<Target> {
  const service = await deps.service.resolve(params);
  const row = await deps.repo.findContainer(service.id, params.container);
  if (!row) throw containerNotFound(params.container, service.name, false);
  if (row.state === 'removed') throw containerGone(row.name);
  const engine = await engineOf(deps.engines, row.cluster, filesWhat);
  const archive = archiveOf(engine);
  const observed = await onCluster(deps.engines, row.cluster, filesWhat, (e) =>
    e.inspectContainer(row.engine_id ?? row.name),
  );
  if (!observed) throw containerGone(row.name);
  return { engine, archive, ref: observed.id, name: row.name };
}

/** A container's files through the archive API, no exec: list, view, tail, follow, download. */
export function registerFileRoutes(registry: RouteRegistry, deps: ContainersDeps): void {
  registry.add({
    id: 'containers.files.list',
    method: 'GET',
    url: `${serviceBase}/containers/:container/files`,
    summary:
      "A path inside a container: a directory's entries (name, type, size, mode, time) or one file's details",
    tags: ['containers'],
    access: exec,
    params: containerParams,
    query: pathQuery,
    async handler({ params, query }) {
      const t = await target(deps, params);
      const { stat, resolved } = await statFollowed(t.archive, t.ref, query.path, t.name);
      const entry: FileInfo = fileInfo(query.path, stat);
      if (entry.type !== 'directory') return { entry, items: [], nextCursor: null };
      const { items, truncated } = await listDirectory(t.archive, t.ref, resolved);
      // Listed under the path asked for, even when it is a link to another directory.
      const shown =
        resolved === query.path
          ? items
          : items.map((i) => ({ ...i, path: `${query.path === '/' ? '' : query.path}/${i.name}` }));
      return { entry, items: shown, nextCursor: null, ...(truncated ? { truncated } : {}) };
    },
  });

  registry.add({
    id: 'containers.files.content',
    method: 'GET',
    url: `${serviceBase}/containers/:container/files/content`,
    summary:
      'A file of a container: its text (at most 1 MiB), its last lines (?tail=N), a live follow (?follow=true, SSE) or a download (?download=true)',
    tags: ['containers'],
    access: exec,
    params: containerParams,
    query: contentQuery,
    async handler({ params, query, req, reply }) {
      const modes = [query.follow, query.download].filter(Boolean).length;
      if (modes > 1)
        throw new InvalidError('Use either follow=true or download=true, not both.', [
          { path: 'download', message: 'conflicts with follow' },
        ]);
      const t = await target(deps, params);
      const { stat, resolved } = await statFollowed(t.archive, t.ref, query.path, t.name);
      const info = fileInfo(query.path, stat);
      if (info.type !== 'file') throw notAFile(query.path, info.type);
      if (query.download) {
        const body = Readable.from(fileContent(t.archive, t.ref, resolved));
        return {
          status: 200,
          body,
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Disposition': attachmentName(query.path),
          },
        };
      }
      if (query.follow) {
        const start = await tailFile(t.archive, t.ref, resolved, query.tail ?? 10);
        follow(deps, t, resolved, start, openSse(req, reply));
        return handled;
      }
      if (query.tail !== undefined) {
        const { lines } = await tailFile(t.archive, t.ref, resolved, query.tail);
        return { entry: info, lines };
      }
      return { entry: info, text: await viewFile(t.archive, t.ref, resolved, stat.size) };
    },
  });

  registry.add({
    id: 'containers.files.archive',
    method: 'GET',
    url: `${serviceBase}/containers/:container/files/archive`,
    summary: 'Download a file or a whole directory of a container as a tar archive',
    tags: ['containers'],
    access: exec,
    params: containerParams,
    query: pathQuery,
    response: { status: 200, description: 'A tar archive', contentType: 'application/x-tar' },
    async handler({ params, query }) {
      const t = await target(deps, params);
      const { resolved } = await statFollowed(t.archive, t.ref, query.path, t.name);
      const body = await t.archive.getArchive(t.ref, resolved);
      return {
        status: 200,
        body,
        headers: {
          'Content-Type': 'application/x-tar',
          'Content-Disposition': attachmentName(query.path, '.tar'),
        },
      };
    },
  });
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Sends the tail, then every new line as the app appends; ends when the container is gone. */
function follow(
  deps: ContainersDeps,
  t: Target,
  file: string,
  start: { lines: string[]; bytes: number; head: Buffer },
  sse: SseStream,
): void {
  for (const text of start.lines) sse.send('line', { text });
  const follower = new FileFollower(t.archive, t.ref, file, start.bytes, start.head);
  const signal = sse.closed;
  void (async () => {
    let reason = 'the client left';
    try {
      while (!signal.aborted) {
        await wait(followPollMs, signal);
        if (signal.aborted) break;
        for (const e of await follower.poll(signal)) {
          if (e.kind === 'lines') for (const text of e.lines) sse.send('line', { text });
          else sse.send(e.kind, { path: file });
          if (e.kind === 'missing' && !(await t.engine.inspectContainer(t.ref))) {
            reason = 'the container is gone';
            return;
          }
        }
      }
    } catch (err) {
      if (!signal.aborted) {
        deps.ctx.log.debug({ err, file }, 'file follow failed');
        sse.send('error', toHttpError(err).body);
      }
      reason = 'the follow failed';
    } finally {
      if (!signal.aborted) sse.send('end', { reason });
      sse.end();
    }
  })();
}
