/**
 * The three non-apply patch types the apiserver accepts: JSON merge patch (RFC 7386), strategic
 * merge patch (associative lists merged by key, `$patch: delete|replace` directives, null deletes)
 * and JSON patch (RFC 6902). Strategic merge covers what Berth and kubectl send (labels,
 * annotations, replicas, container images); `$retainKeys`, `$setElementOrder` and
 * `$deleteFromPrimitiveList` are accepted and ignored.
 */
import { ApiError } from './status';
import { clone, deepEqual, isObj, type Obj } from './json';
import { listKeyFields, sameItem } from './schema';

/** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Strategic merge patch of `target` with `patch` (field name decides how a list merges). */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const rest = { ...patch };
    delete rest.$patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    if (Array.isArray(v)) {
      const keyFields =
        listKeyFields(k, v[0]) ?? listKeyFields(k, Array.isArray(out[k]) ? out[k][0] : undefined);
      if (keyFields && Array.isArray(out[k])) {
        out[k] = mergeList(out[k] as unknown[], v, keyFields);
        continue;
      }
      out[k] = clone(v);
      continue;
    }
    const merged = strategicMergePatch(out[k], v);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  return out;
}

function mergeList(live: unknown[], patch: unknown[], keyFields: string[]): unknown[] {
  if (patch.some((p) => isObj(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObj(p) && p.$patch === 'replace')).map((p) => clone(p));
  }
  const out = live.map((x) => clone(x));
  for (const p of patch) {
    if (!isObj(p)) continue;
    const i = out.findIndex((x) => isObj(x) && sameItem(keyFields, x, p));
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = strategicMergePatch(out[i], p);
    else out.push(strategicMergePatch({}, p));
  }
  return out;
}

/** An RFC 6901 pointer as keys ("~1" is "/", "~0" is "~"). */
function pointer(p: unknown): string[] {
  if (typeof p !== 'string' || (p !== '' && !p.startsWith('/'))) {
    throw new ApiError(422, 'Invalid', `the json patch has an invalid path: ${String(p)}`);
  }
  return p === ''
    ? []
    : p
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, path: string[], op: string): { parent: Obj | unknown[]; key: string } {
  let cur: unknown = doc;
  for (const k of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(k)];
    else if (isObj(cur)) cur = cur[k];
    else cur = undefined;
    if (cur === undefined) {
      throw new ApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: ${op} operation does not apply: doc is missing path: /${path.join('/')}`,
      );
    }
  }
  if (!Array.isArray(cur) && !isObj(cur)) {
    throw new ApiError(
      422,
      'Invalid',
      `${op} operation does not apply: doc is missing path: /${path.join('/')}`,
    );
  }
  return { parent: cur, key: path[path.length - 1] ?? '' };
}

function readAt(doc: unknown, path: string[]): unknown {
  let cur = doc;
  for (const k of path) {
    if (Array.isArray(cur)) cur = cur[Number(k)];
    else if (isObj(cur)) cur = cur[k];
    else return undefined;
  }
  return cur;
}

function removeAt(doc: unknown, path: string[], op: string): unknown {
  const { parent, key } = parentOf(doc, path, op);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length))
      throw new ApiError(
        422,
        'Invalid',
        `${op} operation does not apply: index out of range: /${path.join('/')}`,
      );
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent))
    throw new ApiError(
      422,
      'Invalid',
      `${op} operation does not apply: doc is missing key: /${path.join('/')}`,
    );
  const old = parent[key];
  delete parent[key];
  return old;
}

function addAt(doc: unknown, path: string[], value: unknown, replace: boolean): unknown {
  if (path.length === 0) return clone(value);
  const { parent, key } = parentOf(doc, path, replace ? 'replace' : 'add');
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!(i >= 0 && i <= parent.length))
      throw new ApiError(
        422,
        'Invalid',
        `add operation does not apply: index out of range: /${path.join('/')}`,
      );
    if (replace) parent[i] = clone(value);
    else parent.splice(i, 0, clone(value));
  } else {
    if (replace && !(key in parent))
      throw new ApiError(
        422,
        'Invalid',
        `replace operation does not apply: doc is missing key: /${path.join('/')}`,
      );
    parent[key] = clone(value);
  }
  return doc;
}

/** RFC 6902 operations applied in order; a failing `test` is 422 like the apiserver's. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw new ApiError(400, 'BadRequest', 'a JSON patch must be an array of operations');
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObj(raw)) throw new ApiError(400, 'BadRequest', 'a JSON patch operation must be an object');
    const path = pointer(raw.path);
    switch (raw.op) {
      case 'add':
        doc = addAt(doc, path, raw.value, false);
        break;
      case 'replace':
        doc = addAt(doc, path, raw.value, true);
        break;
      case 'remove':
        removeAt(doc, path, 'remove');
        break;
      case 'move': {
        const v = removeAt(doc, pointer(raw.from), 'move');
        doc = addAt(doc, path, v, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, readAt(doc, pointer(raw.from)), false);
        break;
      case 'test':
        if (!deepEqual(readAt(doc, path), raw.value)) {
          throw new ApiError(422, 'Invalid', `testing value /${path.join('/')} failed: test failed`);
        }
        break;
      default:
        throw new ApiError(400, 'BadRequest', `unexpected JSON patch operation ${JSON.stringify(raw.op)}`);
    }
  }
  return doc;
}
