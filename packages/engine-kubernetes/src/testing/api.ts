/**
 * The write semantics of the test API server, shared by its HTTP handlers and its controller
 * simulation: create (generateName, uid, 409 AlreadyExists), replace (optimistic concurrency on
 * `metadata.resourceVersion`: 409 Conflict when stale; none given = unconditional), the four patch
 * types, server-side apply, the status subresource kept apart from the main resource, `generation`
 * bumped on spec changes, no-op writes that keep the resourceVersion, and delete with graceful pod
 * termination, namespace termination and ownerReference garbage collection (Background,
 * Foreground, Orphan).
 */
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { ApiError, alreadyExists, notFound, staleConflict, success } from './status';
import { clone, deepEqual, isObj, num, objs, parseJson, str, text, type Obj } from './json';
import { applyDefaults, validate, type Allocators } from './defaults';
import { recordUpdate, serverSideApply } from './managed-fields';
import { jsonPatch, mergePatch, strategicMergePatch } from './patches';
import { groupVersion, resourceTypes, type ResourceType } from './resources';
import type { Store } from './store';

/** Who writes, and how. */
export interface WriteOptions {
  /** The field manager (fieldManager parameter, else the client's user agent). */
  manager: string;
  dryRun?: boolean;
  /** `status` for the status subresource. */
  subresource?: string;
  /** A write of the controller simulation: pod spec immutability is not enforced (the scheduler binds). */
  internal?: boolean;
}

/** How to delete. */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

const nsKind = resourceTypes.find((t) => t.kind === 'Namespace')!;
const letters = 'bcdfghjklmnpqrstvwxz2456789';

/** Five random characters, the apiserver's generateName suffix alphabet. */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += letters[Math.floor(Math.random() * letters.length)];
  return s;
}

/** The semantic layer over the store. */
export class Api {
  /** Called when a namespace starts terminating (the controller simulation empties it). */
  onNamespaceTerminating: (name: string) => void = () => {};

  constructor(
    readonly store: Store,
    private readonly clock: () => number,
    private readonly alloc: Allocators,
  ) {}

  /** The current time as the apiserver writes timestamps (RFC 3339, seconds). */
  timestamp(offsetSeconds = 0): string {
    return new Date(this.clock() + offsetSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** A stored object, or 404 NotFound. */
  read(rt: ResourceType, namespace: string, name: string): Obj {
    const o = this.store.get(rt, namespace, name);
    if (!o) throw notFound(rt.resource, rt.group, name);
    return o;
  }

  private checkNamespace(rt: ResourceType, namespace: string, creating: boolean): void {
    if (!rt.namespaced) return;
    const ns = this.store.get(nsKind, '', namespace);
    if (!ns) throw notFound('namespaces', '', namespace);
    if (creating && ns.metadata && isObj(ns.metadata) && ns.metadata.deletionTimestamp) {
      throw new ApiError(
        403,
        'Forbidden',
        `${rt.resource} "${str(ns, 'metadata', 'name') ?? ''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }

  private normalize(rt: ResourceType, namespace: string, body: unknown, urlName?: string): Obj {
    if (!isObj(body)) throw new ApiError(400, 'BadRequest', 'the request body must be a JSON object');
    const obj = clone(body);
    if (obj.kind !== undefined && obj.kind !== rt.kind) {
      throw new ApiError(
        400,
        'BadRequest',
        `the kind of the object (${text(obj.kind)}) does not match the resource ${rt.resource} (${rt.kind})`,
      );
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== groupVersion(rt)) {
      throw new ApiError(
        400,
        'BadRequest',
        `the API version in the data (${text(obj.apiVersion)}) does not match the expected API version (${groupVersion(rt)})`,
      );
    }
    obj.apiVersion = groupVersion(rt);
    obj.kind = rt.kind;
    const md = isObj(obj.metadata) ? obj.metadata : (obj.metadata = {});
    if (rt.namespaced) {
      if (md.namespace !== undefined && md.namespace !== '' && md.namespace !== namespace) {
        throw new ApiError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      md.namespace = namespace;
    } else delete md.namespace;
    if (urlName !== undefined) {
      if (md.name !== undefined && md.name !== urlName) {
        throw new ApiError(
          400,
          'BadRequest',
          `the name of the object (${text(md.name)}) does not match the name on the URL (${urlName})`,
        );
      }
      md.name = urlName;
    }
    return obj;
  }

  /** POST: creates an object (409 AlreadyExists when the name is taken). */
  create(rt: ResourceType, namespace: string, body: unknown, o: WriteOptions): Obj {
    const obj = this.normalize(rt, namespace, body);
    const md = obj.metadata as Obj;
    if (!md.name && typeof md.generateName === 'string') {
      do md.name = `${md.generateName}${randomSuffix()}`;
      while (this.store.get(rt, namespace, String(md.name)));
    }
    if (md.resourceVersion)
      throw new ApiError(400, 'BadRequest', 'resourceVersion should not be set on objects to be created');
    return this.insert(rt, namespace, obj, o, true);
  }

  private insert(rt: ResourceType, namespace: string, obj: Obj, o: WriteOptions, record: boolean): Obj {
    const md = obj.metadata as Obj;
    this.checkNamespace(rt, namespace, true);
    if (this.store.get(rt, namespace, text(md.name)))
      throw alreadyExists(rt.resource, rt.group, String(md.name));
    md.uid = randomUUID();
    md.creationTimestamp = this.timestamp();
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
    if (rt.status && !o.internal) delete obj.status;
    if (isObj(obj.spec) && rt.status) md.generation = 1;
    this.initialStatus(rt, obj);
    applyDefaults(rt, obj, this.alloc);
    validate(rt, obj, undefined, o.internal ?? false);
    if (record) recordUpdate(undefined, obj, o.manager, groupVersion(rt), this.timestamp());
    if (o.dryRun) return obj;
    return this.store.put(rt, obj, 'ADDED');
  }

  private initialStatus(rt: ResourceType, obj: Obj): void {
    if (isObj(obj.status) && Object.keys(obj.status).length > 0) return;
    switch (rt.kind) {
      case 'Namespace':
        obj.status = { phase: 'Active' };
        break;
      case 'Pod':
        obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
        break;
      case 'Service':
        obj.status = { loadBalancer: {} };
        break;
      case 'PersistentVolumeClaim': {
        // No provisioner is modelled: a claim is Bound at once with what it asked for.
        const spec = isObj(obj.spec) ? obj.spec : {};
        obj.status = {
          phase: 'Bound',
          accessModes: spec.accessModes ?? ['ReadWriteOnce'],
          capacity: { storage: str(spec, 'resources', 'requests', 'storage') ?? '1Gi' },
        };
        if (isObj(obj.spec)) obj.spec.volumeName ??= `pvc-${String((obj.metadata as Obj).uid)}`;
        break;
      }
      case 'Deployment':
      case 'ReplicaSet':
        obj.status = {};
        break;
    }
  }

  /** Finishes an update: server-owned fields kept, defaults, validation, generation, managedFields, no-op detection. */
  private commit(rt: ResourceType, prev: Obj, next: Obj, o: WriteOptions, record: boolean): Obj {
    const pmd = prev.metadata as Obj;
    const md = isObj(next.metadata) ? next.metadata : (next.metadata = {});
    for (const k of [
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'generation',
      'name',
      'namespace',
    ]) {
      if (pmd[k] === undefined) delete md[k];
      else md[k] = pmd[k];
    }
    if (!record) {
      /* server-side apply wrote managedFields itself */
    } else md.managedFields = pmd.managedFields;
    if (o.subresource === 'status') {
      const onlyStatus = clone(prev);
      onlyStatus.status = next.status;
      (onlyStatus.metadata as Obj).managedFields = md.managedFields;
      next = onlyStatus;
    } else if (rt.status) {
      if (prev.status === undefined) delete next.status;
      else next.status = clone(prev.status);
    }
    applyDefaults(rt, next, this.alloc);
    validate(rt, next, prev, o.internal ?? false);
    const specOf = (x: Obj) =>
      Object.fromEntries(
        Object.entries(x).filter(([k]) => !['metadata', 'status', 'apiVersion', 'kind'].includes(k)),
      );
    if (pmd.generation !== undefined && !deepEqual(specOf(prev), specOf(next))) {
      (next.metadata as Obj).generation = (num(prev, 'metadata', 'generation') ?? 0) + 1;
    }
    if (record) recordUpdate(prev, next, o.manager, groupVersion(rt), this.timestamp(), o.subresource);
    const sameAs = (x: Obj) => {
      const c = clone(x);
      delete (c.metadata as Obj).resourceVersion;
      for (const e of objs(c, 'metadata', 'managedFields')) delete e.time;
      return c;
    };
    if (deepEqual(sameAs(prev), sameAs(next))) return prev;
    if (o.dryRun) return next;
    return this.store.put(rt, next, 'MODIFIED');
  }

  /** PUT: replaces an object; a stale `metadata.resourceVersion` is 409 Conflict. */
  replace(rt: ResourceType, namespace: string, name: string, body: unknown, o: WriteOptions): Obj {
    const obj = this.normalize(rt, namespace, body, name);
    const prev = this.read(rt, namespace, name);
    const rv = str(obj, 'metadata', 'resourceVersion');
    if (rv && rv !== str(prev, 'metadata', 'resourceVersion'))
      throw staleConflict(rt.resource, rt.group, name);
    return this.commit(rt, prev, obj, o, true);
  }

  /** PATCH with one of the four patch content types. */
  patch(
    rt: ResourceType,
    namespace: string,
    name: string,
    contentType: string,
    body: string,
    o: WriteOptions & { force?: boolean },
  ): Obj {
    if (contentType === 'application/apply-patch+yaml') return this.apply(rt, namespace, name, body, o);
    if (o.force)
      throw new ApiError(
        422,
        'Invalid',
        'force: Invalid value: true: may not be specified for non-apply patch',
      );
    const prev = this.read(rt, namespace, name);
    const patched = this.patchPreview(prev, contentType, body);
    const obj = this.normalize(rt, namespace, patched, name);
    const rv = str(obj, 'metadata', 'resourceVersion');
    if (rv && rv !== str(prev, 'metadata', 'resourceVersion'))
      throw staleConflict(rt.resource, rt.group, name);
    return this.commit(rt, prev, obj, o, true);
  }

  /** A non-apply patch applied to a copy of `target` (nothing stored). */
  patchPreview(target: Obj, contentType: string, body: string): unknown {
    let patchBody: unknown;
    try {
      patchBody = parseJson(body);
    } catch (e) {
      throw new ApiError(400, 'BadRequest', `the patch is not valid JSON: ${(e as Error).message}`);
    }
    const base = clone(target);
    if (contentType === 'application/merge-patch+json') return mergePatch(base, patchBody);
    if (contentType === 'application/strategic-merge-patch+json') return strategicMergePatch(base, patchBody);
    if (contentType === 'application/json-patch+json') return jsonPatch(base, patchBody);
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json',
    );
  }

  /** Server-side apply (creates when missing). */
  apply(
    rt: ResourceType,
    namespace: string,
    name: string,
    body: string,
    o: WriteOptions & { force?: boolean },
  ): Obj {
    if (!o.manager) {
      throw new ApiError(422, 'Invalid', 'fieldManager: Required value: is required for apply patch');
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(body) as unknown;
    } catch (e) {
      throw new ApiError(400, 'BadRequest', `error decoding YAML: ${(e as Error).message}`);
    }
    if (!isObj(parsed) || typeof parsed.apiVersion !== 'string' || typeof parsed.kind !== 'string') {
      throw new ApiError(400, 'BadRequest', 'apply configuration must be an object with apiVersion and kind');
    }
    const config = this.normalize(rt, namespace, parsed, name);
    const prev = this.store.get(rt, namespace, name);
    if (o.subresource === 'status')
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'apply to the status subresource is not modelled by the test API server',
      );
    const rv = str(config, 'metadata', 'resourceVersion');
    if (rv && prev && rv !== str(prev, 'metadata', 'resourceVersion'))
      throw staleConflict(rt.resource, rt.group, name);
    const next = serverSideApply(prev, config, o.manager, o.force ?? false, this.timestamp());
    next.apiVersion = groupVersion(rt);
    next.kind = rt.kind;
    if (!prev) return this.insert(rt, namespace, next, o, false);
    return this.commit(rt, prev, next, o, false);
  }

  /** DELETE: the response body (the object while it terminates, else the object or a Success Status). */
  delete(rt: ResourceType, namespace: string, name: string, d: DeleteOptions): Obj {
    const prev = this.read(rt, namespace, name);
    const pre = d.preconditions;
    if (pre?.uid && pre.uid !== str(prev, 'metadata', 'uid')) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${str(prev, 'metadata', 'uid') ?? ''}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== str(prev, 'metadata', 'resourceVersion')) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${str(prev, 'metadata', 'resourceVersion') ?? ''}`,
      );
    }
    if (d.dryRun) return prev;
    if (rt.kind === 'Namespace') {
      if (str(prev, 'metadata', 'deletionTimestamp')) return prev;
      const next = clone(prev);
      (next.metadata as Obj).deletionTimestamp = this.timestamp();
      next.status = { phase: 'Terminating' };
      const stored = this.store.put(rt, next, 'MODIFIED');
      this.onNamespaceTerminating(name);
      return stored;
    }
    if (rt.kind === 'Pod') {
      const grace = d.gracePeriodSeconds ?? num(prev, 'spec', 'terminationGracePeriodSeconds') ?? 30;
      const phase = str(prev, 'status', 'phase');
      const started = Boolean(str(prev, 'spec', 'nodeName')) && phase !== 'Succeeded' && phase !== 'Failed';
      if (grace > 0 && started) {
        const current = num(prev, 'metadata', 'deletionGracePeriodSeconds');
        if (current !== undefined && current <= grace) return prev;
        const next = clone(prev);
        const md = next.metadata as Obj;
        md.deletionTimestamp = this.timestamp(grace);
        md.deletionGracePeriodSeconds = grace;
        return this.store.put(rt, next, 'MODIFIED');
      }
    }
    const gone = this.removeNow(rt, prev, d.propagationPolicy ?? 'Background');
    return ['Pod', 'Service', 'Namespace'].includes(rt.kind)
      ? gone
      : success(name, rt.group, rt.resource, str(prev, 'metadata', 'uid') ?? '');
  }

  /** Objects whose ownerReferences name `owner`. */
  dependents(owner: Obj): { rt: ResourceType; obj: Obj }[] {
    const uid = str(owner, 'metadata', 'uid');
    const namespace = str(owner, 'metadata', 'namespace');
    const out: { rt: ResourceType; obj: Obj }[] = [];
    for (const rt of resourceTypes) {
      const all = this.store.peek({
        rt,
        labels: [],
        fields: [],
        ...(namespace && rt.namespaced ? { namespace } : {}),
      });
      for (const o of all)
        if (objs(o, 'metadata', 'ownerReferences').some((r) => r.uid === uid))
          out.push({ rt, obj: clone(o) });
    }
    return out;
  }

  private removeNow(rt: ResourceType, obj: Obj, policy: 'Background' | 'Foreground' | 'Orphan'): Obj {
    const deps = this.dependents(obj);
    const uid = str(obj, 'metadata', 'uid');
    if (policy === 'Orphan') {
      for (const { rt: drt, obj: dep } of deps) {
        const next = clone(dep);
        const md = next.metadata as Obj;
        md.ownerReferences = objs(dep, 'metadata', 'ownerReferences').filter((r) => r.uid !== uid);
        if ((md.ownerReferences as Obj[]).length === 0) delete md.ownerReferences;
        this.store.put(drt, next, 'MODIFIED');
      }
      return this.store.remove(rt, obj);
    }
    const collect = () => {
      for (const { rt: drt, obj: dep } of deps) {
        const name = str(dep, 'metadata', 'name') ?? '';
        const namespace = str(dep, 'metadata', 'namespace') ?? '';
        if (!this.store.get(drt, namespace, name)) continue;
        try {
          this.delete(drt, namespace, name, { propagationPolicy: policy });
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      }
    };
    if (policy === 'Foreground') {
      collect();
      return this.store.remove(rt, obj);
    }
    const gone = this.store.remove(rt, obj);
    collect();
    return gone;
  }

  /** Removes an object at once, whatever its kind (kubelet's final pod deletion, namespace contents). */
  forceRemove(rt: ResourceType, obj: Obj): Obj {
    return this.removeNow(rt, obj, 'Background');
  }
}
