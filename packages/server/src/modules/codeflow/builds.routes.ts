/** Starting, listing, reading and cancelling builds. The log is the build's task log. */
import { z } from 'zod';
import { startBuildRequestSchema } from '@berth/shared';
import { InvalidError } from '@berth/shared';
import { pageOf, pageQuerySchema, decodeCursor } from '../../http/pagination';
import type { RouteRegistry } from '../../http/route';
import { toBuild } from './codeflow-views';
import type { CodeflowDeps } from './codeflow-deps';
import { pipelineParams, projectParams, projectScope } from './pipelines.routes';

const buildParams = projectParams.extend({ build: z.string().min(1).max(64) }).strict();

export function registerBuildRoutes(registry: RouteRegistry, deps: CodeflowDeps): void {
  const { service, repo } = deps;

  registry.add({
    id: 'builds.start',
    method: 'POST',
    url: '/api/v1/projects/:project/pipelines/:pipeline/builds',
    summary: 'Start a build (queued; follow /api/v1/tasks/{taskId}/log?follow=true)',
    tags: ['builds'],
    access: { permission: 'services:write', scope: projectScope },
    params: pipelineParams,
    body: startBuildRequestSchema.optional(),
    response: { status: 202, description: '{build, task}' },
    target: { kind: 'pipeline' },
    async handler({ params, body, actor }) {
      const row = await service.resolve(params.project, params.pipeline);
      const { build, task } = await service.startBuild(row, {
        ref: body?.ref,
        trigger: 'manual',
        by: actor.name,
      });
      return { status: 202, body: { build: toBuild(build, row.name), task } };
    },
  });

  registry.add({
    id: 'builds.list',
    method: 'GET',
    url: '/api/v1/projects/:project/pipelines/:pipeline/builds',
    summary: 'List the builds of a pipeline, newest first',
    tags: ['builds'],
    access: { permission: 'services:read', scope: projectScope },
    params: pipelineParams,
    query: pageQuerySchema,
    async handler({ params, query }) {
      const row = await service.resolve(params.project, params.pipeline);
      const cursor = decodeCursor(query.cursor);
      const before = cursor === undefined ? undefined : Number(cursor);
      if (before !== undefined && !Number.isInteger(before))
        throw new InvalidError('The cursor is not valid: pass nextCursor from the previous page unchanged.');
      const rows = await repo.listBuilds(row.id, before, query.limit);
      const page = pageOf(rows, query.limit, (b) => String(b.number));
      return { items: page.items.map((b) => toBuild(b, row.name)), nextCursor: page.nextCursor };
    },
  });

  registry.add({
    id: 'builds.get',
    method: 'GET',
    url: '/api/v1/projects/:project/builds/:build',
    summary: 'Get a build: state, steps with durations, commit, image and digest',
    tags: ['builds'],
    access: { permission: 'services:read', scope: projectScope },
    params: buildParams,
    async handler({ params }) {
      const build = await service.getBuild(params.project, params.build);
      const pipeline = await repo.pipelineById(build.pipeline_id);
      return toBuild(build, pipeline?.name ?? '');
    },
  });

  registry.add({
    id: 'builds.cancel',
    method: 'POST',
    url: '/api/v1/projects/:project/builds/:build/cancel',
    summary: 'Cancel a queued or running build (its build container is killed)',
    tags: ['builds'],
    access: { permission: 'services:write', scope: projectScope },
    params: buildParams,
    body: z.object({}).strict().optional(),
    response: { status: 202, description: 'the build' },
    target: { kind: 'build' },
    async handler({ params }) {
      const build = await service.cancel(params.project, params.build);
      const pipeline = await repo.pipelineById(build.pipeline_id);
      return { status: 202, body: toBuild(build, pipeline?.name ?? '') };
    },
  });
}
