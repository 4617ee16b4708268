import { z } from 'zod';
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

export const clusterKinds = ['podman'] as const;
export const clusterKindSchema = z.enum(clusterKinds, {
  message: 'must be "podman" (the only kind so far)',
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

const labelKeyPattern = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/;
export const clusterLabelsSchema = z
  .record(
    z.string().regex(labelKeyPattern, 'label keys are lowercase letters, digits, ".", "_", "/", "-" (≤ 63)'),
    z.string().max(63, 'label values must be at most 63 characters'),
  )
  .refine((r) => Object.keys(r).length <= 32, 'at most 32 labels');

/** Credentials to reach an ssh endpoint; write-only (responses say only `hasCredentials`). */
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
  })
  .strict();
export type ClusterCredentials = z.output<typeof clusterCredentialsSchema>;

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
  })
  .strict();
export type CreateClusterRequest = z.output<typeof createClusterRequestSchema>;

/** JSON merge patch: absent keeps, null clears (credentials, labels). */
export const patchClusterRequestSchema = z
  .object({
    endpoint: endpointSchema.optional(),
    credentials: clusterCredentialsSchema.nullable().optional(),
    labels: z.record(z.string(), z.string().nullable()).nullable().optional(),
    publishAddress: publishAddressSchema.optional(),
    registry: registryAddressSchema.nullable().optional(),
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
