/**
 * The namespace of a project's environment on a cluster and the walls around it: Pod Security
 * admission, a NetworkPolicy between projects, the quota, the container defaults and the image
 * pull secret (docs/kubernetes-objects.md).
 */
import type { KubeObject, NamespaceSpec } from '@berth/engine-api';
import { labelKeys } from '@berth/engine-api';
import { namespaceName, pullSecretName } from '../names';
import { cpuQuantity, kubeKeys, mebibytes, ownershipLabels } from './common';

/** Object names of the namespace's walls (one of each per namespace). */
export const namespaceObjectNames = {
  networkPolicy: 'berth-default-deny',
  quota: 'berth-quota',
  limitRange: 'berth-defaults',
  pullSecret: pullSecretName,
} as const;

/** The ownership labels of a namespace and of the objects that belong to it (no service). */
export function namespaceLabels(ns: Pick<NamespaceSpec, 'instance' | 'cluster' | 'project' | 'env'>) {
  return ownershipLabels({ instance: ns.instance, cluster: ns.cluster, project: ns.project, env: ns.env });
}

/**
 * The objects of a namespace, in apply order: the Namespace first (everything else lives in it),
 * then its walls. Objects a spec does not call for are left out (the engine deletes them by
 * their labels when a later spec drops them).
 */
export function namespaceObjects(ns: NamespaceSpec): KubeObject[] {
  const name = namespaceName(ns.project, ns.env, ns.namespacePrefix);
  const labels = namespaceLabels(ns);
  const meta = (n: string) => ({ name: n, namespace: name, labels });
  const out: KubeObject[] = [
    namespace(ns, name),
    networkPolicy(ns, meta(namespaceObjectNames.networkPolicy)),
  ];
  const q = quota(ns);
  if (q)
    out.push({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta(namespaceObjectNames.quota),
      spec: { hard: q },
    });
  const d = defaults(ns);
  if (d)
    out.push({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: meta(namespaceObjectNames.limitRange),
      // Requests equal limits, as for a service that sets its own (WorkloadSpec.cpu/memoryMiB).
      spec: { limits: [{ type: 'Container', default: d, defaultRequest: d }] },
    });
  if (ns.pullSecret)
    out.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(namespaceObjectNames.pullSecret),
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': base64(dockerConfigJson(ns.pullSecret)) },
    });
  return out;
}

function namespace(ns: NamespaceSpec, name: string): KubeObject {
  const level = ns.podSecurity ?? 'restricted';
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        ...namespaceLabels(ns),
        // Admission refuses a pod above the level (enforce); warn and audit at the same level
        // so `kubectl` users and the audit log see the same verdict.
        'pod-security.kubernetes.io/enforce': level,
        'pod-security.kubernetes.io/warn': level,
        'pod-security.kubernetes.io/audit': level,
      },
    },
  };
}

/**
 * Ingress only from the namespace itself, from the other environments of the same project (on
 * this Berth instance), from Berth's gateways and from the gateway nodes outside the cluster.
 * Pods of other projects are denied.
 *
 * Egress is not restricted: services resolve names (cluster DNS), pull nothing themselves but
 * call registries, databases and APIs outside the cluster whose addresses Berth cannot know.
 *
 * Gateway pods are recognised by `berth.io/gateway: "true"` on their namespace or on the pod.
 * A tenant cannot forge the pod label: Berth drops every `berth.*` key from a service's labels
 * (`userLabels`) and tenants have no API access to the cluster. A gateway on the host network
 * (the install's DaemonSet) is usually seen as its node's address, which no selector matches:
 * its nodes belong in `gatewayCidrs` (docs/kubernetes-objects.md).
 */
function networkPolicy(ns: NamespaceSpec, metadata: KubeObject['metadata']): KubeObject {
  const gateway = { [kubeKeys.gateway]: 'true' };
  const from: Record<string, unknown>[] = [
    { podSelector: {} },
    {
      namespaceSelector: {
        matchLabels: {
          [kubeKeys.managedBy]: 'berth',
          [labelKeys.instance]: ns.instance,
          [labelKeys.project]: ns.project,
        },
      },
    },
    { namespaceSelector: { matchLabels: gateway } },
    { namespaceSelector: {}, podSelector: { matchLabels: gateway } },
    ...(ns.gatewayCidrs ?? []).map((cidr) => ({ ipBlock: { cidr } })),
  ];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata,
    spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from }] },
  };
}

/**
 * The ResourceQuota's `hard` from the project's quota: only the dimensions that are set (null is
 * unlimited); undefined when none is. Limits and requests get the same number because Berth's
 * containers request what they limit.
 */
function quota(ns: NamespaceSpec): Record<string, string> | undefined {
  const { cpu, memoryMiB, replicas, volumesGiB } = ns.quota;
  const hard: Record<string, string> = {};
  if (cpu !== null) hard['limits.cpu'] = hard['requests.cpu'] = cpuQuantity(cpu);
  if (memoryMiB !== null) hard['limits.memory'] = hard['requests.memory'] = mebibytes(memoryMiB);
  if (replicas !== null) hard.pods = String(replicas);
  if (volumesGiB !== null) hard['requests.storage'] = `${volumesGiB}Gi`;
  return Object.keys(hard).length > 0 ? hard : undefined;
}

/** The LimitRange's per-container defaults; undefined when the project sets none. */
function defaults(ns: NamespaceSpec): Record<string, string> | undefined {
  const d: Record<string, string> = {};
  if (ns.defaults.cpu !== null) d.cpu = cpuQuantity(ns.defaults.cpu);
  if (ns.defaults.memoryMiB !== null) d.memory = mebibytes(ns.defaults.memoryMiB);
  return Object.keys(d).length > 0 ? d : undefined;
}

/** The `.dockerconfigjson` of one registry credential (what `kubectl create secret docker-registry` writes). */
function dockerConfigJson(c: NonNullable<NamespaceSpec['pullSecret']>): string {
  const auth = base64(`${c.username}:${c.password}`);
  return JSON.stringify({ auths: { [c.registry]: { username: c.username, password: c.password, auth } } });
}

function base64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}
