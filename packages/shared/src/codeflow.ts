/**
 * Codeflow: pipelines build a git repository into an image and roll a service to it.
 * Types and request schemas shared by the server, the CLI and the portal.
 */
import { z } from 'zod';
import { nameSchema } from './names';
import type { ObjectMeta } from './resources';

export const pipelineTemplates = [
  'static',
  'node',
  'python',
  'java-maven',
  'go',
  'shell',
  'dockerfile',
] as const;
export type PipelineTemplate = (typeof pipelineTemplates)[number];

/** The start command a pipeline runs when it leaves its own empty (the portal shows it as a hint). */
export const defaultStartCommand: Record<PipelineTemplate, string> = {
  node: 'exec node server.js',
  static: 'exec httpd -f -p "$PORT" -h /app',
  shell: 'exec httpd -f -p "$PORT" -h /app',
  python: 'exec python3 app.py',
  'java-maven': 'exec java -jar app.jar',
  go: 'exec ./app',
  dockerfile: '',
};

export const buildStates = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed-out'] as const;
export type BuildState = (typeof buildStates)[number];

export const buildStepNames = ['fetch', 'pre', 'build', 'image', 'push', 'deploy'] as const;
export type BuildStepName = (typeof buildStepNames)[number];

export const webhookProviders = ['gitlab', 'github', 'gitea'] as const;
export type WebhookProvider = (typeof webhookProviders)[number];

const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);

/**
 * A git repository URL: https://, http://, ssh://, git://, file://, scp-like `user@host:path`,
 * or an absolute local path. Never starts with "-" (it would read as a git option).
 */
export const repoUrlSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2048 characters')
  .refine((s) => !s.startsWith('-'), 'must not start with "-"')
  .refine((s) => noControl(s) && !/\s/.test(s), 'must not contain spaces or control characters')
  .refine(
    (s) =>
      /^(https?|ssh|git|file):\/\/[^/]*\/?.*/.test(s) ||
      /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:.+/.test(s) ||
      s.startsWith('/'),
    'must be an https://, ssh://, git://, file:// URL, user@host:path, or an absolute path',
  );

/**
 * A branch or tag name, or a glob of them ("main", "release/*", "v*"). Follows git's ref-name
 * rules (no spaces, "~^:?[\\", "..", "@{", leading "-" or "/"), with "*" allowed as a wildcard.
 */
export const refPatternSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .refine((s) => !s.startsWith('-') && !s.startsWith('/'), 'must not start with "-" or "/"')
  .refine(
    (s) => noControl(s) && !/[\s~^:?[\\]/.test(s) && !s.includes('..') && !s.includes('@{'),
    'must be a git branch or tag name (no spaces or any of ~ ^ : ? [ \\, no "..")',
  )
  .refine(
    (s) => !s.endsWith('/') && !s.endsWith('.lock') && !s.endsWith('.'),
    'must not end with "/", "." or ".lock"',
  );

/** A concrete ref for a manual build: like a pattern, without wildcards. */
export const refNameSchema = refPatternSchema.refine((s) => !s.includes('*'), 'must not contain "*"');

const scriptSchema = z.string().max(65536, 'must be at most 64 KiB');

/** A path inside the repository: relative, no "..", no leading "-". */
export const artifactPathSchema = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (s) => noControl(s) && !s.startsWith('/') && !s.startsWith('-') && !s.split('/').includes('..'),
    'must be a relative path inside the repository (no leading "/" or "-", no "..")',
  );

export const repoCredentialsInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z
    .object({
      kind: z.literal('token'),
      /** Username for https (GitLab: "oauth2", GitHub: "x-access-token"); default "oauth2". */
      username: z.string().min(1).max(200).optional(),
      token: z.string().min(1).max(4096),
    })
    .strict(),
  z.object({ kind: z.literal('deploy-key'), privateKey: z.string().min(1).max(16384) }).strict(),
]);
export type RepoCredentialsInput = z.output<typeof repoCredentialsInputSchema>;

const pipelineSpecFields = {
  target: z.object({ env: nameSchema, service: nameSchema }).strict(),
  repo: z
    .object({
      url: repoUrlSchema,
      ref: refPatternSchema,
      /** Absent on update keeps the stored credentials. */
      credentials: repoCredentialsInputSchema.optional(),
    })
    .strict(),
  template: z.enum(pipelineTemplates),
  preScript: scriptSchema.default(''),
  buildScript: scriptSchema.default(''),
  artifactPath: artifactPathSchema.default('.'),
  startCommand: z.string().max(4096).refine(noControl, 'must be one line').default(''),
  port: z.number().int().min(1).max(65535).default(8080),
  /** The whole Dockerfile, for template "dockerfile". */
  dockerfile: scriptSchema.default(''),
  timeoutSeconds: z.number().int().min(10).max(7200).default(900),
};

function checkSpec(spec: { template: PipelineTemplate; dockerfile: string }, ctx: z.RefinementCtx): void {
  if (spec.template === 'dockerfile' && spec.dockerfile.trim() === '')
    ctx.addIssue({ code: 'custom', path: ['dockerfile'], message: 'is required for template "dockerfile"' });
}

export const createPipelineRequestSchema = z
  .object({ name: nameSchema, ...pipelineSpecFields })
  .strict()
  .superRefine(checkSpec);
export type CreatePipelineRequest = z.output<typeof createPipelineRequestSchema>;
export type CreatePipelineRequestInput = z.input<typeof createPipelineRequestSchema>;

/** PUT replaces the spec; `version` (optimistic concurrency) is required. */
export const updatePipelineRequestSchema = z
  .object({ ...pipelineSpecFields, version: z.number().int().min(1) })
  .strict()
  .superRefine(checkSpec);
export type UpdatePipelineRequest = z.output<typeof updatePipelineRequestSchema>;
export type UpdatePipelineRequestInput = z.input<typeof updatePipelineRequestSchema>;

export const startBuildRequestSchema = z.object({ ref: refNameSchema.optional() }).strict();
export type StartBuildRequest = z.output<typeof startBuildRequestSchema>;

export interface Pipeline extends ObjectMeta {
  /** Opaque id used in the webhook URL. */
  id: string;
  project: string;
  target: { env: string; service: string };
  repo: {
    url: string;
    ref: string;
    credentials: { kind: 'none' | 'token' | 'deploy-key'; isSet: boolean };
  };
  template: PipelineTemplate;
  preScript: string;
  buildScript: string;
  artifactPath: string;
  startCommand: string;
  port: number;
  dockerfile: string;
  timeoutSeconds: number;
  webhook: {
    /** Path of the GitLab hook; replace "gitlab" with "github" or "gitea" for those. */
    url: string;
    secretIsSet: boolean;
  };
  updatedBy: string;
}

/** The generated Dockerfiles of a pipeline, as shown to users. */
export interface PipelineDockerfiles {
  /** The image assembly Dockerfile (FROM the pre-processing image). */
  dockerfile: string;
  /** The pre-processing layer's Dockerfile. */
  preDockerfile: string;
}

export interface WebhookSecret {
  /** Shown once. */
  secret: string;
}

export interface BuildStep {
  name: BuildStepName;
  state: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** For "pre": the layer was reused. */
  cached?: boolean;
}

export interface BuildCommit {
  sha: string;
  ref: string;
  author: string;
  message: string;
}

export interface Build {
  id: string;
  /** 1, 2, … per pipeline. */
  number: number;
  pipeline: string;
  project: string;
  state: BuildState;
  trigger: { kind: 'manual' | 'webhook'; source?: WebhookProvider; by: string };
  /** The requested ref (branch or tag). */
  ref: string;
  commit: BuildCommit | null;
  steps: BuildStep[];
  /** The pushed image reference. */
  image: string | null;
  imageDigest: string | null;
  taskId: string;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What every webhook answers. */
export interface WebhookResult {
  /** "build" when a build was queued, else why nothing happened. */
  outcome: 'build' | 'ignored' | 'duplicate';
  message: string;
  build?: { id: string; number: number; taskId: string };
}

/** The API paths of codeflow (portal and CLI build URLs from these). */
export const codeflowPaths = {
  pipelines: (project: string) => `/api/v1/projects/${project}/pipelines`,
  pipeline: (project: string, pipeline: string) => `/api/v1/projects/${project}/pipelines/${pipeline}`,
  dockerfile: (project: string, pipeline: string) =>
    `/api/v1/projects/${project}/pipelines/${pipeline}/dockerfile`,
  webhookSecret: (project: string, pipeline: string) =>
    `/api/v1/projects/${project}/pipelines/${pipeline}/webhook-secret`,
  pipelineBuilds: (project: string, pipeline: string) =>
    `/api/v1/projects/${project}/pipelines/${pipeline}/builds`,
  build: (project: string, build: string) => `/api/v1/projects/${project}/builds/${build}`,
  cancelBuild: (project: string, build: string) => `/api/v1/projects/${project}/builds/${build}/cancel`,
  hook: (pipelineId: string, provider: WebhookProvider) =>
    `/api/v1/hooks/pipelines/${pipelineId}/${provider}`,
} as const;
