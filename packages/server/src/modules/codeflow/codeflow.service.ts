/** Pipeline CRUD, webhook secrets, and starting and cancelling builds. */
import { randomBytes } from 'node:crypto';
import {
  ConflictError,
  InvalidError,
  NotFoundError,
  type CreatePipelineRequest,
  type PipelineDockerfiles,
  type PipelineTemplate,
  type RepoCredentialsInput,
  type Task,
  type UpdatePipelineRequest,
  type WebhookProvider,
} from '@berth/shared';
import type { SecretBox } from '../../crypto/secret-box';
import type { Actor, AppContext } from '../../http/context';
import { newId, nowIso } from '../../util';
import { localOffError } from '../../runtime/local-off';
import type { TaskRepository } from '../tasks/tasks.repository';
import type { BuildQueue } from './build-queue';
import { initialSteps } from './build-steps';
import type { BuildRow, CodeflowRepository, PipelineRow } from './codeflow.repository';
import { imageDockerfile, preDockerfile, templateBaseImage } from './dockerfiles';
import type { RepoCredentials } from './git-mirror';

type Spec = Omit<CreatePipelineRequest, 'name'>;

export class CodeflowService {
  queue!: BuildQueue;

  constructor(
    private readonly ctx: AppContext,
    private readonly repo: CodeflowRepository,
    private readonly tasks: TaskRepository,
    private readonly secrets: SecretBox,
  ) {}

  async resolve(project: string, name: string): Promise<PipelineRow> {
    const row = await this.repo.findPipeline(project, name);
    if (!row)
      throw new NotFoundError('NOT_FOUND', `Pipeline '${name}' does not exist in project '${project}'.`);
    return row;
  }

  /** The target env must exist; the service may come later (the deploy step says so if not). */
  private async checkEnv(env: string): Promise<void> {
    const found = await this.ctx.db
      .selectFrom('environments')
      .select('name')
      .where('name', '=', env)
      .executeTakeFirst();
    if (!found)
      throw new InvalidError(
        `Environment '${env}' does not exist; pick one of the platform's environments.`,
        [{ path: 'target.env', message: 'unknown environment' }],
      );
  }

  private sealCredentials(input: RepoCredentialsInput | undefined, row: PipelineRow | null) {
    if (!input)
      return {
        credentials_kind: row?.credentials_kind ?? 'none',
        credentials_sealed: row?.credentials_sealed ?? null,
      };
    if (input.kind === 'none') return { credentials_kind: 'none' as const, credentials_sealed: null };
    return { credentials_kind: input.kind, credentials_sealed: this.secrets.seal(JSON.stringify(input)) };
  }

  credentialsOf(row: PipelineRow): RepoCredentials {
    if (row.credentials_kind === 'none' || !row.credentials_sealed) return { kind: 'none' };
    return JSON.parse(this.secrets.open(row.credentials_sealed)) as RepoCredentials;
  }

  private specColumns(spec: Spec) {
    return {
      env: spec.target.env,
      service: spec.target.service,
      repo_url: spec.repo.url,
      repo_ref: spec.repo.ref,
      template: spec.template,
      pre_script: spec.preScript,
      build_script: spec.buildScript,
      artifact_path: spec.artifactPath,
      start_command: spec.startCommand,
      port: spec.port,
      dockerfile: spec.dockerfile,
      timeout_seconds: spec.timeoutSeconds,
    };
  }

  async create(project: string, input: CreatePipelineRequest, actor: Actor): Promise<PipelineRow> {
    await this.checkEnv(input.target.env);
    if (await this.repo.findPipeline(project, input.name))
      throw new ConflictError(`Pipeline '${input.name}' already exists in project '${project}'.`);
    const now = nowIso();
    const row: PipelineRow = {
      id: newId(),
      project,
      name: input.name,
      ...this.specColumns(input),
      ...this.sealCredentials(input.repo.credentials, null),
      webhook_secret_sealed: null,
      next_build: 1,
      created_at: now,
      created_by: actor.name,
      updated_at: now,
      updated_by: actor.name,
      version: 1,
    };
    await this.repo.insertPipeline(row);
    return row;
  }

  async update(
    project: string,
    name: string,
    input: UpdatePipelineRequest,
    actor: Actor,
  ): Promise<PipelineRow> {
    const row = await this.resolve(project, name);
    await this.checkEnv(input.target.env);
    const ok = await this.repo.updatePipeline(row.id, input.version, {
      ...this.specColumns(input),
      ...this.sealCredentials(input.repo.credentials, row),
      updated_at: nowIso(),
      updated_by: actor.name,
    });
    if (!ok) {
      const now = await this.resolve(project, name);
      throw new ConflictError(
        `Pipeline '${name}' was changed by someone else (version ${now.version}); reload it and apply your change again.`,
        { currentVersion: now.version },
        'VERSION_CONFLICT',
      );
    }
    return this.resolve(project, name);
  }

  async remove(project: string, name: string): Promise<void> {
    const row = await this.resolve(project, name);
    const active = await this.repo.buildsInState(['queued', 'running']);
    for (const b of active.filter((b) => b.pipeline_id === row.id)) await this.queue.cancel(b);
    await this.repo.deletePipeline(row.id);
  }

  /** A new webhook secret (shown once); the old one stops working at once. */
  async rotateSecret(project: string, name: string, actor: Actor): Promise<string> {
    const row = await this.resolve(project, name);
    const secret = randomBytes(24).toString('base64url');
    await this.repo.updatePipeline(row.id, row.version, {
      webhook_secret_sealed: this.secrets.seal(secret),
      updated_at: nowIso(),
      updated_by: actor.name,
    });
    return secret;
  }

  webhookSecret(row: PipelineRow): string | null {
    return row.webhook_secret_sealed ? this.secrets.open(row.webhook_secret_sealed) : null;
  }

  dockerfiles(row: PipelineRow): PipelineDockerfiles {
    const template = row.template as PipelineTemplate;
    if (template === 'dockerfile') return { dockerfile: row.dockerfile, preDockerfile: '' };
    const preImage = `localhost/berth-pre/${row.project}-${row.name}:<hash of template, base image, pre script and dependency manifests>`;
    return {
      preDockerfile: preDockerfile(template, templateBaseImage[template]),
      dockerfile: imageDockerfile({ template, preImage, startCommand: row.start_command, port: row.port }),
    };
  }

  /** Queues a build of `ref` (default: the pipeline's ref, which must then be a plain name). */
  async startBuild(
    row: PipelineRow,
    input: {
      ref?: string;
      sha?: string;
      trigger: 'manual' | 'webhook';
      source?: WebhookProvider;
      by: string;
    },
  ): Promise<{ build: BuildRow; task: Task }> {
    // builds run in this host's Podman: without it (BERTH_LOCAL_CLUSTER=off) none is queued
    if (!this.ctx.config.localCluster) throw localOffError(`Pipeline '${row.name}' cannot build`);
    const ref = input.ref ?? row.repo_ref;
    if (ref.includes('*'))
      throw new InvalidError(
        `Pipeline '${row.name}' builds the pattern '${row.repo_ref}'; name the branch or tag to build ("ref").`,
        [{ path: 'ref', message: 'required for a pipeline with a pattern' }],
      );
    const number = await this.repo.takeBuildNumber(row.id);
    const task = await this.tasks.create({
      kind: 'build',
      target: `${row.project}/pipelines/${row.name}/builds/${number}`,
      serviceId: null,
      createdBy: input.by,
      total: 6,
      message: `build #${number} of ${row.name} queued`,
    });
    const build: BuildRow = {
      id: newId(),
      pipeline_id: row.id,
      project: row.project,
      number,
      state: 'queued',
      trigger_kind: input.trigger,
      trigger_source: input.source ?? null,
      trigger_by: input.by,
      ref,
      commit_json: null,
      steps_json: JSON.stringify(initialSteps()),
      image: null,
      image_digest: null,
      task_id: task.id,
      error: null,
      created_at: nowIso(),
      started_at: null,
      finished_at: null,
    };
    await this.repo.insertBuild(build);
    this.queue.enqueue(build.id, input.sha ?? null);
    return { build, task };
  }

  async cancel(project: string, buildId: string): Promise<BuildRow> {
    const build = await this.getBuild(project, buildId);
    if (build.state !== 'queued' && build.state !== 'running')
      throw new ConflictError(
        `Build #${build.number} already ${build.state}; only queued or running builds can be cancelled.`,
      );
    if (!(await this.queue.cancel(build)))
      throw new ConflictError(
        `Build #${build.number} is not running on this server; it cannot be cancelled here.`,
      );
    return (await this.repo.buildById(build.id))!;
  }

  async getBuild(project: string, buildId: string): Promise<BuildRow> {
    const build = /^[a-z0-9]{1,64}$/.test(buildId) ? await this.repo.build(project, buildId) : null;
    if (!build)
      throw new NotFoundError('NOT_FOUND', `Build '${buildId}' does not exist in project '${project}'.`);
    return build;
  }
}
