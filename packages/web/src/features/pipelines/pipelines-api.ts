import {
  codeflowPaths,
  type Build,
  type CreatePipelineRequestInput,
  type Page,
  type Pipeline,
  type PipelineDockerfiles,
  type Task,
  type UpdatePipelineRequestInput,
  type WebhookSecret,
} from '@berth/shared';
import { api } from '../../api/client';

/** The codeflow API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const pipelineApiRoutes = {
  pipelines: 'GET /api/v1/projects/{project}/pipelines',
  createPipeline: 'POST /api/v1/projects/{project}/pipelines',
  pipeline: 'GET /api/v1/projects/{project}/pipelines/{pipeline}',
  updatePipeline: 'PUT /api/v1/projects/{project}/pipelines/{pipeline}',
  deletePipeline: 'DELETE /api/v1/projects/{project}/pipelines/{pipeline}',
  dockerfile: 'GET /api/v1/projects/{project}/pipelines/{pipeline}/dockerfile',
  webhookSecret: 'POST /api/v1/projects/{project}/pipelines/{pipeline}/webhook-secret',
  builds: 'GET /api/v1/projects/{project}/pipelines/{pipeline}/builds',
  startBuild: 'POST /api/v1/projects/{project}/pipelines/{pipeline}/builds',
  build: 'GET /api/v1/projects/{project}/builds/{build}',
  cancelBuild: 'POST /api/v1/projects/{project}/builds/{build}/cancel',
} as const;

const seg = encodeURIComponent;

/** Query-cache keys: everything codeflow of a project starts with ['pipelines', project]. */
export const pipelineKeys = {
  all: (project: string) => ['pipelines', project] as const,
  one: (project: string, pipeline: string) => ['pipelines', project, pipeline] as const,
  dockerfile: (project: string, pipeline: string) => ['pipelines', project, pipeline, 'dockerfile'] as const,
  builds: (project: string, pipeline: string) => ['pipelines', project, pipeline, 'builds'] as const,
  build: (project: string, build: string) => ['pipelines', project, 'build', build] as const,
};

export interface BuildStarted {
  build: Build;
  task: Task;
}

export const listPipelines = (project: string) =>
  api<Page<Pipeline>>(codeflowPaths.pipelines(seg(project)), { query: { limit: 500 } });
export const getPipeline = (project: string, pipeline: string) =>
  api<Pipeline>(codeflowPaths.pipeline(seg(project), seg(pipeline)));
export const createPipeline = (project: string, body: CreatePipelineRequestInput) =>
  api<Pipeline>(codeflowPaths.pipelines(seg(project)), { method: 'POST', body });
export const updatePipeline = (project: string, pipeline: string, body: UpdatePipelineRequestInput) =>
  api<Pipeline>(codeflowPaths.pipeline(seg(project), seg(pipeline)), { method: 'PUT', body });
export const deletePipeline = (project: string, pipeline: string, version: number) =>
  api<void>(codeflowPaths.pipeline(seg(project), seg(pipeline)), { method: 'DELETE', query: { version } });
export const getDockerfiles = (project: string, pipeline: string) =>
  api<PipelineDockerfiles>(codeflowPaths.dockerfile(seg(project), seg(pipeline)));
export const rotateWebhookSecret = (project: string, pipeline: string) =>
  api<WebhookSecret>(codeflowPaths.webhookSecret(seg(project), seg(pipeline)), { method: 'POST', body: {} });
export const listBuilds = (
  project: string,
  pipeline: string,
  query: { limit?: number; cursor?: string } = {},
) => api<Page<Build>>(codeflowPaths.pipelineBuilds(seg(project), seg(pipeline)), { query: { ...query } });
export const startBuild = (project: string, pipeline: string, ref?: string) =>
  api<BuildStarted>(codeflowPaths.pipelineBuilds(seg(project), seg(pipeline)), {
    method: 'POST',
    body: ref ? { ref } : {},
  });
export const getBuild = (project: string, build: string) =>
  api<Build>(codeflowPaths.build(seg(project), seg(build)));
export const cancelBuild = (project: string, build: string) =>
  api<Build>(codeflowPaths.cancelBuild(seg(project), seg(build)), { method: 'POST', body: {} });
