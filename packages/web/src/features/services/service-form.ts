import type { DivisionKind, PlacementInput, Probe, ServiceSpecInput } from '@berth/shared';

/** The kinds of health check the form offers; `none` leaves the check out of the spec. */
export type ProbeKind = 'none' | 'http' | 'tcp' | 'exec';

/** One health check as the user typed it. */
export interface ProbeFormValues {
  type: ProbeKind;
  path?: string;
  port?: number | null;
  /** exec only: one argument per line. */
  command?: string;
  initialDelaySeconds?: number | null;
  periodSeconds?: number | null;
  timeoutSeconds?: number | null;
  failureThreshold?: number | null;
}

export interface RolloutFormValues {
  maxSurge: number;
  maxUnavailable: number;
  drainSeconds: number;
  stopGraceSeconds: number;
  progressDeadlineSeconds: number;
}

export interface EnvFormValue {
  name?: string;
  value?: string;
  secret?: boolean;
  /** A stored secret: an empty value keeps it. */
  isSet?: boolean;
}

/**
 * Where the replicas run, as the user set it: `default` leaves `spec.placement` out (the
 * default, `local` — or every cluster of the environment when Berth has no `local`: defaultPlacementOf); `clusters` names clusters with weights; `all` is every cluster
 * of the environment.
 */
export type PlacementMode = 'default' | 'clusters' | 'all';

export interface PlacementFormValues {
  mode: PlacementMode;
  clusters: Array<{ name: string; weight: number | null }>;
  division: DivisionKind;
  minPerCluster?: number | null;
}

/**
 * The placement a service without `spec.placement` gets (docs/fleet.md "Placement"): the cluster
 * `local` when Berth has one, else every cluster of the environment (`BERTH_LOCAL_CLUSTER=off`:
 * Berth in a Kubernetes cluster has no `local`). `clusterNames`: the registered clusters, null
 * while unknown (then `local`, the usual case).
 */
export function defaultPlacementOf(clusterNames: readonly string[] | null): PlacementInput {
  return clusterNames === null || clusterNames.includes('local')
    ? { clusters: [{ name: 'local', weight: 1 }], division: 'weighted' }
    : { clusters: 'all', division: 'weighted' };
}

export const defaultPlacementForm: PlacementFormValues = {
  mode: 'default',
  clusters: [],
  division: 'weighted',
};

/** The create / edit form's values, as the user typed them. */
export interface ServiceFormValues {
  name: string;
  image: string;
  replicas: number;
  ports?: Array<{ containerPort?: number | null; name?: string }>;
  command?: string;
  args?: string;
  workingDir?: string;
  user?: string;
  env?: EnvFormValue[];
  cpu?: number | null;
  memoryMiB?: number | null;
  /** Linux capabilities kept (all others are dropped). */
  capabilities?: string[];
  readOnlyRootFilesystem?: boolean;
  pids?: number | null;
  readiness: ProbeFormValues;
  liveness: ProbeFormValues;
  rollout: RolloutFormValues;
  placement?: PlacementFormValues;
}

/** A form field's path, as antd's Form names it. */
export type FieldPath = Array<string | number>;

export const defaultRollout: RolloutFormValues = {
  maxSurge: 1,
  maxUnavailable: 0,
  drainSeconds: 2,
  stopGraceSeconds: 10,
  progressDeadlineSeconds: 120,
};

/** The values a new service starts from. */
export const emptyServiceForm: Omit<ServiceFormValues, 'name' | 'image'> = {
  replicas: 1,
  ports: [],
  env: [],
  readiness: { type: 'none' },
  liveness: { type: 'none' },
  rollout: defaultRollout,
  placement: defaultPlacementForm,
};

/** One argument per line; blank lines are dropped, everything else is kept verbatim. */
export function splitLines(text: string | undefined): string[] | undefined {
  const lines = (text ?? '')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  return lines.length ? lines : undefined;
}

const joinLines = (lines: string[] | undefined) => (lines ?? []).join('\n');
const orUndefined = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

function toProbe(p: ProbeFormValues | undefined): ServiceSpecInput['readiness'] {
  if (!p || p.type === 'none') return undefined;
  return {
    type: p.type,
    ...(p.type === 'http' ? { path: p.path?.trim() || '/' } : {}),
    ...(p.type !== 'exec' && p.port ? { port: p.port } : {}),
    ...(p.type === 'exec' ? { command: splitLines(p.command) ?? [] } : {}),
    ...(p.initialDelaySeconds != null ? { initialDelaySeconds: p.initialDelaySeconds } : {}),
    ...(p.periodSeconds != null ? { periodSeconds: p.periodSeconds } : {}),
    ...(p.timeoutSeconds != null ? { timeoutSeconds: p.timeoutSeconds } : {}),
    ...(p.failureThreshold != null ? { failureThreshold: p.failureThreshold } : {}),
  };
}

function fromProbe(p: Probe | undefined): ProbeFormValues {
  if (!p) return { type: 'none' };
  return {
    type: p.type,
    path: p.path,
    port: p.port ?? null,
    command: joinLines(p.command),
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
  };
}

/**
 * The placement the user set, exactly: absent for the environment's default; otherwise the
 * clusters (each with its weight) or "all", the division, and minPerCluster when given.
 */
export function toPlacement(p: PlacementFormValues | undefined): PlacementInput | undefined {
  if (!p || p.mode === 'default') return undefined;
  return {
    clusters:
      p.mode === 'all' ? 'all' : (p.clusters ?? []).map((c) => ({ name: c.name, weight: c.weight ?? 1 })),
    division: p.division ?? 'weighted',
    ...(p.minPerCluster != null ? { minPerCluster: p.minPerCluster } : {}),
  };
}

/** The form's placement for a spec's (absent: the environment's default). */
export function fromPlacement(p: PlacementInput | undefined): PlacementFormValues {
  if (!p) return { ...defaultPlacementForm };
  return {
    mode: p.clusters === 'all' ? 'all' : 'clusters',
    clusters: p.clusters === 'all' ? [] : p.clusters.map((c) => ({ name: c.name, weight: c.weight ?? 1 })),
    division: p.division ?? 'weighted',
    minPerCluster: p.minPerCluster ?? null,
  };
}

/** "local ×2, c1 ×1 (weighted)"; "all clusters (duplicated)"; minPerCluster as "min 1". */
export function describePlacement(
  p: PlacementInput,
  words: { all: string; division: Record<DivisionKind, string>; min: (n: number) => string },
): string {
  const where =
    p.clusters === 'all' ? words.all : p.clusters.map((c) => `${c.name} ×${c.weight ?? 1}`).join(', ');
  const how = [
    words.division[p.division ?? 'weighted'],
    ...(p.minPerCluster ? [words.min(p.minPerCluster)] : []),
  ];
  return `${where} (${how.join(', ')})`;
}

/**
 * Maps the form to the API's spec. Fields the form does not show (labels, runAsRoot, a probe's
 * successThreshold) are carried over from `base`, the spec being edited.
 */
export function toSpec(v: ServiceFormValues, base?: ServiceSpecInput): ServiceSpecInput {
  const spec: ServiceSpecInput = {
    ...(base ?? {}),
    image: v.image.trim(),
    replicas: v.replicas,
    command: splitLines(v.command),
    args: splitLines(v.args),
    workingDir: v.workingDir?.trim() || undefined,
    user: v.user?.trim() || undefined,
    env: (v.env ?? [])
      .filter((e) => e.name)
      .map((e) => {
        const secret = Boolean(e.secret);
        // A stored secret left empty keeps its value: the API takes null as "unchanged".
        const keep = secret && e.isSet && !e.value;
        return { name: e.name ?? '', value: keep ? null : (e.value ?? ''), secret };
      }),
    ports: (v.ports ?? [])
      .filter((p) => p.containerPort)
      .map((p) => ({
        containerPort: p.containerPort ?? 0,
        ...(p.name?.trim() ? { name: p.name.trim() } : {}),
      })),
    resources: {
      ...(v.cpu ? { cpu: v.cpu } : {}),
      ...(v.memoryMiB ? { memoryMiB: v.memoryMiB } : {}),
      ...(v.pids ? { pids: v.pids } : {}),
    },
    capabilities: v.capabilities?.length
      ? (v.capabilities as NonNullable<ServiceSpecInput['capabilities']>)
      : undefined,
    readOnlyRootFilesystem: v.readOnlyRootFilesystem ? true : undefined,
    readiness: toProbe(v.readiness),
    liveness: toProbe(v.liveness),
    rollout: { ...v.rollout },
    // Set only when the form has the section (the default placement is no placement at all).
    ...(v.placement ? { placement: toPlacement(v.placement) } : {}),
  };
  for (const key of ['readiness', 'liveness'] as const) {
    const kept = base?.[key]?.successThreshold;
    if (spec[key] && kept !== undefined && base?.[key]?.type === spec[key].type)
      spec[key] = { ...spec[key], successThreshold: kept };
  }
  for (const key of Object.keys(spec) as Array<keyof ServiceSpecInput>)
    if (spec[key] === undefined) delete spec[key];
  return spec;
}

/** Maps the form to the API's create request; the API validates it and names bad fields. */
export function toCreateRequest(v: ServiceFormValues): { name: string; spec: ServiceSpecInput } {
  return { name: v.name.trim(), spec: toSpec(v) };
}

/** The form's values for an existing service (secret values are never known: left empty). */
export function fromSpec(name: string, spec: ServiceSpecInput & { replicas?: number }): ServiceFormValues {
  return {
    name,
    image: spec.image,
    replicas: spec.replicas ?? 1,
    ports: (spec.ports ?? []).map((p) => ({ containerPort: p.containerPort, name: p.name })),
    command: joinLines(spec.command),
    args: joinLines(spec.args),
    workingDir: spec.workingDir ?? '',
    user: spec.user ?? '',
    env: (spec.env ?? []).map((e) =>
      e.secret
        ? { name: e.name, value: '', secret: true, isSet: e.isSet ?? true }
        : { name: e.name, value: e.value ?? '', secret: false },
    ),
    cpu: spec.resources?.cpu ?? null,
    memoryMiB: spec.resources?.memoryMiB ?? null,
    capabilities: spec.capabilities ?? [],
    readOnlyRootFilesystem: spec.readOnlyRootFilesystem ?? false,
    pids: spec.resources?.pids ?? null,
    readiness: fromProbe(spec.readiness as Probe | undefined),
    liveness: fromProbe(spec.liveness as Probe | undefined),
    rollout: { ...defaultRollout, ...orUndefined(spec.rollout) },
    placement: fromPlacement(spec.placement),
  };
}

const probeFields = new Set([
  'path',
  'port',
  'command',
  'initialDelaySeconds',
  'periodSeconds',
  'timeoutSeconds',
  'failureThreshold',
]);
const rolloutFields = new Set(Object.keys(defaultRollout));

/**
 * The form field an API error path (`spec.env.1.value`) belongs to, or null when the form has no
 * such field (the error is then shown above the form).
 */
export function fieldFor(path: string): FieldPath | null {
  const parts = path.split('.');
  if (parts[0] === 'name') return ['name'];
  if (parts[0] !== 'spec') return null;
  const [, first, second, third] = parts;
  const index = Number(second);
  switch (first) {
    case 'image':
    case 'replicas':
    case 'command':
    case 'args':
    case 'workingDir':
    case 'user':
    case 'capabilities':
    case 'readOnlyRootFilesystem':
      return [first];
    case 'ports':
      if (!Number.isInteger(index)) return null;
      return ['ports', index, third === 'name' ? 'name' : 'containerPort'];
    case 'resources':
      return second === 'cpu'
        ? ['cpu']
        : second === 'memoryMiB'
          ? ['memoryMiB']
          : second === 'pids'
            ? ['pids']
            : null;
    case 'readiness':
    case 'liveness':
      return [first, second && probeFields.has(second) ? second : 'type'];
    case 'rollout':
      return second && rolloutFields.has(second) ? ['rollout', second] : null;
    case 'env':
      if (!Number.isInteger(index)) return null;
      return ['env', index, third === 'value' ? 'value' : 'name'];
    case 'placement':
      return placementField(parts.slice(2));
    default:
      return null;
  }
}

/**
 * `spec.placement…` → the placement control: a cluster's name or weight row, the cluster choice,
 * the division, the minimum; the placement as a whole (e.g. refused) at the mode choice.
 */
function placementField([first, second, third]: string[]): FieldPath {
  const index = Number(second);
  switch (first) {
    case 'clusters':
      if (second !== undefined && Number.isInteger(index))
        return ['placement', 'clusters', index, third === 'weight' ? 'weight' : 'name'];
      return ['placement', 'clusters'];
    case 'division':
    case 'minPerCluster':
      return ['placement', first];
    default:
      return ['placement', 'mode'];
  }
}
