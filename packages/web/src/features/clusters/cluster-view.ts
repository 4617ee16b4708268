import { defaultPublishAddress } from '@berth/shared';
import type { ClusterRegistryCheck } from '@berth/shared';
import type { ClusterCapacity, ClusterPatch, CreateClusterInput } from './clusters-api';

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
  endpoint: string;
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
  endpoint: string | null;
  labels: Record<string, string>;
  /** Absent from a server that predates the field: the default. */
  publishAddress?: string;
  registry?: string | null;
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

function credentialsOf(v: ClusterFormValues) {
  const credentials: { privateKey?: string; knownHosts?: string } = {};
  if (!blank(v.privateKey)) credentials.privateKey = v.privateKey;
  if (!blank(v.knownHosts)) credentials.knownHosts = v.knownHosts;
  return Object.keys(credentials).length ? credentials : undefined;
}

/** The POST body of a new cluster. */
export function createBody(v: ClusterFormValues): CreateClusterInput {
  const labels = labelsFromRows(v.labels);
  const credentials = credentialsOf(v);
  return {
    name: v.name.trim(),
    kind: 'podman',
    endpoint: v.endpoint.trim(),
    ...(credentials ? { credentials } : {}),
    ...(Object.keys(labels).length ? { labels } : {}),
    ...(blank(v.publishAddress) ? {} : { publishAddress: v.publishAddress!.trim() }),
    ...(blank(v.registry) ? {} : { registry: v.registry!.trim() }),
  };
}

/**
 * The merge patch from the cluster as it was to the form: only what changed; a removed label is
 * null; new credentials replace the old, "remove" sends null, neither leaves them alone. A cleared
 * publish address is the default again (127.0.0.1); a cleared registry address is null (the
 * registry's own address).
 */
export function patchBody(before: ClusterBefore, v: ClusterFormValues): ClusterPatch {
  const patch: ClusterPatch = {};
  const endpoint = v.endpoint.trim();
  if (endpoint !== (before.endpoint ?? '')) patch.endpoint = endpoint;
  const after = labelsFromRows(v.labels);
  const labels: Record<string, string | null> = {};
  for (const k of Object.keys(before.labels)) if (!(k in after)) labels[k] = null;
  for (const [k, value] of Object.entries(after)) if (before.labels[k] !== value) labels[k] = value;
  if (Object.keys(labels).length) patch.labels = labels;
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

/**
 * The form field an API error path belongs to: `publishAddress`, `registry` → those fields,
 * `credentials.privateKey` → privateKey,
 * `labels.dc` → the row holding `dc` (its key when the message is about the key, else its value);
 * null when no field shows it.
 */
export function clusterFieldFor(
  path: string,
  rows: LabelRow[] | undefined,
  message = '',
): string | Array<string | number> | null {
  const [head, next] = path.split(/[.[\]]+/).filter(Boolean);
  if (head === 'name' || head === 'endpoint' || head === 'publishAddress' || head === 'registry') return head;
  if (head === 'credentials') return next === 'knownHosts' ? 'knownHosts' : 'privateKey';
  if (head !== 'labels' || next === undefined) return null;
  // Keys may hold dots ("topology.example/zone"): the key is everything after "labels.".
  const key = path.replace(/^labels(\.|\[)/, '').replace(/\]$/, '');
  const list = rows ?? [];
  const index = /^\d+$/.test(key) ? Number(key) : list.findIndex((r) => r.key?.trim() === key);
  if (index < 0 || index >= list.length) return null;
  return ['labels', index, /value/i.test(message) && !/key/i.test(message) ? 'value' : 'key'];
}
