/**
 * The app store (docs/apps.md): versioned templates of middleware (Redis, MariaDB, …) shipped with
 * Berth, and app instances — a template installed into a project environment, made of ORDINARY
 * Berth services, volumes, configs and sealed secrets that belong to the instance.
 */
import { z } from 'zod';
import { nameSchema } from './names';

/** A text in both portal languages. */
export interface LocalizedText {
  en: string;
  'zh-CN': string;
}

export const appParameterTypes = ['string', 'integer', 'boolean', 'enum'] as const;
export type AppParameterType = (typeof appParameterTypes)[number];

/** A value of a parameter: strings, whole numbers or booleans only. */
export type AppParamValue = string | number | boolean;

/** One parameter a template version accepts at install (its limits are checked by the server). */
export interface AppParameter {
  name: string;
  type: AppParameterType;
  /** What the install uses when the parameter is not given. */
  default: AppParamValue;
  /** integer: the smallest and largest value allowed. */
  min?: number;
  max?: number;
  /** enum: the allowed values. */
  enum?: string[];
  /** string: a regular expression the whole value must match, and what it means in words. */
  pattern?: string;
  patternHint?: string;
  /** string: the longest value allowed. */
  maxLength?: number;
  /** integer: the unit shown next to the field ("MiB"). */
  unit?: string;
  description: LocalizedText;
}

/** What installing a template version creates; `{name}` stands for the instance's name. */
export interface AppCreates {
  /** Service names, e.g. ["{name}"]. */
  services: string[];
  /** Volume names, e.g. ["{name}-data"]. */
  volumes: string[];
  /** Config names. */
  configs: string[];
  /** Generated secrets (sealed; shown once), e.g. ["password"]. */
  secrets: string[];
}

/** How clients connect, filled in per instance (AppConnection). */
export interface AppConnectionTemplate {
  /** The member service clients talk to ("{name}"). */
  service: string;
  /** Its container port. */
  containerPort: number;
  /** The user clients log in as ("default" for Redis, the app user for MariaDB), or a param's value. */
  user: string;
  /** URI scheme: redis, mysql, … */
  scheme: string;
  /** Path of the URI after host:port ("/{param:database}"), "" for none. */
  path: string;
  /**
   * Clients take every member (a ZooKeeper ensemble's connect string): the connection lists each
   * of the instance's services (`members`, `connectString`) and the URI names them all.
   */
  allMembers?: boolean;
  /**
   * A member service that serves reads only (Redis's "{name}-replica"): the connection adds its
   * read endpoint (`readHost`, `readPort`, `readInternalHost`) while the service exists.
   */
  readService?: string;
}

export interface AppVersion {
  /** The template version, e.g. "7". Several may be offered; `latest` is the default. */
  version: string;
  /** The image the services run (built from Debian packages by scripts/app-images.sh). */
  image: string;
  /**
   * When the image comes from the platform's configuration (no Debian package, e.g. Kafka): the
   * setting that names it (BERTH_APPS_KAFKA_IMAGE); `image` is "" while it is not set.
   */
  imageSetting?: string;
  /** The software's version inside the image, as Debian packages it ("7.0.15"), when known. */
  softwareVersion: string;
  parameters: AppParameter[];
  creates: AppCreates;
  connection: AppConnectionTemplate;
  /** Whether `POST …/rotate-password` is offered for instances of this version. */
  passwordRotation: boolean;
  /** Remarks shown with the template, e.g. "image from configuration". */
  notes: LocalizedText[];
}

export interface App {
  name: string;
  title: string;
  description: LocalizedText;
  /** The version installed when the create body names none. */
  latest: string;
  versions: AppVersion[];
}

/** GET /api/v1/apps: the catalog without the per-version details. */
export interface AppSummary {
  name: string;
  title: string;
  description: LocalizedText;
  latest: string;
  versions: string[];
}

/** Instance names leave room for the suffixes of what they create ("-data") within 63. */
export const appInstanceNameSchema = nameSchema.refine(
  (n) => n.length <= 40,
  'must be at most 40 characters (the objects it creates add suffixes such as "-data")',
);

const paramValueSchema = z.union([z.string().max(1000), z.number(), z.boolean()]);

/** POST /api/v1/projects/{p}/envs/{e}/app-instances. */
export const appInstanceCreateSchema = z
  .object({
    app: nameSchema,
    /** Absent: the app's latest version. */
    version: z.string().min(1).max(40).optional(),
    name: appInstanceNameSchema,
    /** Parameter values by name; absent ones take the template's defaults. */
    params: z.record(z.string(), paramValueSchema).default({}),
  })
  .strict();
export type AppInstanceCreate = z.input<typeof appInstanceCreateSchema>;

/**
 * Checks `params` against a version's parameters and returns the full set (defaults filled in),
 * or the issues, each at `params.<name>`. Used by the server (422) and the portal's install form.
 */
export function resolveAppParams(
  parameters: readonly AppParameter[],
  params: Record<string, unknown>,
): { values: Record<string, AppParamValue>; issues: { path: string; message: string }[] } {
  const values: Record<string, AppParamValue> = {};
  const issues: { path: string; message: string }[] = [];
  const known = new Set(parameters.map((p) => p.name));
  for (const name of Object.keys(params))
    if (!known.has(name))
      issues.push({
        path: `params.${name}`,
        message: `is not a parameter of this app; it takes ${[...known].join(', ') || 'none'}`,
      });
  for (const p of parameters) {
    const given = params[p.name];
    const path = `params.${p.name}`;
    if (given === undefined || given === null) {
      values[p.name] = p.default;
      continue;
    }
    const problem = paramProblem(p, given);
    if (problem) issues.push({ path, message: problem });
    else values[p.name] = p.type === 'integer' ? Number(given) : (given as AppParamValue);
  }
  return { values, issues };
}

/** Why a value does not suit a parameter, or null. Integers may come as digit strings (the CLI's k=v). */
function paramProblem(p: AppParameter, v: unknown): string | null {
  switch (p.type) {
    case 'integer': {
      const n = typeof v === 'string' && /^-?[0-9]+$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n)) return 'must be a whole number';
      if (p.min !== undefined && n < p.min) return `must be at least ${p.min}${unitText(p)}`;
      if (p.max !== undefined && n > p.max) return `must be at most ${p.max}${unitText(p)}`;
      return null;
    }
    case 'boolean':
      return typeof v === 'boolean' ? null : 'must be true or false';
    case 'enum':
      return typeof v === 'string' && p.enum?.includes(v)
        ? null
        : `must be one of ${(p.enum ?? []).join(', ')}`;
    case 'string': {
      if (typeof v !== 'string') return 'must be a string';
      if (p.maxLength !== undefined && v.length > p.maxLength)
        return `must be at most ${p.maxLength} characters`;
      if (p.pattern !== undefined && !new RegExp(`^(?:${p.pattern})$`).test(v))
        return `must be ${p.patternHint ?? `of the form ${p.pattern}`}`;
      return null;
    }
  }
}

function unitText(p: AppParameter): string {
  return p.unit ? ` ${p.unit}` : '';
}

/**
 * creating: its services are being made; running: every member has all its replicas ready;
 * degraded: some member has fewer ready than desired; failed: a member's release failed;
 * deleting: its services are being removed (then its volumes, unless kept); upgrading: its
 * members roll to a newer template version one at a time (`upgrade`); failed also when the last
 * upgrade stopped at a member; preparing: its image is being built (`preparing` names the task),
 * its objects are made when the image is there (failed when the build fails).
 */
export const appInstanceStates = [
  'creating',
  'running',
  'degraded',
  'failed',
  'deleting',
  'upgrading',
  'preparing',
] as const;
export type AppInstanceState = (typeof appInstanceStates)[number];

/** A service of the instance. */
export interface AppInstanceMember {
  service: string;
  ready: number;
  desired: number;
  /** The service's state as GET /services reports it (running, progressing, failed, …). */
  status: string;
}

/**
 * How to reach an instance. `host`/`port`: from the machine running the local Podman cluster (the
 * published port on 127.0.0.1); `internalHost`/`internalPort`: from the project environment's
 * other services and cron runs, by the member service's name (docs/networks.md).
 */
export interface AppConnection {
  host: string | null;
  port: number | null;
  internalHost: string | null;
  internalPort: number;
  user: string;
  /** A URI without the password, e.g. "redis://default@127.0.0.1:41234". */
  uri: string | null;
  /** Whether the caller may read the password (it can read the environment's secrets). */
  passwordReadable: boolean;
  /** The current password, only when passwordReadable and asked for (`?reveal=true`). */
  password?: string;
  /**
   * The read endpoint (templates with a read-only member service, e.g. Redis replicas): the
   * published address of one of its replicas, and the name that spreads over all of them inside
   * the environment; absent without such a service.
   */
  readHost?: string | null;
  readPort?: number | null;
  readInternalHost?: string;
  /** Templates whose clients take every member: each member's published and internal address. */
  members?: { service: string; host: string | null; port: number | null }[];
  /** Templates whose clients take every member: the internal client string ("zk-1:2181,zk-2:2181"). */
  connectString?: string;
}

export interface AppInstance {
  name: string;
  project: string;
  env: string;
  app: string;
  version: string;
  /** The parameters it was installed with (defaults filled in). */
  params: Record<string, AppParamValue>;
  state: AppInstanceState;
  members: AppInstanceMember[];
  /** The volumes and configs it made. */
  volumes: string[];
  configs: string[];
  createdAt: string;
  createdBy: string;
  /** When the password was last set (install or rotation). */
  passwordSetAt: string;
  /** The running or last upgrade between template versions, null when never upgraded. */
  upgrade: AppInstanceUpgrade | null;
  /** Set while the instance waits for its image's build (or when that build failed). */
  preparing?: AppInstancePreparation;
}

/** POST …/app-instances/{name}/upgrade: roll the members to a newer template version. */
export const appInstanceUpgradeSchema = z.object({ version: z.string().min(1).max(40) }).strict();
export type AppInstanceUpgradeRequest = z.input<typeof appInstanceUpgradeSchema>;

/** One member's step of an upgrade, in the order the members were rolled. */
export interface AppUpgradeStep {
  service: string;
  /** Its role when its turn came (ZooKeeper: leader, follower, standalone), null when the app has none. */
  role: string | null;
  /** The member service's release that carries the new version. */
  release: number | null;
  startedAt: string;
  /** When it was ready again (and, for ZooKeeper, back in the quorum); null while rolling. */
  doneAt: string | null;
}

/**
 * An upgrade (docs/apps.md, "Upgrade"): members roll one at a time; `steps` are those started, the
 * last one is the member rolling now (or the one that failed).
 */
export interface AppInstanceUpgrade {
  from: string;
  to: string;
  state: 'running' | 'done' | 'failed';
  /** How many members the instance has, and how many run the new version. */
  members: number;
  done: number;
  steps: AppUpgradeStep[];
  /** Why it failed, naming the member. */
  error: string | null;
  startedAt: string;
  startedBy: string;
  finishedAt: string | null;
}

/** GET …/app-instances/{name}. */
export interface AppInstanceDetail extends AppInstance {
  connection: AppConnection;
}

/** The answer of the create and of rotate-password: the only time the password is shown by default. */
export interface AppInstanceCreated extends AppInstanceDetail {
  password: string;
}

/** DELETE …/app-instances/{name}?keepVolumes=true|false: the volumes kept or removed. */
export interface AppInstanceDeleted {
  name: string;
  servicesDeleted: string[];
  volumesDeleted: string[];
  volumesKept: string[];
  configsDeleted: string[];
}

/**
 * Where a catalog image is (GET /api/v1/apps/images): `registry` — pushed to the embedded
 * registry (services pull it from there); `local` — only in the local image store; `missing` —
 * not built; `building` — a build task is making it now.
 */
export const appImageStates = ['registry', 'local', 'missing', 'building'] as const;
export type AppImageState = (typeof appImageStates)[number];

/** One image of the catalog (scripts/app-images.sh builds it from apps/images/<name>). */
export interface AppImageStatus {
  /** The image's build name (redis, mariadb, zookeeper). */
  name: string;
  /** The catalog apps whose templates run it. */
  apps: string[];
  /** Its name in the local image store, e.g. localhost/berth-apps/redis:7. */
  localImage: string;
  /** Its name in the embedded registry (127.0.0.1:5000/berth-apps/redis:7), null without one. */
  registryImage: string | null;
  state: AppImageState;
  /** The manifest digest in the registry, when there. */
  digest: string | null;
  /** When this server last pushed it (null: pushed before its start, or never). */
  pushedAt: string | null;
}

/** GET /api/v1/apps/images. */
export interface AppImagesView {
  items: AppImageStatus[];
  /** The build task running now, if any. */
  buildTask: string | null;
}

/** POST /api/v1/apps/images/build: the apps whose images to build (absent: every catalog image). */
export const appImagesBuildSchema = z
  .object({ apps: z.array(z.string().min(1).max(63)).min(1).max(50).optional() })
  .strict();
export type AppImagesBuildRequest = z.input<typeof appImagesBuildSchema>;

/** An instance waiting for its image (state `preparing`), or whose image build failed. */
export interface AppInstancePreparation {
  /** The image build task it waits for (GET /api/v1/tasks/{id}). */
  task: string;
  /** Why the build failed (the instance is `failed`), null while it runs. */
  error: string | null;
}
