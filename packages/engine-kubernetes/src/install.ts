/**
 * `berth install manifests`: the objects that run Berth itself in a Kubernetes cluster
 * (docs/kubernetes-install.md). Pure: plain JSON objects, no I/O. The cluster's admin applies them
 * with kubectl after creating the Secrets they name (database URL, sealing key, gateway tokens),
 * which never appear here.
 *
 * - Namespace (`berth`, Pod Security "restricted") with the server: ServiceAccount `berth`, the
 *   least-rights ClusterRole and its binding, a Deployment and a Service.
 * - Namespace `<namespace>-gateway` (Pod Security "privileged": the gateway listens on the nodes'
 *   own network, which no other level allows) with the gateway agent as a DaemonSet on labelled
 *   nodes; its ServiceAccount has no rights and no token (the agent talks to Berth, not Kubernetes).
 */
import type { KubeObject } from '@berth/engine-api';
import { Document, isMap, isSeq } from 'yaml';

/** What `berth install manifests` takes. */
export interface InstallOptions {
  /** The namespace of the server (default `berth`); the gateway's is `<namespace>-gateway`. */
  namespace?: string;
  /**
   * Berth's image: a checkout of Berth at /opt/berth with its dependencies installed (`npm ci
   * --omit=dev`) and nginx for the gateway agent. Default `berth:latest`.
   */
  image?: string;
  /** The Secret holding `BERTH_DATABASE_URL` (PostgreSQL) and optionally `BERTH_ADMIN_PASSWORD`. */
  databaseSecret?: string;
  /** Nodes that run the gateway agent: `key=value` of a node label (default `berth.io/gateway=true`). */
  agentNodes?: string;
  /** Berth's URL as the gateway agents reach it (default the Service's in-cluster name). */
  serverUrl?: string;
  /** Where the gateway's Nginx listens on each gateway node (default `0.0.0.0:8080`). */
  agentListen?: string;
  /** Server replicas (default 1; more share the work through PostgreSQL's leader lease). */
  replicas?: number;
}

/** Defaults of InstallOptions, also shown by the CLI's help. */
export const installDefaults = {
  namespace: 'berth',
  image: 'berth:latest',
  databaseSecret: 'berth-database',
  agentNodes: 'berth.io/gateway=true',
  agentListen: '0.0.0.0:8080',
  replicas: 1,
  /** The Secret with the 32-byte key that seals secrets at rest (SecretBox), key `secret.key`. */
  secretKeySecret: 'berth-secret-key',
  /** The Secret with one gateway node token per gateway node: key = node name, value = `bgn_…`. */
  agentTokensSecret: 'berth-gateway-tokens',
} as const;

/** The server's port in the pod and the Service. */
const serverPort = 7080;
/** The non-root user Berth's containers run as. */
const uid = 65532;

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const labelKey = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** An image reference without spaces or shell characters: registry/path[:tag][@digest]. */
const imageRef = /^[a-z0-9][a-z0-9._\-/:@]{0,254}$/i;

/** One rule of Berth's ClusterRole and the Berth feature that needs it (printed as its comment). */
export interface RbacRule {
  why: string;
  rule: { apiGroups?: string[]; resources?: string[]; verbs: string[]; nonResourceURLs?: string[] };
}

const crud = ['get', 'list', 'watch', 'create', 'patch', 'delete'];

/**
 * The least rights Berth needs in a cluster it runs services on — the same list whether Berth
 * runs inside it (this ClusterRole) or registers it with a kubeconfig (bind the kubeconfig's user
 * to this ClusterRole). Never a wildcard. Kubernetes RBAC cannot say "only in namespaces Berth
 * created", so the namespaced rules hold cluster-wide (docs/kubernetes-install.md, "RBAC").
 */
export const berthRbacRules: readonly RbacRule[] = [
  {
    why: "a namespace per project and environment: created, labelled (server-side apply) and removed with it; listed by Berth's labels",
    rule: { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'create', 'patch', 'delete'] },
  },
  {
    why: 'containers list, history, failover: the pod watch (list + watch with bookmarks); destroy deletes one pod; out of rotation relabels it',
    rule: { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch', 'delete'] },
  },
  {
    why: 'the logs tab and `berth logs`: pods/log (follow, tail, since)',
    rule: { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  },
  {
    why: 'the web shell and exec health checks: pods/exec over WebSocket (create; clusters before 1.30 authorize the WebSocket upgrade as get)',
    rule: { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
  },
  {
    why: 'debug containers: an ephemeral container added to a pod (patch of its ephemeralcontainers subresource, as kubectl debug does)',
    rule: { apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['get', 'patch'] },
  },
  {
    why: "a service's Service, its secret variables (Secret), config files (ConfigMap), volumes (PVC) and the namespace's image pull secret: applied and garbage-collected by label",
    rule: {
      apiGroups: [''],
      resources: ['services', 'secrets', 'configmaps', 'persistentvolumeclaims'],
      verbs: crud,
    },
  },
  {
    why: "the namespace's walls from the project quota: ResourceQuota and LimitRange",
    rule: { apiGroups: [''], resources: ['resourcequotas', 'limitranges'], verbs: crud },
  },
  {
    why: "a service's Deployment: rollouts, scale, restart, rollback; its status is the rollout Berth follows",
    rule: { apiGroups: ['apps'], resources: ['deployments'], verbs: crud },
  },
  {
    why: "garbage collection keeps a config's ConfigMap while a ReplicaSet of a rollout still mounts it",
    rule: { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list', 'watch'] },
  },
  {
    why: 'the default-deny NetworkPolicy between projects (gateways let in)',
    rule: { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: crud },
  },
  {
    why: "the events tab: the namespace's core events (scheduling, pulls, probes)",
    rule: { apiGroups: [''], resources: ['events'], verbs: ['list', 'watch'] },
  },
  {
    why: 'cluster health and capacity (node conditions, allocatable) and NodePort addresses (node InternalIP)',
    rule: { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] },
  },
  {
    why: 'the stats tab and /metrics: pod CPU and memory from metrics-server, when the cluster has it',
    rule: { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: ['get', 'list'] },
  },
  {
    why: 'the cluster health check: readiness and version of the API server',
    rule: { nonResourceURLs: ['/readyz', '/livez', '/version'], verbs: ['get'] },
  },
];

function refuse(option: string, value: string, why: string): never {
  throw new Error(`${option} ${JSON.stringify(value)}: ${why}`);
}

/** `key=value` of a node label, checked as Kubernetes checks label keys and values. */
function parseNodeLabel(text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) refuse('--agent-nodes', text, 'write LABEL=VALUE, e.g. berth.io/gateway=true');
  const key = text.slice(0, i);
  const value = text.slice(i + 1);
  if (!labelKey.test(key)) refuse('--agent-nodes', text, 'the label key is not a valid Kubernetes label key');
  if (value.length > 63 || !labelValue.test(value))
    refuse('--agent-nodes', text, 'the label value is not a valid Kubernetes label value');
  return [key, value];
}

function resolve(opts: InstallOptions) {
  const o = {
    namespace: opts.namespace ?? installDefaults.namespace,
    image: opts.image ?? installDefaults.image,
    databaseSecret: opts.databaseSecret ?? installDefaults.databaseSecret,
    agentNodes: opts.agentNodes ?? installDefaults.agentNodes,
    agentListen: opts.agentListen ?? installDefaults.agentListen,
    replicas: opts.replicas ?? installDefaults.replicas,
    serverUrl: opts.serverUrl,
  };
  // the gateway's namespace appends "-gateway" (8 characters) to this one
  if (o.namespace.length > 55 || !dnsLabel.test(o.namespace))
    refuse('--namespace', o.namespace, 'must be a DNS label of at most 55 characters');
  if (!imageRef.test(o.image))
    refuse('--image', o.image, 'must be an image reference, e.g. registry.example.net/berth:0.1.0');
  if (o.databaseSecret.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.databaseSecret))
    refuse('--database-secret', o.databaseSecret, 'must be the name of a Secret (lowercase DNS name)');
  if (!/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\]):\d{1,5}$/i.test(o.agentListen))
    refuse('--agent-listen', o.agentListen, 'must be IP:PORT, e.g. 0.0.0.0:8080');
  if (!Number.isInteger(o.replicas) || o.replicas < 1 || o.replicas > 10)
    refuse('--replicas', String(o.replicas), 'must be a whole number from 1 to 10');
  const serverUrl = o.serverUrl ?? `http://berth.${o.namespace}.svc:${serverPort}`;
  if (!/^https?:\/\/[^\s"'`$\\]+$/.test(serverUrl))
    refuse('--server-url', serverUrl, 'must be an http(s) URL');
  return { ...o, serverUrl, nodeLabel: parseNodeLabel(o.agentNodes) };
}

const managedBy = { 'app.kubernetes.io/managed-by': 'berth-install', 'app.kubernetes.io/part-of': 'berth' };

/** The restricted container security context (Pod Security "restricted"). */
const restrictedContainer = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
};
const restrictedPod = {
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: uid,
  fsGroup: uid,
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * The objects of an install, in apply order. Throws an Error naming the option when one is not
 * valid (the CLI prints it).
 */
export function installManifests(opts: InstallOptions = {}): KubeObject[] {
  const o = resolve(opts);
  const ns = o.namespace;
  const gwNs = `${ns}-gateway`;
  const serverLabels = { ...managedBy, 'app.kubernetes.io/name': 'berth-server' };
  const agentLabels = {
    ...managedBy,
    'app.kubernetes.io/name': 'berth-gateway-agent',
    // the namespaces' default-deny NetworkPolicies let Berth's gateways in by this label
    'berth.io/gateway': 'true',
  };
  const podSecurity = (level: string) => ({
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/warn': 'restricted',
    'pod-security.kubernetes.io/audit': 'restricted',
  });
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { ...managedBy, ...podSecurity('restricted') } },
    },
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: gwNs,
        labels: { ...managedBy, ...podSecurity('privileged'), 'berth.io/gateway': 'true' },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'berth', namespace: ns, labels: serverLabels },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `berth-${ns}`, labels: managedBy },
      rules: berthRbacRules.map((r) => r.rule),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `berth-${ns}`, labels: managedBy },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `berth-${ns}` },
      subjects: [{ kind: 'ServiceAccount', name: 'berth', namespace: ns }],
    },
    serverDeployment(o, serverLabels),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'berth', namespace: ns, labels: serverLabels },
      spec: {
        type: 'ClusterIP',
        selector: { 'app.kubernetes.io/name': 'berth-server' },
        ports: [{ name: 'http', port: serverPort, targetPort: 'http', protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'berth-gateway-agent', namespace: gwNs, labels: agentLabels },
      automountServiceAccountToken: false,
    },
    agentDaemonSet(o, gwNs, agentLabels),
  ];
}

function serverDeployment(o: ReturnType<typeof resolve>, labels: Record<string, string>): KubeObject {
  const dataDir = '/var/lib/berth';
  const env = [
    { name: 'BERTH_LISTEN', value: `0.0.0.0:${serverPort}` },
    { name: 'BERTH_DATA_DIR', value: dataDir },
    {
      name: 'BERTH_DATABASE_URL',
      valueFrom: { secretKeyRef: { name: o.databaseSecret, key: 'BERTH_DATABASE_URL' } },
    },
    {
      // the first admin's password on the first start; without it Berth prints a generated one
      name: 'BERTH_ADMIN_PASSWORD',
      valueFrom: { secretKeyRef: { name: o.databaseSecret, key: 'BERTH_ADMIN_PASSWORD', optional: true } },
    },
    // the gateway is the DaemonSet below, not a local Nginx; a pod has no Podman: no built-in
    // cluster `local` (services run on registered clusters, e.g. this one as "in-cluster"), no
    // builds, and no embedded registry (its storage would be the replica's emptyDir)
    // (docs/kubernetes-install.md, "Without Podman")
    { name: 'BERTH_GATEWAY_LISTEN', value: 'off' },
    { name: 'BERTH_REGISTRY_LISTEN', value: 'off' },
    { name: 'BERTH_LOCAL_CLUSTER', value: 'off' },
  ];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'berth', namespace: o.namespace, labels },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'berth-server' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'berth',
          // in-cluster clusters use this token (endpoint "in-cluster")
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          securityContext: restrictedPod,
          terminationGracePeriodSeconds: 60,
          containers: [
            {
              name: 'berth',
              image: o.image,
              workingDir: '/opt/berth',
              command: ['node', '--import', 'tsx', 'packages/server/src/main.ts'],
              env,
              ports: [{ name: 'http', containerPort: serverPort, protocol: 'TCP' }],
              // GET /api/health answers once the store answers (`select 1`): ready means usable
              readinessProbe: {
                httpGet: { path: '/api/health', port: 'http' },
                periodSeconds: 10,
                timeoutSeconds: 5,
                failureThreshold: 3,
              },
              // migrations run before the listener opens: up to 5 minutes
              startupProbe: {
                httpGet: { path: '/api/health', port: 'http' },
                periodSeconds: 5,
                timeoutSeconds: 5,
                failureThreshold: 60,
              },
              // alive = the process answers; a database outage must not restart every replica
              livenessProbe: {
                tcpSocket: { port: 'http' },
                periodSeconds: 20,
                timeoutSeconds: 5,
                failureThreshold: 3,
              },
              resources: {
                requests: { cpu: '250m', memory: '512Mi' },
                limits: { memory: '1Gi' },
              },
              securityContext: restrictedContainer,
              volumeMounts: [
                { name: 'data', mountPath: dataDir },
                // the sealing key of every stored secret: the same for every replica and restart
                {
                  name: 'secret-key',
                  mountPath: `${dataDir}/secret.key`,
                  subPath: 'secret.key',
                  readOnly: true,
                },
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'run', mountPath: '/run/berth' },
              ],
            },
          ],
          volumes: [
            { name: 'data', emptyDir: {} },
            {
              name: 'secret-key',
              secret: { secretName: installDefaults.secretKeySecret, defaultMode: 0o400 },
            },
            { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
            { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
          ],
        },
      },
    },
  };
}

/** Where the DaemonSet mounts the gateway tokens Secret. */
const tokensDir = '/etc/berth-gateway-tokens';

/**
 * The agent's start: the node's own token from the tokens Secret, then the agent (docs/gateway.md,
 * "Nodes and berth-gateway-agent"). A node without a token says how to add one and exits.
 */
const agentScript = [
  'set -eu',
  `token_file="${tokensDir}/$NODE_NAME"`,
  `if [ ! -r "$token_file" ]; then echo "berth-gateway-agent: no token for node $NODE_NAME: run 'berth gateways node-add GATEWAY $NODE_NAME' and add the token as key $NODE_NAME of Secret ${installDefaults.agentTokensSecret}" >&2; exit 1; fi`,
  'BERTH_AGENT_TOKEN="$(cat "$token_file")"',
  'export BERTH_AGENT_TOKEN',
  'exec node packages/gateway-nginx/bin/berth-gateway-agent.mjs --prefix "$BERTH_AGENT_PREFIX" --nginx-listen "$BERTH_AGENT_LISTEN" --manage-nginx',
].join('\n');

function agentDaemonSet(
  o: ReturnType<typeof resolve>,
  ns: string,
  labels: Record<string, string>,
): KubeObject {
  const [nodeKey, nodeValue] = o.nodeLabel;
  const prefix = '/var/lib/berth-nginx';
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'berth-gateway-agent', namespace: ns, labels },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': 'berth-gateway-agent' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'berth-gateway-agent',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // the gateway serves on the node's own addresses (what DNS and load balancers point at)
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          nodeSelector: { [nodeKey]: nodeValue },
          securityContext: restrictedPod,
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: 'agent',
              image: o.image,
              workingDir: '/opt/berth',
              // each node is a gateway node of its own in Berth (`berth gateways node-add GATEWAY
              // NODE`): its token is the key named after the Kubernetes node in the tokens Secret.
              // A fixed script; the options reach it as environment variables only.
              command: ['sh', '-c', agentScript],
              env: [
                { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'BERTH_SERVER', value: o.serverUrl },
                { name: 'BERTH_AGENT_LISTEN', value: o.agentListen },
                { name: 'BERTH_AGENT_PREFIX', value: prefix },
              ],
              resources: {
                requests: { cpu: '100m', memory: '128Mi' },
                limits: { memory: '512Mi' },
              },
              securityContext: restrictedContainer,
              volumeMounts: [
                { name: 'prefix', mountPath: prefix },
                { name: 'tokens', mountPath: tokensDir, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'prefix', emptyDir: {} },
            { name: 'tokens', secret: { secretName: installDefaults.agentTokensSecret, defaultMode: 0o400 } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
}

/**
 * The install as multi-document YAML, each ClusterRole rule preceded by a comment naming the
 * Berth feature that needs it, so the output explains itself to whoever reviews it.
 */
export function installManifestsYaml(opts: InstallOptions = {}): string {
  const header = [
    '# Berth in a Kubernetes cluster (berth install manifests; docs/kubernetes-install.md).',
    '# Create these Secrets first (never part of this output):',
    `#   ${installDefaults.secretKeySecret} (key secret.key: 32 random bytes, base64) — seals stored secrets`,
    `#   ${opts.databaseSecret ?? installDefaults.databaseSecret} (key BERTH_DATABASE_URL: postgres://…; optional BERTH_ADMIN_PASSWORD)`,
    `#   ${installDefaults.agentTokensSecret} in the gateway namespace (one key per gateway node: its node token)`,
    '# The server runs without Podman (BERTH_LOCAL_CLUSTER=off): after its first start, register this',
    '# cluster and attach it to the environments, or services have nowhere to run:',
    '#   berth clusters create here --kind kubernetes --endpoint in-cluster',
    '#   berth envs set-clusters test here   (and each other environment)',
  ].join('\n');
  const docs = installManifests(opts).map((obj) => {
    const doc = new Document(obj);
    if (obj.kind === 'ClusterRole') {
      const rules = doc.get('rules', true);
      if (isSeq(rules))
        rules.items.forEach((item, i) => {
          if (isMap(item)) item.commentBefore = ` ${berthRbacRules[i]?.why ?? ''}`;
        });
    }
    return doc.toString({ lineWidth: 0 });
  });
  return `${header}\n${docs.map((d) => `---\n${d}`).join('')}`;
}
