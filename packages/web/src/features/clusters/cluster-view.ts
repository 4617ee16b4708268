import { defaultPublishAddress, inClusterEndpoint } from '@berth/shared';
import type { ClusterRegistryCheck } from '@berth/shared';
import type {
  ClusterCapacity,
  ClusterCredentials,
  ClusterExposure,
  ClusterKind,
  ClusterPatch,
  CreateClusterInput,
} from './clusters-api';
import './strings';

/** How the cluster page shows the last registry check: reachable, unreachable, not judged, none. */
export type RegistryCheckShown = 'ok' | 'failed' | 'skipped' | 'none';

export function registryCheckShown(check: ClusterRegistryCheck | null | undefined): RegistryCheckShown {
  if (!check) return 'none';
  if (check.ok === true) return 'ok';
  if (check.ok === false) return 'failed';
  return 'skipped';
}

/** One editable label row of the form. */
export interface LabelRow {
  key?: string;
  value?: string;
}

/** What the add/edit form holds; credentials are typed in, never read back. */
export interface ClusterFormValues {
  name: string;
  /** Absent: podman (the only kind before Kubernetes, and what older tests fill). */
  kind?: ClusterKind;
  endpoint: string;
  /** Kubernetes: Berth runs inside the cluster and uses its service account (no URL, no kubeconfig). */
  inCluster?: boolean;
  /** Kubernetes: the kubeconfig, typed or read from a file; never filled from the server. */
  kubeconfig?: string;
  /** Kubernetes, editing: the stored kubeconfig is replaced by the one typed. */
  replaceKubeconfig?: boolean;
  /** Kubernetes: how the gateways reach the pods. */
  exposure?: ClusterExposure;
  /** Kubernetes: the gateway nodes' source addresses its namespaces let in, CIDRs one a line (or comma-separated). */
  gatewayCidrs?: string;
  /** Kubernetes, new clusters only: the prefix of its namespaces (blank: none). */
  namespacePrefix?: string;
  privateKey?: string;
  knownHosts?: string;
  removeCredentials?: boolean;
  labels?: LabelRow[];
  /** The host address container ports are published on; blank is the default (127.0.0.1). */
  publishAddress?: string;
  /** How the cluster reaches the embedded registry (host[:port]); blank is its own address. */
  registry?: string;
}

/** What an edit starts from: the cluster as it was when the form opened. */
export interface ClusterBefore {
  /** Absent: podman. */
  kind?: ClusterKind;
  endpoint: string | null;
  /** Kubernetes; absent from a server that predates the field. */
  exposure?: ClusterExposure | null;
  gatewayCidrs?: string[];
  labels: Record<string, string>;
  /** Absent from a server that predates the field: the default. */
  publishAddress?: string;
  registry?: string | null;
  /** Whether credentials are stored (a kubeconfig is kept unless replaced). */
  hasCredentials?: boolean;
}

/** "1.5 GiB", "512 MiB": binary units, as engines report memory. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${Number(value.toFixed(digits))} ${units[unit]}`;
}

/** "0.5", "2", "1.25": CPUs with at most two decimals. */
export function formatCpus(cpus: number): string {
  return String(Number(cpus.toFixed(2)));
}

function percent(used: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.min(100, Math.max(0, Math.round((used / total) * 1000) / 10));
}

/** The two bars of a cluster: memory used by Berth of the allocatable memory, and CPUs. */
export function capacityBars(c: ClusterCapacity) {
  return {
    memory: {
      percent: percent(c.used.memoryBytes, c.allocatableMemoryBytes),
      text: `${formatBytes(c.used.memoryBytes)} / ${formatBytes(c.allocatableMemoryBytes)}`,
    },
    cpu: {
      percent: percent(c.used.cpus, c.cpus),
      text: `${formatCpus(c.used.cpus)} / ${formatCpus(c.cpus)}`,
    },
  };
}

/** Labels as sorted `key=value` strings, for tags and the filter. */
export function labelPairs(labels: Record<string, string>): string[] {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
}

/** The form's rows for existing labels. */
export function labelRows(labels: Record<string, string>): LabelRow[] {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ key, value }));
}

/** The rows as a record; rows without a key are skipped (the form requires one), keys trimmed. */
export function labelsFromRows(rows: LabelRow[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of rows ?? []) {
    const key = row?.key?.trim();
    if (key) out[key] = row.value?.trim() ?? '';
  }
  return out;
}

/** A label filter as the API takes it (`dc=dc1`), or null when it is not `key=value` / `key`. */
export function normalizeLabelFilter(text: string): string | null {
  const trimmed = text.trim();
  if (!trimmed) return '';
  const m = /^([^=\s]+)\s*(?:=\s*(\S*))?$/.exec(trimmed);
  if (!m) return null;
  return m[2] === undefined ? m[1]! : `${m[1]}=${m[2]}`;
}

const blank = (s: string | undefined) => !s || s.trim() === '';

/** The kind the form is for (podman unless it says kubernetes). */
export const formKind = (v: Pick<ClusterFormValues, 'kind'>): ClusterKind => v.kind ?? 'podman';

/**
 * The credentials the form sends, of its kind only: the fields of the other kind may still hold
 * what was typed before the kind was switched, and the server refuses credentials of another kind.
 * An in-cluster Kubernetes cluster has none (its service account is the credential).
 */
function credentialsOf(v: ClusterFormValues): ClusterCredentials | undefined {
  const credentials: ClusterCredentials = {};
  if (formKind(v) === 'kubernetes') {
    if (!v.inCluster && !blank(v.kubeconfig)) credentials.kubeconfig = v.kubeconfig;
  } else {
    if (!blank(v.privateKey)) credentials.privateKey = v.privateKey;
    if (!blank(v.knownHosts)) credentials.knownHosts = v.knownHosts;
  }
  return Object.keys(credentials).length ? credentials : undefined;
}

/** The endpoint the form means: `in-cluster` when that box is ticked (Kubernetes), else as typed. */
export function endpointOf(v: ClusterFormValues): string {
  return formKind(v) === 'kubernetes' && v.inCluster ? inClusterEndpoint : v.endpoint.trim();
}

/** The CIDRs typed, one a line or comma-separated, blanks dropped. */
export function cidrList(text: string | undefined): string[] {
  return (text ?? '')
    .split(/[\s,]+/)
    .map((c) => c.trim())
    .filter(Boolean);
}

/** Whether a stored endpoint is the in-cluster one (the form ticks the box instead of showing it). */
export const isInCluster = (endpoint: string | null | undefined): boolean => endpoint === inClusterEndpoint;

/**
 * The POST body of a new cluster. Podman: publish and registry addresses when typed. Kubernetes:
 * the exposure, and no Podman-only field even if one was typed before the kind was switched.
 */
export function createBody(v: ClusterFormValues): CreateClusterInput {
  const labels = labelsFromRows(v.labels);
  const credentials = credentialsOf(v);
  const kind = formKind(v);
  return {
    name: v.name.trim(),
    kind,
    endpoint: endpointOf(v),
    ...(credentials ? { credentials } : {}),
    ...(Object.keys(labels).length ? { labels } : {}),
    ...(kind === 'podman' && !blank(v.publishAddress) ? { publishAddress: v.publishAddress!.trim() } : {}),
    ...(kind === 'podman' && !blank(v.registry) ? { registry: v.registry!.trim() } : {}),
    ...(kind === 'kubernetes' && v.exposure ? { exposure: v.exposure } : {}),
    ...(kind === 'kubernetes' && cidrList(v.gatewayCidrs).length
      ? { gatewayCidrs: cidrList(v.gatewayCidrs) }
      : {}),
    ...(kind === 'kubernetes' && !blank(v.namespacePrefix)
      ? { namespacePrefix: v.namespacePrefix!.trim() }
      : {}),
  };
}

/**
 * The merge patch from the cluster as it was to the form: only what changed; a removed label is
 * null; new credentials replace the old, "remove" sends null, neither leaves them alone. A cleared
 * publish address is the default again (127.0.0.1); a cleared registry address is null (the
 * registry's own address). Kubernetes (the kind cannot change): a stored kubeconfig is replaced
 * only when "Replace" is ticked and one is given, dropped when the cluster becomes in-cluster; the
 * exposure when changed; never a Podman-only field.
 */
export function patchBody(before: ClusterBefore, v: ClusterFormValues): ClusterPatch {
  const patch: ClusterPatch = {};
  const kind = before.kind ?? 'podman';
  const endpoint = endpointOf({ ...v, kind });
  if (endpoint !== (before.endpoint ?? '')) patch.endpoint = endpoint;
  const after = labelsFromRows(v.labels);
  const labels: Record<string, string | null> = {};
  for (const k of Object.keys(before.labels)) if (!(k in after)) labels[k] = null;
  for (const [k, value] of Object.entries(after)) if (before.labels[k] !== value) labels[k] = value;
  if (Object.keys(labels).length) patch.labels = labels;
  if (kind === 'kubernetes') {
    // A stored kubeconfig is kept unless "Replace" was ticked and a new one given; moving to
    // in-cluster drops it (the service account is the credential then).
    const credentials =
      v.replaceKubeconfig || !before.hasCredentials ? credentialsOf({ ...v, kind }) : undefined;
    if (credentials) patch.credentials = credentials;
    else if (v.inCluster && before.hasCredentials && !isInCluster(before.endpoint)) patch.credentials = null;
    if (v.exposure && v.exposure !== (before.exposure ?? undefined)) patch.exposure = v.exposure;
    const cidrs = cidrList(v.gatewayCidrs);
    if (cidrs.join(',') !== (before.gatewayCidrs ?? []).join(','))
      patch.gatewayCidrs = cidrs.length ? cidrs : null;
    return patch;
  }
  const credentials = credentialsOf(v);
  if (credentials) patch.credentials = credentials;
  else if (v.removeCredentials) patch.credentials = null;
  const publishAddress = blank(v.publishAddress) ? defaultPublishAddress : v.publishAddress!.trim();
  if (publishAddress !== (before.publishAddress ?? defaultPublishAddress))
    patch.publishAddress = publishAddress;
  const registry = blank(v.registry) ? null : v.registry!.trim();
  if (registry !== (before.registry ?? null)) patch.registry = registry;
  return patch;
}

/** The fields of one kind: an error on a field the form hides for the other kind goes above it. */
const kindFields: Record<ClusterKind, ReadonlySet<string>> = {
  podman: new Set(['publishAddress', 'registry', 'privateKey', 'knownHosts']),
  kubernetes: new Set(['kubeconfig', 'exposure', 'gatewayCidrs', 'namespacePrefix']),
};

/**
 * The form field an API error path belongs to: `publishAddress`, `registry`, `kind`, `exposure`,
 * `gatewayCidrs` (`gatewayCidrs.1` too) → those fields, `credentials.privateKey` → privateKey, `credentials.kubeconfig` → kubeconfig (a
 * bare `credentials` → the kind's main credential field), `labels.dc` → the row holding `dc` (its
 * key when the message is about the key, else its value); null when no field shows it — also when
 * the field belongs to the other kind, or is the endpoint of an in-cluster Kubernetes cluster
 * (hidden fields show no error, so those go to the alert above the form).
 */
export function clusterFieldFor(
  path: string,
  rows: LabelRow[] | undefined,
  message = '',
  form: { kind?: ClusterKind; inCluster?: boolean } = {},
): string | Array<string | number> | null {
  const kind = form.kind ?? 'podman';
  const other: ClusterKind = kind === 'podman' ? 'kubernetes' : 'podman';
  const visible = (field: string) => {
    if (kindFields[other].has(field)) return null;
    if (field === 'endpoint' && kind === 'kubernetes' && form.inCluster) return null;
    return field;
  };
  const [head, next] = path.split(/[.[\]]+/).filter(Boolean);
  if (
    head === 'name' ||
    head === 'endpoint' ||
    head === 'publishAddress' ||
    head === 'registry' ||
    head === 'kind' ||
    head === 'exposure' ||
    head === 'gatewayCidrs' ||
    head === 'namespacePrefix'
  )
    return visible(head);
  if (head === 'credentials') {
    if (next === 'kubeconfig') return visible('kubeconfig');
    if (next === 'knownHosts' || next === 'privateKey') return visible(next);
    return kind === 'kubernetes' ? (form.inCluster ? null : 'kubeconfig') : 'privateKey';
  }
  if (head !== 'labels' || next === undefined) return null;
  // Keys may hold dots ("topology.example/zone"): the key is everything after "labels.".
  const key = path.replace(/^labels(\.|\[)/, '').replace(/\]$/, '');
  const list = rows ?? [];
  const index = /^\d+$/.test(key) ? Number(key) : list.findIndex((r) => r.key?.trim() === key);
  if (index < 0 || index >= list.length) return null;
  return ['labels', index, /value/i.test(message) && !/key/i.test(message) ? 'value' : 'key'];
}
