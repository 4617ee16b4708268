/**
 * Server-side apply and `metadata.managedFields` (server-side-apply docs, "Field management"),
 * modelled at leaf granularity:
 * - a manager's field set is the leaves of what it applied (or changed, for an Update), with
 *   associative lists (containers, ports, env, volumes, ... see schema.ts) tracked per item as
 *   `k:{"name":"app"}` with a `.` entry for the item itself — the fieldsV1 format of the apiserver;
 * - Apply: a leaf another manager owns with a different live value is a conflict (409, one cause per
 *   field, naming the manager) unless `force`, which takes the field over; leaves the manager applied
 *   before and no longer applies are removed when no other manager owns them;
 * - Update (POST/PUT/PATCH): the updater takes the leaves it changed away from every other manager.
 * Not modelled: `x-kubernetes-map-type: atomic` structs, sets (`x-kubernetes-list-type: set`),
 * version conversion of field sets, client-sent managedFields (they are ignored, the server keeps its own).
 */
import { ApiError } from './status';
import { clone, deepEqual, isObj, text, type Obj } from './json';
import { itemKey, listKeyFields, sameItem } from './schema';

/** Metadata fields the server owns, never part of a field set. */
const serverMetadata = new Set([
  'name',
  'namespace',
  'generateName',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

/** A path of fieldsV1 tokens ("f:spec", "k:{...}", ".") serialized as a set member. */
type PathKey = string;

/** One field set: path → live value at that path. */
type FieldSet = Map<PathKey, unknown>;

function walk(value: unknown, field: string, path: string[], out: FieldSet): void {
  if (isObj(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      walk(v, k, [...path, `f:${k}`], out);
    }
    return;
  }
  const keyFields = Array.isArray(value) ? listKeyFields(field, value[0]) : undefined;
  if (Array.isArray(value) && keyFields && value.every(isObj)) {
    for (const item of value) {
      const itemPath = [...path, `k:${JSON.stringify(itemKey(keyFields, item))}`];
      out.set(JSON.stringify([...itemPath, '.']), true);
      for (const [k, v] of Object.entries(item)) {
        if (v === undefined) continue;
        walk(v, k, [...itemPath, `f:${k}`], out);
      }
    }
    return;
  }
  out.set(JSON.stringify(path), value);
}

/** The field set of an object: the main resource (no status) or the status subresource. */
export function fieldSet(obj: Obj, subresource?: string): FieldSet {
  const out: FieldSet = new Map();
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || v === undefined) continue;
    if ((k === 'status') !== (subresource === 'status')) continue;
    if (k === 'metadata' && isObj(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (serverMetadata.has(mk) || mv === undefined) continue;
        walk(mv, mk, ['f:metadata', `f:${mk}`], out);
      }
      continue;
    }
    walk(v, k, [`f:${k}`], out);
  }
  return out;
}

/** A field set's paths as the nested fieldsV1 object the apiserver stores. */
export function toFieldsV1(paths: Iterable<PathKey>): Obj {
  const root: Obj = {};
  for (const p of paths) {
    let cur = root;
    for (const tok of JSON.parse(p) as string[]) {
      const next = cur[tok];
      cur = isObj(next) ? next : (cur[tok] = {});
    }
  }
  return root;
}

/** The leaf paths of a fieldsV1 object. */
export function fromFieldsV1(tree: unknown, prefix: string[] = []): PathKey[] {
  if (!isObj(tree)) return [];
  const entries = Object.entries(tree);
  if (entries.length === 0) return prefix.length ? [JSON.stringify(prefix)] : [];
  return entries.flatMap(([k, v]) => fromFieldsV1(v, [...prefix, k]));
}

/** One entry of metadata.managedFields, with its field set as paths. */
interface Entry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  subresource?: string;
  paths: Set<PathKey>;
}

function readEntries(obj: Obj | undefined): Entry[] {
  const raw = isObj(obj?.metadata) ? obj.metadata.managedFields : undefined;
  if (!Array.isArray(raw)) return [];
  return raw.filter(isObj).map((e) => ({
    manager: text(e.manager),
    operation: e.operation === 'Apply' ? 'Apply' : 'Update',
    apiVersion: text(e.apiVersion),
    time: text(e.time),
    ...(typeof e.subresource === 'string' ? { subresource: e.subresource } : {}),
    paths: new Set(fromFieldsV1(e.fieldsV1)),
  }));
}

function writeEntries(obj: Obj, entries: Entry[]): void {
  const md = isObj(obj.metadata) ? obj.metadata : (obj.metadata = {});
  md.managedFields = entries
    .filter((e) => e.paths.size > 0)
    .map((e) => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: e.time,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(e.paths),
      ...(e.subresource ? { subresource: e.subresource } : {}),
    }));
}

const sameOwner = (e: Entry, manager: string, operation: string, subresource?: string) =>
  e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');

/** `.spec.template.spec.containers[name="app"].image`, as the apiserver prints a field in a conflict. */
export function fieldPathText(p: PathKey): string {
  let out = '';
  for (const tok of JSON.parse(p) as string[]) {
    if (tok === '.') continue;
    if (tok.startsWith('f:')) out += `.${tok.slice(2)}`;
    else if (tok.startsWith('k:')) {
      const key = JSON.parse(tok.slice(2)) as Obj;
      out += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    }
  }
  return out;
}

/** A manager as the apiserver names it in a conflict (fieldmanager/internal/conflict.go printManager). */
function printManager(e: Entry): string {
  const name =
    JSON.stringify(e.manager) + (e.subresource ? ` with subresource ${JSON.stringify(e.subresource)}` : '');
  return e.operation === 'Update' ? `${name} using ${e.apiVersion}` : name;
}

/** The conflict message of the apiserver (getConflictMessage): one line, or the fields grouped by manager. */
function conflictMessage(conflicts: { entry: Entry; path: PathKey }[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${printManager(c.entry)}: ${fieldPathText(c.path)}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const m = printManager(c.entry);
    byManager.set(m, [...(byManager.get(m) ?? []), fieldPathText(c.path)]);
  }
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${m}:`, ...byManager.get(m)!.map((p) => `- ${p}`));
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** Records an Update (create, replace, non-apply patch, status write) by `manager` in `next`'s managedFields. */
export function recordUpdate(
  prev: Obj | undefined,
  next: Obj,
  manager: string,
  apiVersion: string,
  now: string,
  subresource?: string,
): void {
  const entries = readEntries(prev);
  const before = prev ? fieldSet(prev, subresource) : new Map<PathKey, unknown>();
  const after = fieldSet(next, subresource);
  const changed = new Set<PathKey>();
  for (const [p, v] of after) if (!before.has(p) || !deepEqual(before.get(p), v)) changed.add(p);
  const gone = [...before.keys()].filter((p) => !after.has(p));
  for (const e of entries) {
    for (const p of gone) if ((e.subresource ?? '') === (subresource ?? '')) e.paths.delete(p);
    if (!sameOwner(e, manager, 'Update', subresource)) for (const p of changed) e.paths.delete(p);
  }
  if (changed.size > 0) {
    let mine = entries.find((e) => sameOwner(e, manager, 'Update', subresource));
    if (!mine) {
      mine = {
        manager,
        operation: 'Update',
        apiVersion,
        time: now,
        paths: new Set(),
        ...(subresource ? { subresource } : {}),
      };
      entries.push(mine);
    }
    for (const p of changed) mine.paths.add(p);
    mine.time = now;
    mine.apiVersion = apiVersion;
  }
  writeEntries(next, entries);
}

/** Merges an apply configuration into a live value (associative lists by key, the rest replaced). */
function applyMerge(live: unknown, cfg: unknown, field: string): unknown {
  if (isObj(cfg)) {
    const out: Obj = isObj(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(cfg)) {
      if (v === null || v === undefined) delete out[k];
      else out[k] = applyMerge(out[k], v, k);
    }
    return out;
  }
  if (Array.isArray(cfg)) {
    const keyFields = listKeyFields(field, cfg[0] ?? (Array.isArray(live) ? live[0] : undefined));
    if (!keyFields || !Array.isArray(live) || !cfg.every(isObj)) return clone(cfg);
    const out: unknown[] = live.map((x: unknown) => clone(x));
    for (const item of cfg) {
      const i = out.findIndex((x) => isObj(x) && sameItem(keyFields, x, item));
      if (i >= 0) out[i] = applyMerge(out[i], item, field);
      else out.push(clone(item));
    }
    return out;
  }
  return cfg;
}

/** Removes one path from an object (a `.` path removes the list item), pruning maps left empty. */
function removePath(obj: Obj, p: PathKey): void {
  const toks = JSON.parse(p) as string[];
  const itemRemoval = toks[toks.length - 1] === '.';
  const target = itemRemoval ? toks.slice(0, -1) : toks;
  const chain: { container: Obj | unknown[]; key: string | number }[] = [];
  let cur: unknown = obj;
  for (let i = 0; i < target.length; i++) {
    const tok = target[i]!;
    if (tok.startsWith('f:')) {
      if (!isObj(cur)) return;
      chain.push({ container: cur, key: tok.slice(2) });
      cur = cur[tok.slice(2)];
    } else if (tok.startsWith('k:')) {
      if (!Array.isArray(cur)) return;
      const key = JSON.parse(tok.slice(2)) as Obj;
      const fields = Object.keys(key);
      const idx = cur.findIndex(
        (x) => isObj(x) && JSON.stringify(itemKey(fields, x)) === JSON.stringify(key),
      );
      if (idx < 0) return;
      chain.push({ container: cur, key: idx });
      cur = cur[idx];
    }
  }
  const last = chain[chain.length - 1];
  if (!last) return;
  // A key field of an item stays while the item does; the item's `.` path removes it.
  if (!itemRemoval && target.length >= 2 && target[target.length - 2]!.startsWith('k:')) {
    const key = JSON.parse(target[target.length - 2]!.slice(2)) as Obj;
    if (String(last.key) in key) return;
  }
  if (Array.isArray(last.container)) last.container.splice(Number(last.key), 1);
  else delete last.container[String(last.key)];
  // Prune maps the removal emptied (never the root, never list items: those have their own `.`).
  for (let i = chain.length - 2; i >= 0; i--) {
    const { container, key } = chain[i]!;
    if (Array.isArray(container)) break;
    const v = container[String(key)];
    const empty = (isObj(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
    if (!empty) break;
    delete container[String(key)];
  }
}

/** The result of a server-side apply: the new object (managedFields set), or the same when nothing changed. */
export function serverSideApply(
  live: Obj | undefined,
  config: Obj,
  manager: string,
  force: boolean,
  now: string,
): Obj {
  const apiVersion = text(config.apiVersion);
  const entries = readEntries(live);
  const applied = fieldSet(config);
  const base = live ? clone(live) : {};
  const liveSet = live ? fieldSet(live) : new Map<PathKey, unknown>();
  const conflicts: { entry: Entry; path: PathKey }[] = [];
  for (const e of entries) {
    if (sameOwner(e, manager, 'Apply') || e.subresource) continue;
    for (const p of e.paths) {
      if (!applied.has(p) || !liveSet.has(p)) continue;
      if (deepEqual(liveSet.get(p), applied.get(p))) continue;
      conflicts.push({ entry: e, path: p });
    }
  }
  if (conflicts.length > 0 && !force) {
    throw new ApiError(409, 'Conflict', conflictMessage(conflicts), {
      name: isObj(config.metadata) ? text(config.metadata.name) : '',
      causes: conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with ${printManager(c.entry)}`,
        field: fieldPathText(c.path),
      })),
    });
  }
  for (const c of conflicts) c.entry.paths.delete(c.path);
  let mine = entries.find((e) => sameOwner(e, manager, 'Apply'));
  const previously = mine ? [...mine.paths] : [];
  // Fields this manager stopped applying go when nobody else (and nothing it still applies) holds them.
  const kept = (p: PathKey) => {
    const prefix = p.endsWith(',"."]') ? p.slice(0, -5) : p.slice(0, -1);
    const covers = (q: PathKey) => q === p || q.startsWith(prefix + ',');
    if ([...applied.keys()].some(covers)) return true;
    return entries.some(
      (e) => !sameOwner(e, manager, 'Apply') && !e.subresource && [...e.paths].some(covers),
    );
  };
  const metadataKeep = isObj(base.metadata) ? base.metadata : {};
  let next = base;
  for (const p of previously) if (!applied.has(p) && !kept(p)) removePath(next, p);
  const merged = applyMerge(next, stripServerFields(config), '');
  next = isObj(merged) ? merged : {};
  next.metadata = { ...metadataKeep, ...(isObj(next.metadata) ? next.metadata : {}) };
  if (!mine) {
    mine = { manager, operation: 'Apply', apiVersion, time: now, paths: new Set() };
    entries.push(mine);
  }
  const changedOwnership = previously.length !== applied.size || previously.some((p) => !applied.has(p));
  mine.paths = new Set(applied.keys());
  if (changedOwnership || conflicts.length > 0 || !live) mine.time = now;
  mine.apiVersion = apiVersion;
  writeEntries(next, entries);
  return next;
}

/** The apply configuration without what only the server sets. */
function stripServerFields(config: Obj): Obj {
  const out = clone(config);
  delete out.status;
  if (isObj(out.metadata)) {
    for (const k of serverMetadata) if (k !== 'name' && k !== 'namespace') delete out.metadata[k];
  }
  return out;
}
