/** The resources the test API server serves, as discovery (`/api/v1`, `/apis/{group}/{version}`) lists them. */

/** One served resource. */
export interface ResourceType {
  group: string;
  version: string;
  /** Plural, lower case: the path segment. */
  resource: string;
  kind: string;
  namespaced: boolean;
  /** Has a `/status` subresource: writes to the main resource ignore `status`, and the reverse. */
  status: boolean;
  shortNames?: string[];
}

const core = (
  resource: string,
  kind: string,
  namespaced: boolean,
  status = false,
  shortNames?: string[],
): ResourceType => ({
  group: '',
  version: 'v1',
  resource,
  kind,
  namespaced,
  status,
  ...(shortNames ? { shortNames } : {}),
});

/** Every resource the server stores. */
export const resourceTypes: ResourceType[] = [
  core('namespaces', 'Namespace', false, true, ['ns']),
  core('nodes', 'Node', false, true, ['no']),
  core('pods', 'Pod', true, true, ['po']),
  core('services', 'Service', true, true, ['svc']),
  core('endpoints', 'Endpoints', true, false, ['ep']),
  core('secrets', 'Secret', true),
  core('configmaps', 'ConfigMap', true, false, ['cm']),
  core('persistentvolumeclaims', 'PersistentVolumeClaim', true, true, ['pvc']),
  core('events', 'Event', true, false, ['ev']),
  core('resourcequotas', 'ResourceQuota', true, true, ['quota']),
  core('limitranges', 'LimitRange', true, false, ['limits']),
  core('serviceaccounts', 'ServiceAccount', true, false, ['sa']),
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    status: true,
    shortNames: ['deploy'],
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    namespaced: true,
    status: true,
    shortNames: ['rs'],
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'daemonsets',
    kind: 'DaemonSet',
    namespaced: true,
    status: true,
    shortNames: ['ds'],
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
    status: false,
    shortNames: ['netpol'],
  },
  ...(
    [
      ['roles', 'Role', true],
      ['rolebindings', 'RoleBinding', true],
      ['clusterroles', 'ClusterRole', false],
      ['clusterrolebindings', 'ClusterRoleBinding', false],
    ] as const
  ).map(([resource, kind, namespaced]) => ({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource,
    kind,
    namespaced,
    status: false,
  })),
];

/** `apps/v1` or `v1`. */
export const groupVersion = (t: { group: string; version: string }) =>
  t.group ? `${t.group}/${t.version}` : t.version;

/** The resource a group/version serves under a path segment. */
export function findResource(group: string, version: string, resource: string): ResourceType | undefined {
  return resourceTypes.find((t) => t.group === group && t.version === version && t.resource === resource);
}

/** The resource of an apiVersion/kind. */
export function findKind(apiVersion: string, kind: string): ResourceType | undefined {
  return resourceTypes.find((t) => groupVersion(t) === apiVersion && t.kind === kind);
}

/** Extra subresources discovery lists (so clients find them), per resource. */
export const subresources: Record<string, { name: string; kind: string; verbs: string[] }[]> = {
  pods: [
    { name: 'log', kind: 'Pod', verbs: ['get'] },
    { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
    { name: 'ephemeralcontainers', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
  ],
  deployments: [{ name: 'scale', kind: 'Scale', verbs: ['get', 'patch', 'update'] }],
};
