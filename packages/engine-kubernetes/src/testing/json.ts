/** Plain-JSON helpers of the test API server: objects are kept as parsed JSON, never as classes. */

/** A JSON object. */
export type Obj = Record<string, unknown>;

/** Whether a value is a JSON object (not an array, not null). */
export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy, so what a client gets can never alias what the server stores. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Deep equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** The value at a path of keys, or undefined. */
export function getPath(obj: unknown, path: string[]): unknown {
  let cur: unknown = obj;
  for (const k of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** The object at a path, created (as {}) where missing. */
export function ensureObj(obj: Obj, path: string[]): Obj {
  let cur = obj;
  for (const k of path) {
    const next = cur[k];
    if (isObj(next)) cur = next;
    else {
      const created: Obj = {};
      cur[k] = created;
      cur = created;
    }
  }
  return cur;
}

/** The metadata of an object (created when missing). */
export function meta(obj: Obj): Obj & {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
} {
  return ensureObj(obj, ['metadata']);
}

/** A string member of an object, or undefined. */
export function str(obj: unknown, ...path: string[]): string | undefined {
  const v = getPath(obj, path);
  return typeof v === 'string' ? v : undefined;
}

/** A number member of an object, or undefined. */
export function num(obj: unknown, ...path: string[]): number | undefined {
  const v = getPath(obj, path);
  return typeof v === 'number' ? v : undefined;
}

/** An array member of an object (objects only), or []. */
export function objs(obj: unknown, ...path: string[]): Obj[] {
  const v = getPath(obj, path);
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** A string map member (labels, annotations, matchLabels), or {}. */
export function strMap(obj: unknown, ...path: string[]): Record<string, string> {
  const v = getPath(obj, path);
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** JSON.parse typed as unknown (never any). */
export function parseJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}

/** A scalar as text ('' for objects, arrays, null and undefined). */
export function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}
