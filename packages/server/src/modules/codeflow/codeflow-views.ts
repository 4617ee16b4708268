/** Maps codeflow rows to API objects (secrets are never returned, only whether they are set). */
import {
  codeflowPaths,
  type Build,
  type BuildCommit,
  type BuildState,
  type BuildStep,
  type Pipeline,
  type PipelineTemplate,
  type WebhookProvider,
} from '@berth/shared';
import { parseJson } from '../../util';
import type { BuildRow, PipelineRow } from './codeflow.repository';

export function toPipeline(row: PipelineRow): Pipeline {
  return {
    id: row.id,
    name: row.name,
    project: row.project,
    target: { env: row.env, service: row.service },
    repo: {
      url: row.repo_url,
      ref: row.repo_ref,
      credentials: { kind: row.credentials_kind, isSet: row.credentials_sealed !== null },
    },
    template: row.template as PipelineTemplate,
    preScript: row.pre_script,
    buildScript: row.build_script,
    artifactPath: row.artifact_path,
    startCommand: row.start_command,
    port: row.port,
    dockerfile: row.dockerfile,
    timeoutSeconds: row.timeout_seconds,
    webhook: { url: codeflowPaths.hook(row.id, 'gitlab'), secretIsSet: row.webhook_secret_sealed !== null },
    version: row.version,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export function toBuild(row: BuildRow, pipelineName: string): Build {
  return {
    id: row.id,
    number: row.number,
    pipeline: pipelineName,
    project: row.project,
    state: row.state as BuildState,
    trigger: {
      kind: row.trigger_kind as 'manual' | 'webhook',
      ...(row.trigger_source ? { source: row.trigger_source as WebhookProvider } : {}),
      by: row.trigger_by,
    },
    ref: row.ref,
    commit: parseJson<BuildCommit | null>(row.commit_json, null),
    steps: parseJson<BuildStep[]>(row.steps_json, []),
    image: row.image,
    imageDigest: row.image_digest,
    taskId: row.task_id,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
