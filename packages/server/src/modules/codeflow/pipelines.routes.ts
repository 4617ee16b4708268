/** Pipeline CRUD, generated Dockerfiles, webhook secret rotation. */
import { z } from 'zod';
import {
  createPipelineRequestSchema,
  ForbiddenError,
  nameSchema,
  updatePipelineRequestSchema,
} from '@berth/shared';
import type { Actor, AppContext } from '../../http/context';
import { decodeCursor, pageOf, pageQuerySchema } from '../../http/pagination';
import type { RouteRegistry } from '../../http/route';
import { toPipeline } from './codeflow-views';
import type { CodeflowDeps } from './codeflow-deps';

export const projectParams = z.object({ project: nameSchema }).strict();
export const pipelineParams = projectParams.extend({ pipeline: nameSchema }).strict();
export const projectScope = (p: { project: string }) => ({ kind: 'project' as const, project: p.project });
const base = '/api/v1/projects/:project/pipelines';
const read = { permission: 'services:read' as const, scope: projectScope };
const write = { permission: 'services:write' as const, scope: projectScope };

export function registerPipelineRoutes(registry: RouteRegistry, deps: CodeflowDeps): void {
  const { service, repo } = deps;

  registry.add({
    id: 'pipelines.list',
    method: 'GET',
    url: base,
    summary: 'List the pipelines of a project',
    tags: ['pipelines'],
    access: read,
    params: projectParams,
    query: pageQuerySchema,
    async handler({ params, query }) {
      const rows = await repo.listPipelines(params.project, decodeCursor(query.cursor), query.limit);
      const page = pageOf(rows, query.limit, (r) => r.name);
      return { items: page.items.map(toPipeline), nextCursor: page.nextCursor };
    },
  });

  registry.add({
    id: 'pipelines.create',
    method: 'POST',
    url: base,
    summary: 'Create a pipeline that builds a git repository into the image of a service',
    tags: ['pipelines'],
    access: write,
    params: projectParams,
    body: createPipelineRequestSchema,
    response: { status: 201, description: 'the pipeline' },
    target: { kind: 'pipeline', name: (p, b) => `${p.project}/${b.name}` },
    async handler({ params, body, actor }) {
      await assertRepoUrlAllowed(deps.ctx, actor, body.repo.url);
      return { status: 201, body: toPipeline(await service.create(params.project, body, actor)) };
    },
  });

  registry.add({
    id: 'pipelines.get',
    method: 'GET',
    url: `${base}/:pipeline`,
    summary: 'Get a pipeline',
    tags: ['pipelines'],
    access: read,
    params: pipelineParams,
    async handler({ params }) {
      return toPipeline(await service.resolve(params.project, params.pipeline));
    },
  });

  registry.add({
    id: 'pipelines.update',
    method: 'PUT',
    url: `${base}/:pipeline`,
    summary: "Replace a pipeline's spec (send the version you read; credentials absent = kept)",
    tags: ['pipelines'],
    access: write,
    params: pipelineParams,
    body: updatePipelineRequestSchema,
    target: { kind: 'pipeline' },
    async handler({ params, body, actor }) {
      const current = await service.resolve(params.project, params.pipeline);
      await assertRepoUrlAllowed(deps.ctx, actor, body.repo.url, current.repo_url);
      return toPipeline(await service.update(params.project, params.pipeline, body, actor));
    },
  });

  registry.add({
    id: 'pipelines.delete',
    method: 'DELETE',
    url: `${base}/:pipeline`,
    summary: 'Delete a pipeline, its builds and cancel its running build',
    tags: ['pipelines'],
    access: write,
    params: pipelineParams,
    response: { status: 204, description: 'deleted' },
    target: { kind: 'pipeline' },
    async handler({ params }) {
      await service.remove(params.project, params.pipeline);
      return { status: 204 };
    },
  });

  registry.add({
    id: 'pipelines.dockerfile',
    method: 'GET',
    url: `${base}/:pipeline/dockerfile`,
    summary: 'The generated Dockerfiles of a pipeline (image assembly and pre-processing layer)',
    tags: ['pipelines'],
    access: read,
    params: pipelineParams,
    async handler({ params }) {
      return service.dockerfiles(await service.resolve(params.project, params.pipeline));
    },
  });

  registry.add({
    id: 'pipelines.webhook-secret',
    method: 'POST',
    url: `${base}/:pipeline/webhook-secret`,
    summary: 'Generate a new webhook secret (shown once; the previous one stops working)',
    tags: ['pipelines'],
    access: write,
    params: pipelineParams,
    body: z.object({}).strict().optional(),
    target: { kind: 'pipeline' },
    async handler({ params, actor }) {
      return { secret: await service.rotateSecret(params.project, params.pipeline, actor) };
    },
  });
}

/** True for URLs git reads from this host's file system: `file://` and absolute paths. */
export function isLocalRepoUrl(url: string): boolean {
  return /^file:/i.test(url) || url.startsWith('/');
}

/**
 * A local repository URL would let a pipeline read any git repository on the host (other
 * pipelines' mirrors included), so only platform admins may set one (others may keep it). The refusal is a 403
 * naming the field; the route audits it as denied.
 */
async function assertRepoUrlAllowed(
  ctx: AppContext,
  actor: Actor,
  url: string,
  /** An update may keep the URL a platform admin set. */
  current?: string,
): Promise<void> {
  if (!isLocalRepoUrl(url) || url === current) return;
  if (await ctx.auth.authorize(actor, 'platform:admin', { kind: 'platform' })) return;
  throw new ForbiddenError(
    'Only platform admins may build from a file:// URL or an absolute path: it reads repositories on the Berth host. Use an https://, ssh:// or git:// URL.',
    {
      permission: 'platform:admin',
      fields: [{ path: 'repo.url', message: 'file:// URLs and absolute paths are for platform admins only' }],
    },
  );
}
