/**
 * Strings of a service's Manifests tab. Spread into the portal's dictionaries (i18n/en.ts,
 * i18n/zh-CN.ts); terms follow docs/glossary.md: manifests 资源清单, Kubernetes cluster
 * Kubernetes 集群, namespace 命名空间.
 */
export const manifestsEn = {
  'detail.tab.manifests': 'Manifests',
  'manifests.intro':
    "The Kubernetes objects Berth applies for this service's current release to a Kubernetes cluster, exactly as it sends them (server-side apply). Secret values are redacted.",
  'manifests.cluster': 'Kubernetes cluster',
  'manifests.cluster.otherEnv': '(not a cluster of this environment)',
  'manifests.namespace': 'Namespace',
  'manifests.objects': 'Objects ({count})',
  'manifests.col.kind': 'Kind',
  'manifests.col.name': 'Name',
  'manifests.col.apiVersion': 'API version',
  'manifests.yaml': 'YAML',
  'manifests.copy': 'Copy',
  'manifests.copied': 'The YAML is on the clipboard.',
  'manifests.copy.failed': 'The browser did not allow copying; select the text and copy it.',
  'manifests.download': 'Download',
  'manifests.empty':
    'Berth applies these objects when the service is placed on a Kubernetes cluster. No Kubernetes cluster is registered yet.',
  'manifests.empty.admin': 'Add one on the Clusters page.',
  'manifests.refused': 'Berth cannot show the objects for {cluster}',
} as const;
