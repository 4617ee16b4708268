import { z } from 'zod';
import { cidrSchema } from './gateway';
import { dnsLabelPattern } from './names';

/*
 * Clusters (issue 11): the places Berth runs containers. Platform admins register them; every
 * signed-in user reads them, but endpoints and credentials are shown to platform admins only.
 * The built-in cluster `local` is the configured Podman socket.
 */

/** The built-in cluster: the Podman socket Berth was started with. */
export const localClusterName = 'local';

export const clusterNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(40, 'must be at most 40 characters')
  .regex(
    dnsLabelPattern,
    'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit',
  );

/**
 * What a cluster is: `podman` (one Podman engine, reached at its libpod API socket) or
 * `kubernetes` (a Kubernetes API server; Kubernetes runs the replicas, docs/kubernetes-install.md).
 */
export const clusterKinds = ['podman', 'kubernetes'] as const;
export type ClusterKind = (typeof clusterKinds)[number];
export const clusterKindSchema = z.enum(clusterKinds, {
  message:
    'must be "podman" (a Podman API socket: unix:// or ssh://) or "kubernetes" (a Kubernetes API server: https://host:6443 or in-cluster)',
});

/**
 * The endpoint of a kubernetes cluster that Berth runs inside of: it uses the pod's service
 * account (token and CA mounted by Kubernetes) and the API server Kubernetes names in its
 * environment, so no kubeconfig is stored.
 */
export const inClusterEndpoint = 'in-cluster';

/**
 * How Berth's gateways reach the pods of a kubernetes cluster. `pod-ip`: the pods' own addresses
 * (the gateway nodes are in the cluster network: nodes of the cluster, or routed to its pod CIDR);
 * `node-port`: the nodes' InternalIP and the Service's NodePort (gateways outside the cluster
 * network). Kubernetes only.
 */
export const clusterExposures = ['pod-ip', 'node-port'] as const;
export type ClusterExposure = (typeof clusterExposures)[number];
export const clusterExposureSchema = z.enum(clusterExposures, {
  message:
    'must be "pod-ip" (the gateway nodes are in the cluster network) or "node-port" (they are not: they reach pods through the nodes\' NodePorts)',
});
/** Without an admin's word, gateways are assumed outside the cluster network: NodePorts always route. */
export const defaultClusterExposure: ClusterExposure = 'node-port';

/**
 * Addresses Berth's gateway nodes send from when they are outside the cluster network (or use
 * hostNetwork): the namespaces' default-deny NetworkPolicy lets them in. Kubernetes only.
 */
export const gatewayCidrsSchema = z.array(cidrSchema).max(32, 'at most 32 CIDRs');

/**
 * The prefix of a kubernetes cluster's namespaces (`<prefix>-<project>-<env>-<hash>`): two Berth
 * clusters registered on one API server (namespaces-as-clusters) need different ones, or their
 * namespaces collide. Empty (the default, and every cluster registered before it existed): no
 * prefix, `<project>-<env>-<hash>`. A DNS label of at most 40 characters, so the namespace name
 * (≤ 63) keeps room for the project, environment and hash. Set at registration, never changed:
 * a new prefix would be new namespaces, leaving the volumes' data in the old ones.
 */
export const maxNamespacePrefixLength = 40;
export function namespacePrefixProblem(prefix: string): string | null {
  if (prefix === '') return null;
  if (prefix.length > maxNamespacePrefixLength)
    return `must be at most ${maxNamespacePrefixLength} characters (it is ${prefix.length}): the namespace name \`<prefix>-<project>-<env>-<hash>\` must stay within Kubernetes' 63`;
  if (!/^[a-z]([a-z0-9-]*[a-z0-9])?$/.test(prefix))
    return 'must be a DNS label prefix: lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (Berth adds the "-"), e.g. "dc2" or "team-a"';
  return null;
}
export const namespacePrefixSchema = z
  .string()
  .max(200, `must be at most ${maxNamespacePrefixLength} characters`)
  .superRefine((v, ctx) => {
    const problem = namespacePrefixProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const clusterStates = ['ready', 'degraded', 'unreachable', 'unknown'] as const;
export type ClusterState = (typeof clusterStates)[number];

/**
 * Example endpoints, shown in errors. The endpoint grammar itself is engine-podman's
 * `parsePodmanEndpoint` (the code that opens it), so what validates is what connects.
 */
export const clusterEndpointExamples = [
  'unix:///run/podman/podman.sock',
  'ssh://berth@dc1-a.example.net:22/run/podman/podman.sock',
] as const;

/** Example endpoints of kubernetes clusters, shown in errors. */
export const kubernetesEndpointExamples = ['https://k8s.dc1.example.net:6443', inClusterEndpoint] as const;

/** Why a kubernetes endpoint is refused, or null: `in-cluster`, `https://host[:port]`, or http on loopback. */
export function kubernetesEndpointProblem(endpoint: string): string | null {
  if (endpoint === inClusterEndpoint) return null;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'must be the API server URL (https://host:6443) or "in-cluster"';
  }
  if (url.username || url.password) return 'must not carry credentials: put them in the kubeconfig';
  if (url.search || url.hash) return 'must not have a query or fragment';
  if (url.pathname !== '/' && url.pathname !== '')
    return 'must be the API server URL without a path (https://host:6443)';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (url.protocol === 'http:' && !loopback)
    return 'must use https (plain http only on a loopback address, e.g. `kubectl proxy` at http://127.0.0.1:8001)';
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return 'must be an https:// URL of the API server, or "in-cluster"';
  return null;
}

const labelKeyPattern = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/;
export const clusterLabelsSchema = z
  .record(
    z.string().regex(labelKeyPattern, 'label keys are lowercase letters, digits, ".", "_", "/", "-" (≤ 63)'),
    z.string().max(63, 'label values must be at most 63 characters'),
  )
  .refine((r) => Object.keys(r).length <= 32, 'at most 32 labels');

/**
 * Credentials to reach a cluster: ssh keys for a podman ssh:// endpoint, a kubeconfig for a
 * kubernetes one. Write-only (responses say only `hasCredentials`), sealed at rest.
 */
export const clusterCredentialsSchema = z
  .object({
    privateKey: z
      .string()
      .min(1, 'must not be empty: paste the PEM/OpenSSH private key')
      .max(16384, 'must be at most 16 KiB')
      .optional(),
    knownHosts: z
      .string()
      .min(1, 'must not be empty: a known_hosts line for the host')
      .max(65536, 'must be at most 64 KiB')
      .optional(),
    /**
     * A kubeconfig (YAML) of a kubernetes cluster: its current context's cluster and user, with
     * inline certificates and a token or client certificate. Checked deeply by the server.
     */
    kubeconfig: z
      .string()
      .min(1, 'must not be empty: paste the kubeconfig (YAML)')
      .max(65536, 'must be at most 64 KiB')
      .optional(),
  })
  .strict();
export type ClusterCredentials = z.output<typeof clusterCredentialsSchema>;

/** A field of a cluster request that does not fit its kind. */
export interface ClusterFieldProblem {
  path: (string | number)[];
  message: string;
}

/**
 * What a cluster's settings say that its kind refuses — one rule set for create (the request
 * schema) and update (the server, on the cluster as it would be after the change): a kubeconfig
 * only for kubernetes, ssh keys only for podman, a kubernetes cluster needs a kubeconfig unless
 * it is `in-cluster` (and takes none then), exposure and gateway CIDRs only for kubernetes, a
 * publish address only for podman. `credentials` are the ones the cluster would hold; the other
 * optional fields are what the request sets (undefined: not set).
 */
export function clusterKindProblems(
  kind: ClusterKind,
  c: {
    endpoint: string;
    credentials?: ClusterCredentials | null;
    exposure?: unknown;
    gatewayCidrs?: unknown;
    namespacePrefix?: unknown;
    publishAddress?: unknown;
  },
): ClusterFieldProblem[] {
  const out: ClusterFieldProblem[] = [];
  const creds = c.credentials ?? undefined;
  if (kind === 'podman') {
    if (creds?.kubeconfig !== undefined)
      out.push({
        path: ['credentials', 'kubeconfig'],
        message:
          'only for kind "kubernetes": a podman cluster takes ssh credentials (privateKey, knownHosts)',
      });
    if (c.exposure !== undefined && c.exposure !== null)
      out.push({
        path: ['exposure'],
        message: 'only for kind "kubernetes": a podman cluster publishes ports on its publishAddress',
      });
    if (c.gatewayCidrs !== undefined && c.gatewayCidrs !== null)
      out.push({
        path: ['gatewayCidrs'],
        message: 'only for kind "kubernetes" (its namespaces\' NetworkPolicies let these addresses in)',
      });
    if (c.namespacePrefix !== undefined && c.namespacePrefix !== null && c.namespacePrefix !== '')
      out.push({
        path: ['namespacePrefix'],
        message: 'only for kind "kubernetes" (the prefix of the namespaces Berth creates there)',
      });
    return out;
  }
  for (const key of ['privateKey', 'knownHosts'] as const)
    if (creds?.[key] !== undefined)
      out.push({
        path: ['credentials', key],
        message: 'only for podman clusters over ssh://: a kubernetes cluster takes credentials.kubeconfig',
      });
  if (c.publishAddress !== undefined)
    out.push({
      path: ['publishAddress'],
      message: "only for podman clusters: gateways reach a kubernetes cluster's pods as its exposure says",
    });
  const problem = kubernetesEndpointProblem(c.endpoint);
  if (problem)
    out.push({ path: ['endpoint'], message: `${problem} (e.g. ${kubernetesEndpointExamples.join(' or ')})` });
  const inCluster = c.endpoint === inClusterEndpoint;
  if (inCluster && creds?.kubeconfig !== undefined)
    out.push({
      path: ['credentials', 'kubeconfig'],
      message:
        'is not used with endpoint "in-cluster" (Berth uses its pod\'s service account): leave it out, or give the API server\'s URL',
    });
  if (!inCluster && !problem && creds?.kubeconfig === undefined)
    out.push({
      path: ['credentials', 'kubeconfig'],
      message:
        'is needed for a kubernetes cluster reached at a URL (or use endpoint "in-cluster" when Berth runs inside it)',
    });
  return out;
}

/**
 * Where a cluster's hosts publish container ports: an address of the host that the gateway nodes
 * and Berth's prober reach (`127.0.0.1` when they share the host, as the built-in cluster does).
 * Never every interface: a port published on 0.0.0.0 is reachable around the gateway. IPv4 only
 * (endpoints are written `address:port`).
 */
export const defaultPublishAddress = '127.0.0.1';
const ipv4 = z.ipv4();
export const publishAddressSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be an IPv4 address, e.g. 10.0.3.12')
  .refine(
    (v) => ipv4.safeParse(v).success,
    'must be the IPv4 address of the cluster host that the gateway nodes reach, e.g. 10.0.3.12 (not a name)',
  )
  .refine(
    (v) => v !== '0.0.0.0',
    'must be one address, not every interface: ports published on 0.0.0.0 are reachable around the gateway',
  )
  .refine((v) => !/^(22[4-9]|2[3-5]\d)\./.test(v), 'must not be a multicast or broadcast address');

/**
 * How a cluster reaches Berth's embedded registry, `host[:port]` (e.g. `registry.dc1.example.net`),
 * when its hosts cannot use the registry's own listen address. Images of the embedded registry are
 * pulled there under this name; TLS is verified unless the host is a loopback address.
 */
export const registryAddressSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .regex(
    /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/,
    'must be host[:port] without a scheme or path, lowercase, e.g. registry.dc1.example.net:5000',
  );

const endpointSchema = z.string().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters');

export const createClusterRequestSchema = z
  .object({
    name: clusterNameSchema,
    kind: clusterKindSchema.default('podman'),
    endpoint: endpointSchema,
    credentials: clusterCredentialsSchema.optional(),
    labels: clusterLabelsSchema.optional(),
    publishAddress: publishAddressSchema.optional(),
    registry: registryAddressSchema.optional(),
    /** Kubernetes only; default node-port. */
    exposure: clusterExposureSchema.optional(),
    /** Kubernetes only. */
    gatewayCidrs: gatewayCidrsSchema.optional(),
    /** Kubernetes only; default "" (no prefix). Set once: it cannot be changed later. */
    namespacePrefix: namespacePrefixSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const p of clusterKindProblems(c.kind, c))
      ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });
export type CreateClusterRequest = z.output<typeof createClusterRequestSchema>;

/** JSON merge patch: absent keeps, null clears (credentials, labels). */
export const patchClusterRequestSchema = z
  .object({
    endpoint: endpointSchema.optional(),
    credentials: clusterCredentialsSchema.nullable().optional(),
    labels: z.record(z.string(), z.string().nullable()).nullable().optional(),
    publishAddress: publishAddressSchema.optional(),
    registry: registryAddressSchema.nullable().optional(),
    /** Kubernetes only. */
    exposure: clusterExposureSchema.optional(),
    /** Kubernetes only; null clears. */
    gatewayCidrs: gatewayCidrsSchema.nullable().optional(),
    /** Refused unless unchanged: a cluster's namespace prefix is set at registration only. */
    namespacePrefix: z.string().max(200).optional(),
    version: z.number().int().min(1).optional(),
  })
  .strict();
export type PatchClusterRequest = z.output<typeof patchClusterRequestSchema>;

export interface ClusterCapacity {
  cpus: number;
  memoryBytes: number;
  /** Memory the host reports free plus what Berth's own containers may use (a host view). */
  allocatableMemoryBytes: number;
  used: { cpus: number; memoryBytes: number; containers: number };
}

/**
 * The last check of a cluster's registry address: whether the cluster's Podman reaches Berth's
 * embedded registry under the name the cluster uses for it (its `registry`, or the registry's own
 * address). `ok` null: not judged (the embedded registry did not answer Berth itself).
 */
export interface ClusterRegistryCheck {
  ok: boolean | null;
  /** The address checked, host[:port]. */
  registry: string;
  /** What was found; on a failure, what failed and how to fix it. */
  message: string;
  checkedAt: string;
}

export interface ClusterPlacement {
  project: string;
  env: string;
  service: string;
  containers: number;
}

export interface Cluster {
  name: string;
  kind: string;
  /** null for callers who are not platform admins. */
  endpoint: string | null;
  labels: Record<string, string>;
  /** The host address container ports are published on (what the gateways reach). */
  publishAddress: string;
  /** How this cluster reaches the embedded registry; null: at the registry's own address. */
  registry: string | null;
  /** Kubernetes: how the gateways reach its pods; null for podman clusters. */
  exposure: ClusterExposure | null;
  /** Kubernetes: gateway addresses its namespaces let in; empty for podman clusters. */
  gatewayCidrs: string[];
  /** Kubernetes: the prefix of its namespaces ("" none); null for podman clusters. */
  namespacePrefix: string | null;
  /**
   * The engine's version as the last check read it (Kubernetes: the API server's gitVersion);
   * null before a check read it.
   */
  engineVersion: string | null;
  cordoned: boolean;
  draining: boolean;
  state: ClusterState;
  message: string | null;
  latencyMs: number | null;
  lastCheckedAt: string | null;
  capacity: ClusterCapacity | null;
  /** The last registry check; null before one ran or with the embedded registry off. */
  registryCheck: ClusterRegistryCheck | null;
  /** Platform admins only; false for others. */
  hasCredentials: boolean;
  builtIn: boolean;
  /** GET of one cluster only. */
  placed?: ClusterPlacement[];
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  version: number;
  /**
   * Answers of create and update only: what was accepted but is probably wrong (a loopback
   * publish address on a cluster of another host).
   */
  warnings?: string[];
}

/** A state change seen by the health checker, or an admin's cordon/drain. */
export interface ClusterEvent {
  id: string;
  cluster: string;
  at: string;
  type: string;
  fromState: string | null;
  toState: string | null;
  message: string;
}

/** Environments name their clusters and their failover grace. */
export const envFailoverSchema = z
  .object({
    graceSeconds: z
      .number()
      .int('must be a whole number of seconds')
      .min(10, 'must be at least 10 seconds')
      .max(86400, 'must be at most 86400 seconds (a day)'),
  })
  .strict();

export const patchEnvRequestSchema = z
  .object({
    clusters: z
      .array(clusterNameSchema)
      .min(1, 'an environment needs at least one cluster')
      .max(100, 'at most 100 clusters')
      .optional(),
    failover: envFailoverSchema.optional(),
  })
  .strict();
export type PatchEnvRequest = z.output<typeof patchEnvRequestSchema>;

export interface Environment {
  name: string;
  displayName: string;
  clusters: string[];
  failover: { graceSeconds: number };
  createdAt: string;
}
