import type { Probe, Service, ServiceSpecInput } from '@berth/shared';
import { parseDecimal, parseInteger, type OptionSpec, type ParsedArgs } from './args';
import { UsageError } from './errors';
import { parseProbe, type ProbeDraft } from './probe-flags';

/** A service spec being assembled; the shared schema validates it before it is sent. */
export type SpecDraft = Partial<ServiceSpecInput>;
type EnvDraft = NonNullable<ServiceSpecInput['env']>[number];

/** The spec flags of `services create` and `services update`, parsed but not yet validated. */
export interface SpecFlags {
  image?: string;
  replicas?: number;
  ports?: Array<{ name?: string; containerPort: number }>;
  env: Array<{ name: string; value: string; secret: boolean }>;
  unsetEnv: string[];
  cpu?: number;
  memoryMiB?: number;
  /** null removes the check. */
  readiness?: ProbeDraft | null;
  liveness?: ProbeDraft | null;
  maxSurge?: number;
  maxUnavailable?: number;
  command?: string[];
  args?: string[];
  /** Capabilities kept (replaces the list); [] keeps none. */
  capabilities?: string[];
  readOnlyRootfs?: boolean;
  pids?: number;
  /** spec.logFiles.paths (replaces the list); [] stops collecting (docs/file-logs.md). */
  logFiles?: string[];
}

/** Options that set parts of a service spec. */
export const specOptions: OptionSpec[] = [
  {
    name: 'image',
    kind: 'string',
    value: 'IMG',
    description: 'container image, e.g. registry:5000/team/app:1.2',
  },
  { name: 'replicas', kind: 'string', value: 'N', description: 'number of containers (0-100)' },
  {
    name: 'port',
    kind: 'list',
    value: '[NAME:]PORT',
    description: 'container port (repeat; replaces the list)',
  },
  { name: 'env', kind: 'list', value: 'K=V', description: 'environment variable (repeat)' },
  {
    name: 'secret-env',
    kind: 'list',
    value: 'K=V',
    description: 'secret environment variable, never shown again (repeat)',
  },
  {
    name: 'unset-env',
    kind: 'list',
    value: 'K',
    description: 'remove an environment variable (update; repeat)',
  },
  { name: 'cpu', kind: 'string', value: 'CORES', description: 'CPU limit in cores, e.g. 0.5' },
  {
    name: 'memory',
    kind: 'string',
    value: 'MIB',
    description: 'memory limit in MiB (or with Mi/Gi), e.g. 128',
  },
  {
    name: 'readiness',
    kind: 'string',
    value: 'CHECK',
    description: "http:/path[:port] | tcp[:port] | exec:'cmd args' | none",
  },
  { name: 'liveness', kind: 'string', value: 'CHECK', description: 'like --readiness' },
  { name: 'max-surge', kind: 'string', value: 'N', description: 'extra containers allowed during a rollout' },
  {
    name: 'max-unavailable',
    kind: 'string',
    value: 'N',
    description: 'containers that may be missing during a rollout',
  },
  {
    name: 'command',
    kind: 'list',
    value: 'ARG',
    description: 'entrypoint override, one argument per flag (repeat)',
  },
  { name: 'args', kind: 'list', value: 'ARG', description: 'arguments, one per flag (repeat)' },
  {
    name: 'cap',
    kind: 'list',
    value: 'CAP',
    description: 'capability to keep, e.g. NET_BIND_SERVICE (repeat; replaces the list; "none" keeps none)',
  },
  {
    name: 'read-only-rootfs',
    kind: 'boolean',
    negatable: true,
    description: 'mount the root filesystem read-only (a writable /tmp is given)',
  },
  { name: 'pids', kind: 'string', value: 'N', description: 'most processes a container may run (16-32768)' },
  {
    name: 'log-file',
    kind: 'list',
    value: 'GLOB',
    description: 'a log file inside the containers that Berth collects to the host (repeat; "none" stops)',
  },
  {
    name: 'file',
    short: 'f',
    kind: 'string',
    value: 'FILE',
    description: 'a ServiceSpec as JSON; flags apply on top',
  },
];

/** Reads the spec flags; throws UsageError naming the flag for values that cannot be parsed. */
export function readSpecFlags(args: ParsedArgs): SpecFlags {
  const flags: SpecFlags = { env: [], unsetEnv: args.list('unset-env') };
  const image = args.string('image');
  if (image !== undefined) flags.image = image;
  const replicas = args.string('replicas');
  if (replicas !== undefined) flags.replicas = parseInteger(replicas, '--replicas', 0, 100);
  if (args.has('port')) flags.ports = args.list('port').map(parsePort);
  for (const v of args.list('env')) flags.env.push({ ...parseAssignment(v, '--env'), secret: false });
  for (const v of args.list('secret-env'))
    flags.env.push({ ...parseAssignment(v, '--secret-env'), secret: true });
  const cpu = args.string('cpu');
  if (cpu !== undefined) flags.cpu = parseDecimal(cpu, '--cpu');
  const memory = args.string('memory');
  if (memory !== undefined) flags.memoryMiB = parseMemory(memory);
  for (const key of ['readiness', 'liveness'] as const) {
    const v = args.string(key);
    if (v !== undefined) flags[key] = parseProbe(v, `--${key}`);
  }
  const surge = args.string('max-surge');
  if (surge !== undefined) flags.maxSurge = parseInteger(surge, '--max-surge', 0, 100);
  const unavailable = args.string('max-unavailable');
  if (unavailable !== undefined)
    flags.maxUnavailable = parseInteger(unavailable, '--max-unavailable', 0, 100);
  if (args.has('command')) flags.command = args.list('command');
  if (args.has('args')) flags.args = args.list('args');
  if (args.has('cap'))
    flags.capabilities = args
      .list('cap')
      .filter((c) => c.toLowerCase() !== 'none')
      .map((c) => c.toUpperCase().replace(/^CAP_/, ''));
  if (args.has('read-only-rootfs')) flags.readOnlyRootfs = args.bool('read-only-rootfs');
  const pids = args.string('pids');
  if (pids !== undefined) flags.pids = parseInteger(pids, '--pids', 16, 32768);
  if (args.has('log-file')) flags.logFiles = args.list('log-file').filter((g) => g.toLowerCase() !== 'none');
  return flags;
}

/** True when at least one flag changes the spec. */
export function changesSpec(flags: SpecFlags): boolean {
  return Object.values(flags).some((value) =>
    Array.isArray(value) ? value.length > 0 : value !== undefined,
  );
}

/** `8080` or `http:8080` (a named port). */
export function parsePort(value: string): { name?: string; containerPort: number } {
  const m = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?):)?(\d{1,5})$/.exec(value.trim());
  if (!m)
    throw new UsageError(`--port: "${value}" is not a port; use PORT or NAME:PORT, e.g. 8080 or http:8080`);
  return { ...(m[1] ? { name: m[1] } : {}), containerPort: Number(m[3]) };
}

/** `KEY=value` (the value may be empty or contain `=`). */
export function parseAssignment(value: string, flag: string): { name: string; value: string } {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag}: "${value}" must be KEY=VALUE`);
  return { name: value.slice(0, eq), value: value.slice(eq + 1) };
}

/** `128` (MiB), `128Mi`, `128M`, `1Gi`, `1G`: whole MiB. */
export function parseMemory(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(Mi|M|Gi|G)?$/.exec(value.trim());
  const mib = m ? Number(m[1]) * (m[2]?.startsWith('G') ? 1024 : 1) : NaN;
  if (!m || !Number.isInteger(mib)) {
    throw new UsageError(`--memory: "${value}" must be a whole number of MiB, e.g. 128, 512Mi or 1Gi`);
  }
  return mib;
}

/** A service's current spec as the starting point of an update: output-only fields removed. */
export function specOfService(service: Pick<Service, 'spec'>): SpecDraft {
  const { spec } = service;
  return {
    ...spec,
    env: spec.env.map((e) => ({
      name: e.name,
      value: e.secret ? (e.value ?? null) : e.value,
      secret: e.secret,
    })),
  };
}

const probeTiming = [
  'initialDelaySeconds',
  'periodSeconds',
  'timeoutSeconds',
  'successThreshold',
  'failureThreshold',
] as const;

/**
 * Applies flags onto a spec: scalars replace; `--port`, `--command`, `--args` replace their list;
 * `--env`/`--secret-env` set variables by name and `--unset-env` removes them; a new check keeps
 * the timing of the check it replaces. Returns a new draft; `base` is not changed.
 */
export function applySpecFlags(base: SpecDraft, flags: SpecFlags): SpecDraft {
  const spec: SpecDraft = { ...base };
  if (flags.image !== undefined) spec.image = flags.image;
  if (flags.replicas !== undefined) spec.replicas = flags.replicas;
  if (flags.ports) spec.ports = flags.ports;
  if (flags.command) spec.command = flags.command;
  if (flags.args) spec.args = flags.args;
  if (flags.env.length || flags.unsetEnv.length)
    spec.env = mergeEnv(Array.isArray(base.env) ? base.env : [], flags);
  if (flags.cpu !== undefined || flags.memoryMiB !== undefined || flags.pids !== undefined) {
    spec.resources = {
      ...base.resources,
      ...(flags.cpu !== undefined ? { cpu: flags.cpu } : {}),
      ...(flags.memoryMiB !== undefined ? { memoryMiB: flags.memoryMiB } : {}),
      ...(flags.pids !== undefined ? { pids: flags.pids } : {}),
    };
  }
  if (flags.capabilities) spec.capabilities = flags.capabilities as SpecDraft['capabilities'];
  if (flags.readOnlyRootfs !== undefined) spec.readOnlyRootFilesystem = flags.readOnlyRootfs;
  if (flags.logFiles?.length) spec.logFiles = { ...base.logFiles, paths: flags.logFiles };
  else if (flags.logFiles) delete spec.logFiles;
  if (flags.maxSurge !== undefined || flags.maxUnavailable !== undefined) {
    spec.rollout = {
      ...base.rollout,
      ...(flags.maxSurge !== undefined ? { maxSurge: flags.maxSurge } : {}),
      ...(flags.maxUnavailable !== undefined ? { maxUnavailable: flags.maxUnavailable } : {}),
    };
  }
  for (const key of ['readiness', 'liveness'] as const) {
    const probe = flags[key];
    if (probe === null) delete spec[key];
    else if (probe) spec[key] = { ...timingOf(base[key]), ...probe };
  }
  return spec;
}

function timingOf(probe: SpecDraft['readiness']): Partial<Probe> {
  if (!probe) return {};
  return Object.fromEntries(probeTiming.filter((k) => probe[k] !== undefined).map((k) => [k, probe[k]]));
}

function mergeEnv(current: readonly EnvDraft[], flags: SpecFlags): EnvDraft[] {
  const env = [...current];
  for (const name of flags.unsetEnv) {
    const i = env.findIndex((e) => e.name === name);
    if (i < 0) throw new UsageError(`--unset-env: the service has no variable "${name}"`);
    env.splice(i, 1);
  }
  for (const set of flags.env) {
    const i = env.findIndex((e) => e.name === set.name);
    if (i < 0) env.push(set);
    else env[i] = set;
  }
  return env;
}
