/**
 * The little schema knowledge the test API server needs: which lists are associative (merged by
 * key in strategic merge patches and tracked per item by server-side apply) and which are atomic.
 * The real apiserver takes this from the OpenAPI `x-kubernetes-list-type`/`-list-map-keys` and
 * `x-kubernetes-patch-merge-key` markers; here it is keyed by the list's field name, which is
 * enough for the objects Berth writes (containers, ports, env, volumes, volumeMounts, ...).
 */
import { isObj, type Obj } from './json';

/** The key fields of an item of an associative list named `field`, or undefined when the list is atomic. */
export function listKeyFields(field: string, item: unknown): string[] | undefined {
  if (!isObj(item)) return undefined;
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
    case 'secrets':
      return ['name'];
    case 'volumeMounts':
    case 'volumeDevices':
      return ['mountPath'];
    case 'ownerReferences':
      return ['uid'];
    case 'conditions':
      return ['type'];
    case 'ports':
      // Container ports are keyed by containerPort+protocol, Service ports by port+protocol.
      return 'containerPort' in item ? ['containerPort', 'protocol'] : ['port', 'protocol'];
    default:
      return undefined;
  }
}

/** The key of an item (protocol defaults to TCP as the apiserver defaults it before keying). */
export function itemKey(keyFields: string[], item: Obj): Obj {
  const key: Obj = {};
  for (const f of [...keyFields].sort()) {
    key[f] = item[f] ?? (f === 'protocol' ? 'TCP' : null);
  }
  return key;
}

/** Whether two items of an associative list are the same item. */
export function sameItem(keyFields: string[], a: Obj, b: Obj): boolean {
  return JSON.stringify(itemKey(keyFields, a)) === JSON.stringify(itemKey(keyFields, b));
}
