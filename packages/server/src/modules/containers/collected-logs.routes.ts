import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { NotFoundError } from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { ContainersDeps } from './containers-deps';
import { projectScope } from '../services/service-params';
import { containerNotFound, containerParams, serviceBase } from './container-params';
import { attachmentName } from './files.routes';
import { pathProblem } from './container-files';
import { collectedDir, listCollected } from './log-collector';

/**
 * Collected log files are logs the service's spec chose to publish (spec.logFiles, written by
 * someone with services:write), so reading them needs what reading container logs needs:
 * services:read (docs/file-logs.md "Who may").
 */
const read = { permission: 'services:read' as const, scope: projectScope };

const fileQuery = z.object({
  file: z
    .string()
    .min(1)
    .max(4096)
    .superRefine((f, ctx) => {
      const problem = pathProblem(`/${f}`);
      if (problem || f.startsWith('/'))
        ctx.addIssue({
          code: 'custom',
          message: problem ?? 'must be a file name from GET …/collected-logs, without a leading "/"',
        });
    })
    .meta({ description: 'A file as GET …/collected-logs names it, e.g. var/log/app/app.log.1' }),
});

/** The collected log files of a container, current or gone (its container-history row). */
export function registerCollectedLogRoutes(registry: RouteRegistry, deps: ContainersDeps): void {
  const dirOf = async (params: z.output<typeof containerParams>) => {
    const service = await deps.service.resolve(params);
    const row = await deps.repo.findContainer(service.id, params.container);
    if (!row) throw containerNotFound(params.container, service.name, false);
    return collectedDir(deps.ctx.config.dataDir, service.project, service.env, service.name, row.name);
  };

  registry.add({
    id: 'containers.collectedLogs.list',
    method: 'GET',
    url: `${serviceBase}/containers/:container/collected-logs`,
    summary:
      'The log files Berth collected from a container (spec.logFiles), kept after the container is gone: name, size, time',
    tags: ['containers'],
    access: read,
    params: containerParams,
    async handler({ params }) {
      const dir = await dirOf(params);
      const files = await listCollected(dir);
      return {
        items: files.map((f) => {
          const rotated = /\.(\d+)$/.exec(f.file);
          const live = rotated ? f.file.slice(0, -rotated[0].length) : f.file;
          return { ...f, path: `/${live}`, generation: rotated ? Number(rotated[1]) : 0 };
        }),
        nextCursor: null,
      };
    },
  });

  registry.add({
    id: 'containers.collectedLogs.download',
    method: 'GET',
    url: `${serviceBase}/containers/:container/collected-logs/download`,
    summary: 'Download one collected log file of a container (current or gone)',
    tags: ['containers'],
    access: read,
    params: containerParams,
    query: fileQuery,
    response: { status: 200, description: 'The file', contentType: 'text/plain' },
    async handler({ params, query }) {
      const dir = await dirOf(params);
      const notFound = new NotFoundError(
        'NOT_FOUND',
        `Container '${params.container}' has no collected file '${query.file}'; list them with GET …/collected-logs.`,
      );
      const file = path.join(dir, ...query.file.split('/'));
      // Inside the container's directory even with links resolved, and a regular file.
      const [real, realDir] = await Promise.all([realpath(file), realpath(dir)]).catch(() => [null, null]);
      if (!real || !realDir || !real.startsWith(`${realDir}${path.sep}`)) throw notFound;
      if (path.basename(real).startsWith('.berth-')) throw notFound;
      const s = await stat(real);
      if (!s.isFile()) throw notFound;
      return {
        status: 200,
        body: createReadStream(real),
        headers: {
          'Content-Type': 'text/plain; charset=utf-8',
          'Content-Length': String(s.size),
          'Content-Disposition': attachmentName(query.file),
        },
      };
    },
  });
}
