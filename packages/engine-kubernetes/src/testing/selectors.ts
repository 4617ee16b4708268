/**
 * Label and field selectors of the test API server, parsed as the apiserver parses them
 * (k8s.io/apimachinery/pkg/labels and pkg/fields): a bad selector is a 400 BadRequest, a field
 * the kind does not index is a 400 too ("field label not supported"), so an engine that relies on
 * a selector the real apiserver refuses fails here as well.
 */
import { ApiError } from './status';
import { getPath, text, type Obj } from './json';

/** One requirement of a label selector. */
interface LabelRequirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!exists';
  values: string[];
}

/** A parsed label selector: every requirement must hold. */
export type LabelSelector = LabelRequirement[];

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((p) => p.trim()).filter((p) => p !== '');
}

const badSelector = (sel: string, why: string) =>
  new ApiError(400, 'BadRequest', `unable to parse requirement: ${why} (selector "${sel}")`);

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`. */
export function parseLabelSelector(sel: string | null | undefined): LabelSelector {
  if (!sel) return [];
  return splitTop(sel).map((part): LabelRequirement => {
    let m = /^!\s*([\w./-]+)$/.exec(part);
    if (m) return { key: m[1]!, op: '!exists', values: [] };
    m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      const values = m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      return { key: m[1]!, op: m[2] as 'in' | 'notin', values };
    }
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(part);
    if (m) return { key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] };
    m = /^([\w./-]+)$/.exec(part);
    if (m) return { key: m[1]!, op: 'exists', values: [] };
    throw badSelector(sel, `cannot parse "${part}"`);
  });
}

/** Whether `labels` satisfy the selector (notin and != also hold when the label is absent). */
export function matchLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
    }
  });
}

/** A LabelSelector object (matchLabels + matchExpressions) as a parsed selector. */
export function fromLabelSelectorObject(sel: unknown): LabelSelector {
  const out: LabelSelector = [];
  if (!sel || typeof sel !== 'object') return out;
  const s = sel as { matchLabels?: Record<string, string>; matchExpressions?: Obj[] };
  for (const [key, value] of Object.entries(s.matchLabels ?? {}))
    out.push({ key, op: 'in', values: [value] });
  for (const e of s.matchExpressions ?? []) {
    const key = String(e.key);
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    const op = String(e.operator);
    if (op === 'In') out.push({ key, op: 'in', values });
    else if (op === 'NotIn') out.push({ key, op: 'notin', values });
    else if (op === 'Exists') out.push({ key, op: 'exists', values: [] });
    else if (op === 'DoesNotExist') out.push({ key, op: '!exists', values: [] });
  }
  return out;
}

/** One requirement of a field selector. */
interface FieldRequirement {
  field: string;
  equal: boolean;
  value: string;
}

/** A parsed field selector. */
export type FieldSelector = FieldRequirement[];

/** Fields every kind indexes, and the extra ones per resource (as the apiserver's field label conversion funcs). */
const commonFields = ['metadata.name', 'metadata.namespace'];
const extraFields: Record<string, string[]> = {
  pods: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  events: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  secrets: ['type'],
  namespaces: ['status.phase'],
  nodes: ['spec.unschedulable'],
  replicasets: ['status.replicas'],
};

/** Parses `metadata.name=x,spec.nodeName!=y` for a resource; unsupported fields are refused. */
export function parseFieldSelector(sel: string | null | undefined, resource: string): FieldSelector {
  if (!sel) return [];
  const allowed = [...commonFields, ...(extraFields[resource] ?? [])];
  return splitTop(sel).map((part) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw badSelector(sel, `invalid field selector "${part}"`);
    if (!allowed.includes(m[1]!)) {
      throw new ApiError(400, 'BadRequest', `field label not supported: ${m[1]!} (resource ${resource})`);
    }
    return { field: m[1]!, equal: m[2] !== '!=', value: m[3]!.trim() };
  });
}

/** Whether an object satisfies the field selector (a missing field is the empty string). */
export function matchFields(selector: FieldSelector, obj: Obj): boolean {
  return selector.every((r) => {
    // An event's `source` field label is its source.component (the apiserver's conversion func).
    const path = r.field === 'source' ? ['source', 'component'] : r.field.split('.');
    const v = getPath(obj, path);
    const s = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : text(v);
    return r.equal ? s === r.value : s !== r.value;
  });
}
