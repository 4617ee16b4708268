import type { ServiceSpecInput } from '@berth/shared';

/** One changed field: its path (`env.VERSION`, `rollout.maxSurge`) and its display values. */
export interface SpecChange {
  path: string;
  /** null when the field did not exist before (added) or does not exist after (removed). */
  before: string | null;
  after: string | null;
}

export interface SpecDiff {
  changes: SpecChange[];
  /** True when the release spec changed: the deploy makes a new release and a rolling update. */
  newRelease: boolean;
}

/** Display value of a secret: never the value itself. */
export const secretSet = '••••••';
export const secretNew = '•••••• (new)';

/** The API's defaults, so that an omitted field and its default compare equal. */
const probeDefaults = {
  initialDelaySeconds: 0,
  periodSeconds: 2,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
};
const rolloutDefaults = {
  maxSurge: 1,
  maxUnavailable: 0,
  progressDeadlineSeconds: 120,
  drainSeconds: 2,
  stopGraceSeconds: 10,
};

type Flat = Map<string, string>;

function put(out: Flat, path: string, value: unknown): void {
  if (value === undefined || value === null || value === '') return;
  if (Array.isArray(value)) {
    if (value.length) out.set(path, JSON.stringify(value));
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) put(out, `${path}.${k}`, v);
    return;
  }
  out.set(path, typeof value === 'string' ? value : JSON.stringify(value));
}

/** The spec as path → display value, with defaults applied and env vars keyed by name. */
export function flattenSpec(spec: ServiceSpecInput, old?: boolean): Flat {
  const out: Flat = new Map();
  const { env = [], ports = [], readiness, liveness, rollout, labels, runAsRoot, ...rest } = spec;
  for (const [key, value] of Object.entries(rest)) put(out, key, value);
  put(out, 'runAsRoot', runAsRoot ?? false);
  ports.forEach((p, i) => put(out, `ports.${i}`, { containerPort: p.containerPort, name: p.name }));
  for (const e of env) {
    const secret = Boolean(e.secret);
    const value = secret ? (e.value == null || old ? secretSet : secretNew) : (e.value ?? '');
    out.set(`env.${e.name}`, secret ? value : JSON.stringify(value));
  }
  if (readiness) put(out, 'readiness', { ...probeDefaults, ...readiness });
  if (liveness) put(out, 'liveness', { ...probeDefaults, ...liveness });
  put(out, 'rollout', { ...rolloutDefaults, ...rollout });
  put(out, 'labels', labels);
  return out;
}

/**
 * What deploying `next` over `current` changes, field by field. A secret compares equal unless a
 * new value was typed; only `replicas` changing means a scale, not a new release.
 */
export function diffSpecs(current: ServiceSpecInput, next: ServiceSpecInput): SpecDiff {
  const before = flattenSpec(current, true);
  const after = flattenSpec(next);
  const paths = [...new Set([...before.keys(), ...after.keys()])];
  const changes: SpecChange[] = [];
  for (const path of paths) {
    const b = before.get(path) ?? null;
    const a = after.get(path) ?? null;
    if (b !== a) changes.push({ path, before: b, after: a });
  }
  return { changes, newRelease: changes.some((c) => c.path !== 'replicas') };
}
