import { z } from 'zod';
import { nameSchema } from './names';
import { placementSchema } from './placement';

/** An image reference: [registry[:port]/]path[:tag][@sha256:digest]. */
export const imageRefPattern =
  /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export const imageRefSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(512)
  .regex(
    imageRefPattern,
    'must be an image reference such as "registry:5000/team/app:1.2" or "localhost/app:1"',
  );

const port = z.number().int().min(1, 'must be 1 to 65535').max(65535, 'must be 1 to 65535');

export const probeSchema = z
  .object({
    type: z.enum(['http', 'tcp', 'exec']),
    /** HTTP path, for type http. */
    path: z.string().startsWith('/', 'must start with "/"').max(1024).optional(),
    /** Container port to probe (http, tcp); defaults to the first port of the service. */
    port: port.optional(),
    /** argv run inside the container, for type exec; success is exit code 0. */
    command: z.array(z.string().max(4096)).min(1).max(64).optional(),
    initialDelaySeconds: z.number().int().min(0).max(3600).default(0),
    periodSeconds: z.number().int().min(1).max(3600).default(2),
    timeoutSeconds: z.number().int().min(1).max(60).default(1),
    successThreshold: z.number().int().min(1).max(10).default(1),
    failureThreshold: z.number().int().min(1).max(30).default(3),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.type === 'exec' && !p.command)
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'is required for an exec check' });
    if (p.type !== 'exec' && p.command)
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'is only allowed for an exec check' });
    if (p.type !== 'http' && p.path)
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'is only allowed for an http check' });
  });
export type Probe = z.output<typeof probeSchema>;

export const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const envVarSchema = z
  .object({
    name: z.string().min(1).max(256).regex(envNamePattern, 'must be a valid environment variable name'),
    /** The value; null for a secret that keeps its stored value. Never returned for secrets. */
    value: z.string().max(32768).nullable().optional(),
    secret: z.boolean().default(false),
    /** Output only: whether a secret has a stored value. */
    isSet: z.boolean().optional(),
  })
  .strict();
export type EnvVar = z.output<typeof envVarSchema>;

export const portSpecSchema = z
  .object({
    name: nameSchema.optional(),
    containerPort: port,
    protocol: z.literal('tcp').default('tcp'),
  })
  .strict();

export const resourcesSchema = z
  .object({
    /** CPU limit in cores (0.5 = half a core). */
    cpu: z.number().min(0.01).max(64).optional(),
    memoryMiB: z.number().int().min(6, 'must be at least 6 MiB').max(262144).optional(),
    /** Most processes (threads included) the container may run; default BERTH_CONTAINER_PIDS_LIMIT. */
    pids: z.number().int().min(16, 'must be at least 16').max(32768, 'must be at most 32768').optional(),
  })
  .strict();

/**
 * Capabilities a service may ask for (`spec.capabilities`, needs services:capabilities). Every
 * other capability is dropped. Powerful ones (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, …)
 * are not on the list at all.
 */
export const capabilityNames = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
] as const;
export type CapabilityName = (typeof capabilityNames)[number];
export const capabilitySchema = z.enum(capabilityNames, {
  message: `must be one of ${capabilityNames.join(', ')}`,
});

/**
 * How `spec.user` asks for root. Numeric uids are decided here (0, 00, 0:…; a uid that wraps to 0
 * as 32 bits too); "root" is root whatever the image says; any other name must be looked up in
 * the image's /etc/passwd ('name'). A group of 0 alone ("1000:0") is not root: capabilities are
 * dropped and no-new-privileges is set, so group 0 only reaches files owned by group 0.
 */
export function userRootForm(user: string | undefined | null): 'root' | 'name' | 'not-root' | 'default' {
  if (user === undefined || user === null || user === '') return 'default';
  const uid = user.split(':')[0]!;
  if (/^[0-9]+$/.test(uid)) return BigInt(uid) % 4294967296n === 0n ? 'root' : 'not-root';
  if (uid === 'root') return 'root';
  return 'name';
}

/** The uid of `name` in an /etc/passwd text; null when the name is not there. */
export function uidInPasswd(passwd: string, name: string): number | null {
  for (const line of passwd.split('\n')) {
    const fields = line.trim().split(':');
    if (fields.length < 3 || fields[0] !== name) continue;
    const uid = Number(fields[2]);
    return Number.isInteger(uid) ? uid : null;
  }
  return null;
}

export const rolloutSchema = z
  .object({
    maxSurge: z.number().int().min(0).max(100).default(1),
    maxUnavailable: z.number().int().min(0).max(100).default(0),
    /** A release whose containers are not all ready by then is rolled back automatically. */
    progressDeadlineSeconds: z.number().int().min(5).max(3600).default(120),
    /** How long a container stays out of rotation before it is stopped, so clients see the change. */
    drainSeconds: z.number().int().min(0).max(300).default(2),
    /** Time between SIGTERM and SIGKILL. */
    stopGraceSeconds: z.number().int().min(0).max(300).default(10),
  })
  .strict()
  .refine((r) => r.maxSurge + r.maxUnavailable > 0, {
    message: 'maxSurge and maxUnavailable must not both be 0',
    path: ['maxSurge'],
  });

const labelKey = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/, 'must be a label key: letters, digits, "-", "_", "."');

/** A path inside a container where something is mounted. */
export const mountPathSchema = z
  .string()
  .startsWith('/', 'must be an absolute path such as "/etc/app"')
  .max(1024)
  .refine(
    (p) => !p.split('/').some((seg) => seg === '..' || seg === '.'),
    'must not contain "." or ".." segments',
  )
  .refine((p) => p !== '/' && !/^\/(proc|sys|dev)(\/|$)/.test(p), 'must not be "/", /proc, /sys or /dev');

/** How a mounted config reaches running containers when it changes (docs/configs.md). */
export const configRefreshPolicies = ['rolling-restart', 'signal', 'none'] as const;
export type ConfigRefreshPolicy = (typeof configRefreshPolicies)[number];
/** Signals a `signal` refresh may send. */
export const refreshSignals = ['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGTERM'] as const;

/**
 * One entry of `spec.mounts`: either a config (`{config, path, version?, refresh?, signal?}`,
 * read-only files) or a volume (`{volume, path, readOnly?}`).
 */
export const mountSchema = z
  .object({
    /** Name of a config of the service's project. */
    config: nameSchema.optional(),
    /** Name of a volume of the service's environment. */
    volume: nameSchema.optional(),
    path: mountPathSchema,
    /** Config only: pin a version; absent = the config's current version when the release is made. */
    version: z.number().int().min(1).optional(),
    /** Config only: what a change of the config does to running containers. */
    refresh: z.enum(configRefreshPolicies).optional(),
    /** Config only, with refresh "signal": the signal sent after the files are updated. */
    signal: z.enum(refreshSignals).optional(),
    /** Volume only: mount it read-only. */
    readOnly: z.boolean().optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if ((m.config === undefined) === (m.volume === undefined))
      ctx.addIssue({ code: 'custom', path: ['config'], message: 'give exactly one of "config" or "volume"' });
    if (m.volume !== undefined)
      for (const key of ['version', 'refresh', 'signal'] as const)
        if (m[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: 'is only allowed on a config mount' });
    if (m.config !== undefined && m.readOnly !== undefined)
      ctx.addIssue({ code: 'custom', path: ['readOnly'], message: 'config mounts are always read-only' });
    if (m.signal !== undefined && m.refresh !== 'signal')
      ctx.addIssue({ code: 'custom', path: ['signal'], message: 'is only allowed with refresh "signal"' });
  });
export type Mount = z.output<typeof mountSchema>;

/**
 * `spec.logFiles`: files inside the containers (globs: `*` and `?` within a path segment, `**` any
 * number of segments) that Berth copies continuously to the host, rotated at `maxFileMiB` and kept
 * as `maxFiles` files per container file (docs/file-logs.md).
 */
export const logFilesSchema = z
  .object({
    paths: z
      .array(
        z
          .string()
          .min(2)
          .max(1024)
          .startsWith('/', 'must be an absolute path (start with "/")')
          .refine((p) => !p.includes('\0'), 'must not contain a NUL byte')
          .refine((p) => !p.split('/').includes('..'), 'must not contain ".." segments'),
      )
      .min(1)
      .max(16),
    maxFileMiB: z.number().int().min(1).max(1024).default(10),
    maxFiles: z.number().int().min(1).max(100).default(5),
  })
  .strict();
export type LogFilesSpec = z.output<typeof logFilesSchema>;

const releaseSpecFields = {
  image: imageRefSchema,
  command: z.array(z.string().max(4096)).max(64).optional(),
  args: z.array(z.string().max(32768)).max(256).optional(),
  env: z.array(envVarSchema).max(256).default([]),
  ports: z.array(portSpecSchema).max(16).default([]),
  resources: resourcesSchema.default({}),
  liveness: probeSchema.optional(),
  readiness: probeSchema.optional(),
  rollout: rolloutSchema.default({
    maxSurge: 1,
    maxUnavailable: 0,
    progressDeadlineSeconds: 120,
    drainSeconds: 2,
    stopGraceSeconds: 10,
  }),
  labels: z.record(labelKey, z.string().max(63)).default({}),
  workingDir: z.string().startsWith('/').max(1024).optional(),
  /** Run as this user (uid[:gid] or name); defaults to the image's user, or nobody for root images. */
  user: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/, 'must be uid[:gid] or a user name')
    .optional(),
  /** Allow the container to run as root (needs the services:exec-root permission). */
  runAsRoot: z.boolean().default(false),
  /** Capabilities kept (all others are dropped); non-empty needs services:capabilities. */
  capabilities: z.array(capabilitySchema).max(capabilityNames.length).optional(),
  /** Mount the root filesystem read-only; the container gets a writable tmpfs /tmp. */
  readOnlyRootFilesystem: z.boolean().optional(),
  /** Where the replicas run; absent = the default placement (docs/fleet.md, "Placement"). */
  placement: placementSchema.optional(),
  /** Configs and volumes mounted into every container (docs/configs.md, docs/volumes.md). */
  mounts: z.array(mountSchema).max(32).optional(),
  /** Log files Berth collects from the containers to the host (docs/file-logs.md). */
  logFiles: logFilesSchema.optional(),
};

type ReleaseSpecShape = z.output<z.ZodObject<typeof releaseSpecFields>>;

/** Variable names are unique and a non-secret variable has a value (issues at `env.N.…`). */
export function checkEnvVars(env: readonly EnvVar[], ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  env.forEach((e, i) => {
    if (names.has(e.name))
      ctx.addIssue({ code: 'custom', path: ['env', i, 'name'], message: `duplicate variable "${e.name}"` });
    names.add(e.name);
    if (!e.secret && (e.value === null || e.value === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['env', i, 'value'],
        message: 'is required for a non-secret variable',
      });
  });
}

/** No two mounts at one path (issues at `mounts.N.path`). */
export function checkMountPaths(mounts: readonly Mount[] | undefined, ctx: z.RefinementCtx): void {
  const paths = new Map<string, number>();
  mounts?.forEach((m, i) => {
    const at = m.path.replace(/\/+$/, '');
    const j = paths.get(at);
    if (j !== undefined)
      ctx.addIssue({ code: 'custom', path: ['mounts', i, 'path'], message: `is already used by mount ${j}` });
    else paths.set(at, i);
  });
}

function checkReleaseSpec(s: ReleaseSpecShape, ctx: z.RefinementCtx): void {
  checkEnvVars(s.env, ctx);
  const ports = new Set<number>();
  s.ports.forEach((p, i) => {
    if (ports.has(p.containerPort))
      ctx.addIssue({ code: 'custom', path: ['ports', i, 'containerPort'], message: 'duplicate port' });
    ports.add(p.containerPort);
  });
  const caps = new Set<string>();
  s.capabilities?.forEach((c, i) => {
    if (caps.has(c))
      ctx.addIssue({ code: 'custom', path: ['capabilities', i], message: `duplicate capability "${c}"` });
    caps.add(c);
  });
  checkMountPaths(s.mounts, ctx);
  for (const key of ['liveness', 'readiness'] as const) {
    const probe = s[key];
    if (probe && probe.type !== 'exec' && !probe.port && s.ports.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: [key, 'port'],
        message: 'is required when the service has no ports',
      });
  }
}

/** The part of a service that a release snapshots (everything but the replica count). */
export const releaseSpecSchema = z.object(releaseSpecFields).strict().superRefine(checkReleaseSpec);
export type ReleaseSpec = z.output<typeof releaseSpecSchema>;
export type ReleaseSpecInput = z.input<typeof releaseSpecSchema>;

export const replicasSchema = z.number().int().min(0, 'must be 0 or more').max(100, 'must be at most 100');

/** What a user sends to create or replace a service. */
export const serviceSpecSchema = z
  .object({ ...releaseSpecFields, replicas: replicasSchema.default(1) })
  .strict()
  .superRefine(checkReleaseSpec);
export type ServiceSpec = z.output<typeof serviceSpecSchema>;
export type ServiceSpecInput = z.input<typeof serviceSpecSchema>;
