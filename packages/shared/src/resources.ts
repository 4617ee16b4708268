import { z } from 'zod';
import { displayNameSchema, nameSchema, userNameSchema } from './names';
import { roleSchema } from './roles';
import { replicasSchema, serviceSpecSchema, type ReleaseSpec } from './service-spec';

/** Fields every stored object carries (api-conventions: Resources and paths). */
export interface ObjectMeta {
  name: string;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  version: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

// ---- identity ---------------------------------------------------------------------------------

export const loginRequestSchema = z
  .object({ username: z.string().min(1).max(63), password: z.string().min(1).max(1024) })
  .strict();

export const createUserRequestSchema = z
  .object({
    name: userNameSchema,
    displayName: displayNameSchema.optional(),
    email: z.email().max(254).optional(),
    password: z.string().min(8, 'must be at least 8 characters').max(1024),
  })
  .strict();

export const updateUserRequestSchema = z
  .object({
    displayName: displayNameSchema.optional(),
    email: z.email().max(254).optional(),
    password: z.string().min(8, 'must be at least 8 characters').max(1024).optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

export interface User extends ObjectMeta {
  displayName: string;
  email: string | null;
  disabled: boolean;
}

export const createTokenRequestSchema = z
  .object({
    name: nameSchema,
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  /** Only in the response that creates it. */
  token?: string;
}

export const createTeamRequestSchema = z
  .object({ name: nameSchema, displayName: displayNameSchema.optional() })
  .strict();

export interface Team extends ObjectMeta {
  displayName: string;
}

export const createProjectRequestSchema = z
  .object({ name: nameSchema, team: nameSchema, displayName: displayNameSchema.optional() })
  .strict();

export interface Project extends ObjectMeta {
  team: string;
  displayName: string;
}

export const createBindingRequestSchema = z
  .object({
    user: userNameSchema,
    role: roleSchema,
    scope: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('platform') }).strict(),
      z.object({ kind: z.literal('team'), name: nameSchema }).strict(),
      z.object({ kind: z.literal('project'), name: nameSchema }).strict(),
    ]),
  })
  .strict();
export type CreateBindingRequest = z.output<typeof createBindingRequestSchema>;

export interface RoleBinding {
  id: string;
  user: string;
  role: z.output<typeof roleSchema>;
  scope: { kind: 'platform' } | { kind: 'team' | 'project'; name: string };
  createdAt: string;
  createdBy: string;
}

export interface Me {
  user: User;
  bindings: RoleBinding[];
  csrfToken: string | null;
}

// ---- audit ------------------------------------------------------------------------------------

export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  targetKind: string;
  target: string;
  project: string | null;
  request: Record<string, unknown> | null;
  result: 'success' | 'denied' | 'failure';
  statusCode: number;
  sourceIp: string;
  message: string | null;
}

// ---- services ---------------------------------------------------------------------------------

export const createServiceRequestSchema = z
  .object({
    name: nameSchema,
    displayName: displayNameSchema.optional(),
    spec: serviceSpecSchema,
    reason: z.string().max(500).optional(),
  })
  .strict();

export const updateServiceRequestSchema = z
  .object({
    displayName: displayNameSchema.optional(),
    spec: serviceSpecSchema,
    reason: z.string().max(500).optional(),
    /** Optimistic concurrency: the version the caller last read. */
    version: z.number().int().min(1).optional(),
  })
  .strict();

export const scaleRequestSchema = z.object({ replicas: replicasSchema }).strict();
export const rollbackRequestSchema = z
  .object({ release: z.number().int().min(1).optional(), reason: z.string().max(500).optional() })
  .strict();
export const promoteRequestSchema = z
  .object({
    release: z.number().int().min(1).optional(),
    toEnv: nameSchema.default('prod'),
    reason: z.string().max(500).optional(),
  })
  .strict();
export const emptyActionSchema = z.object({ reason: z.string().max(500).optional() }).strict();
export const rotationRequestSchema = z.object({ inRotation: z.boolean() }).strict();

export type ServiceStatus = 'healthy' | 'progressing' | 'degraded' | 'stopped' | 'failed';

export interface Service extends ObjectMeta {
  project: string;
  env: string;
  displayName: string;
  replicas: number;
  stopped: boolean;
  /** The release the service is rolling to or running. */
  release: number;
  /** The last release whose rollout completed, null before the first. */
  stableRelease: number | null;
  spec: ReleaseSpec & { replicas: number };
  status: ServiceStatus;
  readyReplicas: number;
  message: string | null;
  updatedBy: string;
}

export interface Release {
  service: string;
  number: number;
  spec: ReleaseSpec;
  imageDigest: string | null;
  reason: string | null;
  state: 'pending' | 'rolling' | 'succeeded' | 'failed' | 'superseded';
  createdAt: string;
  createdBy: string;
}

export type ContainerState =
  | 'creating'
  | 'starting'
  | 'running'
  | 'ready'
  | 'unhealthy'
  | 'draining'
  | 'stopping'
  | 'exited'
  | 'removed';

/** A container of a service, current or past (the container ledger). */
export interface Container {
  name: string;
  id: string | null;
  service: string;
  release: number;
  cluster: string;
  node: string;
  ip: string | null;
  /** host:port pairs where the container's ports are published, keyed by container port. */
  endpoints: Record<string, string>;
  image: string;
  imageDigest: string | null;
  state: ContainerState;
  ready: boolean;
  inRotation: boolean;
  restarts: number;
  createdAt: string;
  startedAt: string | null;
  stoppedAt: string | null;
  exitCode: number | null;
  exitReason: string | null;
}

export interface ServiceEvent {
  id: string;
  at: string;
  service: string;
  container: string | null;
  /** The cluster of the container the event names (null when it names none). */
  cluster: string | null;
  type: string;
  severity: 'normal' | 'warning';
  message: string;
  /** Where it comes from: Berth itself, or the Kubernetes cluster (a core Event, type = its reason). */
  source?: 'berth' | 'kubernetes';
  /** Kubernetes events: the object it is about (`Pod/web-7d9c-abcde`, `ReplicaSet/web-7d9c`). */
  object?: string;
  /** Kubernetes events: how many times it happened (the cluster counts repeats). */
  count?: number;
}

export interface StatsSample {
  at: string;
  container: string;
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
}

export interface Endpoint {
  container: string;
  release: number;
  address: string;
  containerPort: number;
}

// ---- tasks ------------------------------------------------------------------------------------

export type TaskState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Task {
  id: string;
  kind: string;
  target: string;
  state: TaskState;
  progress: { done: number; total: number; message: string };
  createdAt: string;
  createdBy: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

export interface TaskLogLine {
  seq: number;
  at: string;
  line: string;
}

/** One recorded shell event: milliseconds since the session started, direction, text. */
export interface RecordedEvent {
  t: number;
  d: 'i' | 'o';
  s: string;
}

/** A recorded web-shell session (part of the audit trail). */
export interface ShellSession {
  id: string;
  actor: string;
  /** Null once the service was deleted. */
  project: string | null;
  env: string | null;
  service: string | null;
  container: string;
  /** The user the shell ran as, as passed to the engine (uid:gid or name). */
  user: string;
  startedAt: string;
  /** Null while the session is open (or if the server stopped during it). */
  endedAt: string | null;
  exitCode: number | null;
  /** Only on GET …/shell-sessions/:id: input lines and output, capped at 1 MiB. */
  recording?: RecordedEvent[];
}
