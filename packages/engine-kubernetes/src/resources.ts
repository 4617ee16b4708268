/**
 * The kinds Berth reads and writes, with their REST paths and RBAC resource names. A fixed table
 * instead of discovery: Berth applies only what manifests.ts generates, and a kind missing here is
 * a programming error caught by the first apply in the tests, not a cluster's state.
 */
import type { KubeObject } from '@berth/engine-api';

export interface ResourceInfo {
  /** `/api/v1` or `/apis/<group>/<version>`. */
  prefix: string;
  /** The plural resource name (URL and RBAC). */
  plural: string;
  namespaced: boolean;
  /** The RBAC resource name with its group (`deployments.apps`), for messages. */
  rbac: string;
}

const core = (plural: string, namespaced = true): ResourceInfo => ({
  prefix: '/api/v1',
  plural,
  namespaced,
  rbac: plural,
});
const grouped = (group: string, version: string, plural: string): ResourceInfo => ({
  prefix: `/apis/${group}/${version}`,
  plural,
  namespaced: true,
  rbac: `${plural}.${group}`,
});

const kinds: Record<string, ResourceInfo> = {
  'v1/Namespace': core('namespaces', false),
  'v1/Node': core('nodes', false),
  'v1/Pod': core('pods'),
  'v1/Service': core('services'),
  'v1/Secret': core('secrets'),
  'v1/ConfigMap': core('configmaps'),
  'v1/PersistentVolumeClaim': core('persistentvolumeclaims'),
  'v1/ResourceQuota': core('resourcequotas'),
  'v1/LimitRange': core('limitranges'),
  'v1/ServiceAccount': core('serviceaccounts'),
  'v1/Event': core('events'),
  'apps/v1/Deployment': grouped('apps', 'v1', 'deployments'),
  'apps/v1/ReplicaSet': grouped('apps', 'v1', 'replicasets'),
  'networking.k8s.io/v1/NetworkPolicy': grouped('networking.k8s.io', 'v1', 'networkpolicies'),
};

/** The table entry of `apiVersion`/`kind`; throws for a kind Berth does not handle. */
export function resourceOf(apiVersion: string, kind: string): ResourceInfo {
  const info = kinds[`${apiVersion}/${kind}`];
  if (!info) throw new Error(`engine-kubernetes does not handle ${apiVersion} ${kind} (resources.ts)`);
  return info;
}

/** The collection path of a kind (in a namespace when it is namespaced). */
export function collectionPath(info: ResourceInfo, namespace?: string): string {
  if (!info.namespaced) return `${info.prefix}/${info.plural}`;
  if (!namespace) return `${info.prefix}/${info.plural}`;
  return `${info.prefix}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`;
}

/** The path of one object. */
export function objectPath(info: ResourceInfo, name: string, namespace?: string): string {
  return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
}

/** The path of an object given as JSON. */
export function pathOfObject(obj: KubeObject): { info: ResourceInfo; path: string } {
  const info = resourceOf(obj.apiVersion, obj.kind);
  return { info, path: objectPath(info, obj.metadata.name, obj.metadata.namespace) };
}
