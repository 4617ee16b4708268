/**
 * Server-side apply and the garbage collection after it.
 *
 * Apply: `PATCH` with `application/apply-patch+yaml` (JSON is YAML), field manager `berth`.
 * Berth's store is the desired state, so Berth's values win over hand edits (`force`). The apply is
 * first tried without force: a 409 then names the other managers and fields Berth is about to take
 * over (a `kubectl edit` or `kubectl scale` of a Berth object), which the workload's status reports;
 * the forced apply follows at once. Objects without conflicts cost one request.
 *
 * Garbage collection: after a workload's apply, the objects of the service (label `berth.service`)
 * that are no longer wanted are deleted — Secrets, Services, Deployments — and the ConfigMaps of
 * config versions the service stopped mounting (collectConfigMaps). Exceptions:
 * - a ConfigMap another Deployment of the namespace mounts, or a ReplicaSet that still has pods, or
 *   a live pod (a rollout in progress: the old pods keep reading it until they are gone; the
 *   engine tries again each time a pod of the namespace goes, and the next apply does too);
 * - PersistentVolumeClaims are NEVER collected: they hold data, and a volume belongs to the
 *   environment, not to one service; only deleting the volume in Berth deletes its claim;
 * - canary Deployments (label `berth.canary`) belong to the route that asked for them.
 */
import type { KubeObject } from '@berth/engine-api';
import { labelKeys } from '@berth/engine-api';
import type { KubeClient } from './client';
import { statusOf } from './errors';
import { kubeKeys } from './manifests/common';
import type { Deployment, KubeList, ManagedFieldsEntry, ObjectMeta, ReplicaSet } from './kube-types';
import { collectionPath, objectPath, pathOfObject, resourceOf, type ResourceInfo } from './resources';

/** Berth's field manager. */
export const fieldManager = 'berth';

/** Applies one object; returns the conflicts its forced apply overrode ("manager: field"). */
export async function applyObject(client: KubeClient, obj: KubeObject): Promise<string[]> {
  const { info, path } = pathOfObject(obj);
  const ctx = {
    verb: 'patch',
    resource: info.rbac,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
  };
  const send = (force: boolean) =>
    client.json<KubeObject>('PATCH', path, {
      query: { fieldManager, force },
      body: obj,
      contentType: 'application/apply-patch+yaml',
      ctx,
    });
  try {
    await send(false);
    return [];
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
    const details = (err as { details?: { causes?: unknown } }).details;
    const causes = (Array.isArray(details?.causes) ? details.causes : []) as {
      message?: string;
      field?: string;
    }[];
    await send(true);
    // The apiserver's cause: message `conflict with "kubectl-scale" using apps/v1`, field `.spec.replicas`.
    const found = causes.map((c) => [c.message, c.field].filter(Boolean).join(': ')).filter(Boolean);
    return found.length ? found : [`another field manager on ${obj.kind} ${obj.metadata.name}`];
  }
}

/** Deletes one object; a missing one is fine. */
export async function deleteObject(
  client: KubeClient,
  info: ResourceInfo,
  name: string,
  namespace: string | undefined,
  opts: { gracePeriodSeconds?: number } = {},
): Promise<void> {
  await client.json('DELETE', objectPath(info, name, namespace), {
    query: { propagationPolicy: 'Background', gracePeriodSeconds: opts.gracePeriodSeconds },
    allow: [404],
    ctx: { verb: 'delete', resource: info.rbac, namespace, name },
  });
}

/** How long `replaceSelector` waits for an orphaning deletion to finish (the garbage collector's work). */
const orphanDeleteMs = 30_000;

/**
 * Makes sure the Deployment `name` has `selector` before it is applied. A selector is immutable,
 * so one applied with another (before route canaries, ADR 0008: `berth.service` alone) is deleted
 * with `propagationPolicy: Orphan` — its ReplicaSets and pods keep running, ownerless — and the
 * apply that follows creates it again; the deployment controller adopts the ReplicaSets its new
 * selector matches, and the template being the same, restarts no pod. Returns whether it replaced.
 */
export async function replaceSelector(
  client: KubeClient,
  namespace: string,
  name: string,
  selector: unknown,
): Promise<boolean> {
  const info = resourceOf('apps/v1', 'Deployment');
  const path = objectPath(info, name, namespace);
  const get = () =>
    client.json<Deployment>('GET', path, {
      allow: [404],
      ctx: { verb: 'get', resource: info.rbac, namespace, name },
    });
  const now = await get();
  if (!now || sameSelector(now.spec?.selector, selector)) return false;
  await client.json('DELETE', path, {
    query: { propagationPolicy: 'Orphan' },
    allow: [404],
    ctx: { verb: 'delete', resource: info.rbac, namespace, name },
  });
  // the orphan finalizer holds the object until its dependents are released
  const deadline = Date.now() + orphanDeleteMs;
  for (;;) {
    const left = await get();
    if (!left || left.metadata.uid !== now.metadata.uid) return true;
    if (Date.now() > deadline)
      throw new Error(
        `Deployment ${namespace}/${name} is still being deleted (orphaning its ReplicaSets to change its selector) after ${orphanDeleteMs / 1000} s; Berth applies it again on its next pass. Is the cluster's garbage collector running?`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Selectors compared as the API server stores them (missing lists are empty). */
function sameSelector(a: unknown, b: unknown): boolean {
  const norm = (s: unknown) => {
    const o = (s ?? {}) as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
    const labels = Object.entries(o.matchLabels ?? {}).sort(([x], [y]) => (x < y ? -1 : 1));
    return JSON.stringify([labels, o.matchExpressions ?? []]);
  };
  return norm(a) === norm(b);
}

/** Objects of a kind in a namespace matching a label selector. */
export async function listObjects<T extends { metadata: ObjectMeta }>(
  client: KubeClient,
  info: ResourceInfo,
  namespace: string,
  labelSelector: string,
): Promise<T[]> {
  const list = await client.json<KubeList<T>>('GET', collectionPath(info, namespace), {
    query: { labelSelector },
    // The namespace itself may be gone (a project deleted by hand): nothing to collect.
    allow: [404],
    ctx: { verb: 'list', resource: info.rbac, namespace },
  });
  return list?.items ?? [];
}

/** The kinds a workload's garbage collection looks at by the service's label. */
const collected: [string, string][] = [
  ['v1', 'Secret'],
  ['v1', 'Service'],
  ['apps/v1', 'Deployment'],
];

/** Who owns what in one namespace: the selectors of the garbage collection. */
export interface Owners {
  /** The namespace's objects of this Berth instance and cluster (`berth.instance`, `berth.cluster`). */
  namespace: string;
  /** The service's (the above plus `berth.service`). */
  service: string;
}

/**
 * Deletes the service's objects that `wanted` no longer has, and the ConfigMaps it stopped
 * mounting that nothing else mounts (see the top comment). `mountedByLivePods`: ConfigMap names
 * the engine's pod cache sees mounted in the namespace. Returns `Kind/name` of what went.
 */
export async function collectWorkloadGarbage(
  client: KubeClient,
  namespace: string,
  owners: Owners,
  wanted: KubeObject[],
  mountedByLivePods: Set<string>,
): Promise<{ deleted: string[]; keptConfigMaps: string[] }> {
  const selector = `${owners.service},!${labelKeys.canary}`;
  const keep = new Set(wanted.map((o) => `${o.kind}/${o.metadata.name}`));
  const deleted: string[] = [];
  for (const [apiVersion, kind] of collected) {
    const info = resourceOf(apiVersion, kind);
    const existing = await listObjects<{ metadata: ObjectMeta }>(client, info, namespace, selector);
    for (const o of existing) {
      if (keep.has(`${kind}/${o.metadata.name}`)) continue;
      await deleteObject(client, info, o.metadata.name, namespace);
      deleted.push(`${kind}/${o.metadata.name}`);
    }
  }
  const wantedMaps = new Set(wanted.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name));
  const maps = await collectConfigMaps(client, namespace, owners, wantedMaps, mountedByLivePods);
  return { deleted: [...deleted, ...maps.deleted], keptConfigMaps: maps.kept };
}

function mountedBy(volumes: { configMap?: { name?: string } }[] | undefined, into: Set<string>): void {
  for (const v of volumes ?? []) if (v.configMap?.name) into.add(v.configMap.name);
}

/**
 * The ConfigMaps of config versions belong to the environment (two services mounting one version
 * share one object), so they carry no service label. A service's ReplicaSets — the history of its
 * templates, `revisionHistoryLimit` deep — say which ones it mounted; of those, the ones it no
 * longer wants are deleted unless a Deployment template of the namespace, a ReplicaSet that still
 * has pods, or a live pod mounts them. `serviceGoing`: this service's own ReplicaSets are being
 * deleted (deleteWorkload) and do not count as users. Returns what went and the candidates kept
 * because something still mounts them (the engine tries those again when pods go).
 */
export async function collectConfigMaps(
  client: KubeClient,
  namespace: string,
  owners: Owners,
  wanted: Set<string>,
  mountedByLivePods: Set<string>,
  opts: { serviceGoing?: boolean; candidates?: Set<string> } = {},
): Promise<{ deleted: string[]; kept: string[] }> {
  const rsInfo = resourceOf('apps/v1', 'ReplicaSet');
  const candidates = new Set(opts.candidates ?? []);
  if (!opts.candidates) {
    // ReplicaSets carry their pod template's labels, ownership included (the Deployment copies them).
    for (const rs of await listObjects<ReplicaSet>(client, rsInfo, namespace, owners.service)) {
      mountedBy(rs.spec?.template?.spec?.volumes, candidates);
    }
  }
  for (const name of wanted) candidates.delete(name);
  if (!candidates.size) return { deleted: [], kept: [] };
  // Only the ones that still exist (the ReplicaSet history remembers versions long deleted).
  const existing = await listObjects<{ metadata: ObjectMeta }>(
    client,
    resourceOf('v1', 'ConfigMap'),
    namespace,
    owners.namespace,
  );
  const present = new Set(existing.map((o) => o.metadata.name));
  for (const name of candidates) if (!present.has(name)) candidates.delete(name);
  if (!candidates.size) return { deleted: [], kept: [] };
  const used = new Set(mountedByLivePods);
  const deployments = await listObjects<Deployment>(
    client,
    resourceOf('apps/v1', 'Deployment'),
    namespace,
    owners.namespace,
  );
  for (const d of deployments) {
    if (opts.serviceGoing && isOf(d.metadata, owners.service)) continue;
    mountedBy(d.spec?.template?.spec?.volumes, used);
  }
  for (const rs of await listObjects<ReplicaSet>(client, rsInfo, namespace, owners.namespace)) {
    if (opts.serviceGoing && isOf(rs.metadata, owners.service)) continue;
    if ((rs.status?.replicas ?? 0) === 0 && (rs.spec?.replicas ?? 0) === 0) continue;
    mountedBy(rs.spec?.template?.spec?.volumes, used);
  }
  const info = resourceOf('v1', 'ConfigMap');
  const deleted: string[] = [];
  const kept: string[] = [];
  for (const name of candidates) {
    if (used.has(name)) {
      kept.push(name);
      continue;
    }
    await deleteObject(client, info, name, namespace);
    deleted.push(`ConfigMap/${name}`);
  }
  return { deleted, kept };
}

/** The ConfigMaps a service's ReplicaSets mount (before deleteWorkload removes them). */
export async function serviceConfigMaps(
  client: KubeClient,
  namespace: string,
  owners: Owners,
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const rs of await listObjects<ReplicaSet>(
    client,
    resourceOf('apps/v1', 'ReplicaSet'),
    namespace,
    owners.service,
  )) {
    mountedBy(rs.spec?.template?.spec?.volumes, out);
  }
  return out;
}

/** Whether an object's labels match a simple `a=b,c=d` selector. */
function isOf(meta: ObjectMeta, selector: string): boolean {
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return meta.labels?.[k!] === v;
  });
}

/**
 * Deletes the namespace's own objects (quota, limit range, pull secret, network policy: labelled
 * with the instance, without `berth.service`) that `wanted` no longer has — a quota whose
 * dimensions all became unlimited, a pull secret removed.
 */
export async function collectNamespaceGarbage(
  client: KubeClient,
  namespace: string,
  /** The namespace's ownership selector (instance, cluster). */
  owner: string,
  wanted: KubeObject[],
): Promise<string[]> {
  // not a one-off pod's Secret either: it belongs to its pod, which deletes it (one-off.ts)
  const selector = `${owner},!${labelKeys.service},!${kubeKeys.oneOff}`;
  const keep = new Set(wanted.map((o) => `${o.kind}/${o.metadata.name}`));
  const deleted: string[] = [];
  const kindsHere: [string, string][] = [
    ['v1', 'ResourceQuota'],
    ['v1', 'LimitRange'],
    ['v1', 'Secret'],
    ['networking.k8s.io/v1', 'NetworkPolicy'],
  ];
  for (const [apiVersion, kind] of kindsHere) {
    const info = resourceOf(apiVersion, kind);
    for (const o of await listObjects<{ metadata: ObjectMeta }>(client, info, namespace, selector)) {
      if (keep.has(`${kind}/${o.metadata.name}`)) continue;
      await deleteObject(client, info, o.metadata.name, namespace);
      deleted.push(`${kind}/${o.metadata.name}`);
    }
  }
  return deleted;
}

/**
 * Fields of `berth`'s apply that other managers also own (same value, shared ownership), from an
 * object's managedFields: "kubectl-edit: .spec.replicas". The status subresource is left out
 * (controllers write it, Berth never applies it).
 */
export function sharedFields(managed: ManagedFieldsEntry[] | undefined): string[] {
  const entries = (managed ?? []).filter((e) => !e.subresource);
  const mine = entries.find((e) => e.manager === fieldManager && e.operation === 'Apply');
  if (!mine?.fieldsV1) return [];
  const own = new Set(leaves(mine.fieldsV1));
  const out: string[] = [];
  for (const e of entries) {
    if (e === mine || !e.fieldsV1) continue;
    const overlap = leaves(e.fieldsV1).filter((p) => own.has(p));
    if (overlap.length) {
      const shown = overlap.slice(0, 5).join(', ') + (overlap.length > 5 ? `, … (${overlap.length})` : '');
      out.push(`${e.manager ?? 'unknown'}: ${shown}`);
    }
  }
  return out;
}

/** Leaf paths of a fieldsV1 set (`f:spec` → `.spec`, `k:{…}` kept as is). */
function leaves(set: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(set)) {
    if (k === '.') continue;
    const seg = k.startsWith('f:') ? `.${k.slice(2)}` : `[${k}]`;
    const child = v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
    const keys = Object.keys(child).filter((c) => c !== '.');
    if (keys.length === 0) out.push(prefix + seg);
    else out.push(...leaves(child, prefix + seg));
  }
  return out;
}
