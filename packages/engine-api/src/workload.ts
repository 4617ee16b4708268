/**
 * Workload engines (issue 14, docs/kubernetes.md, ADR 0007): engines that run a whole service
 * themselves — Kubernetes rolls a Deployment out — instead of being handed one container at a
 * time. Berth gives such an engine the desired state of a service on one cluster (a WorkloadSpec,
 * Berth's own types, already resolved: secrets opened, the user numeric, config files read) and
 * follows what the engine reports; it never creates or removes the replicas itself there.
 *
 * An engine that implements `WorkloadEngine` still implements the container methods of
 * `ContainerEngine` for what is one container by nature: listing, inspecting, logs, exec, stats,
 * events and destroying one replica (a pod on Kubernetes).
 */
import type { ClusterCapacity } from '@berth/shared';

/** How a probe of a workload is declared (the spec's liveness/readiness, defaults applied). */
export interface WorkloadProbe {
  type: 'http' | 'tcp' | 'exec';
  path?: string;
  port?: number;
  command?: string[];
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** A config mounted into the replicas: one ConfigMap per config version. */
export interface WorkloadConfigMount {
  /** The config's name in its project. */
  config: string;
  version: number;
  /** Absolute directory the files appear in. */
  path: string;
  /** File name → content (UTF-8 text or base64 for binary, see `binary`). */
  files: Record<string, string>;
  /** Names of `files` whose content is base64 (binary files). */
  binary?: string[];
}

/** A volume mounted into the replicas: one PersistentVolumeClaim per volume. */
export interface WorkloadVolumeMount {
  volume: string;
  path: string;
  readOnly: boolean;
  sizeMiB: number;
  /** The cluster's storage class; undefined = the cluster's default class. */
  storageClass?: string;
  /** ReadWriteOnce for local-like classes, ReadWriteMany for shared ones (NFS, CephFS). */
  accessMode: 'ReadWriteOnce' | 'ReadWriteMany';
}

/** Identifies one service's workload on one cluster. */
export interface WorkloadRef {
  project: string;
  env: string;
  /** The service's name (object names) and id (the ownership label). */
  service: string;
  serviceId: string;
  /**
   * The cluster's namespace prefix ("" or undefined: none). The Kubernetes engine fills in its
   * own cluster's: two Berth clusters on one API server keep their namespaces apart.
   */
  namespacePrefix?: string;
}

/** The namespace of one project's environment on a cluster, with the walls around it. */
export interface NamespaceSpec {
  project: string;
  env: string;
  /** The Berth instance that owns it (ownership label). */
  instance: string;
  cluster: string;
  /** The cluster's namespace prefix, as in WorkloadRef. */
  namespacePrefix?: string;
  /** The project's quota; null members are unlimited (docs/quotas). */
  quota: { cpu: number | null; memoryMiB: number | null; replicas: number | null; volumesGiB: number | null };
  /** Per-container defaults for specs that set no limit (a LimitRange). */
  defaults: { cpu: number | null; memoryMiB: number | null };
  /**
   * Where images are pulled from with a credential: one image pull secret in the namespace.
   * Undefined: no pull secret (public images only).
   */
  pullSecret?: { registry: string; username: string; password: string };
  /**
   * Pod Security admission level the namespace enforces: `restricted`, or `baseline` when a
   * service there holds the tenant-isolation permissions (root, capabilities). Default restricted.
   */
  podSecurity?: 'restricted' | 'baseline';
  /** Addresses of gateway nodes outside the cluster that the NetworkPolicy lets in (CIDRs). */
  gatewayCidrs?: string[];
}

/** The desired state of one service on one cluster. */
export interface WorkloadSpec extends WorkloadRef {
  instance: string;
  cluster: string;
  /** The release the replicas run (label `berth.release`), and its spec's image as the cluster pulls it. */
  release: number;
  /** Incremented by "restart": changes the pod template so Kubernetes replaces every replica. */
  restartNonce: number;
  replicas: number;
  image: string;
  command?: string[];
  args?: string[];
  /** Plain environment variables. */
  variables: Record<string, string>;
  /** Secret environment variables (opened): they go into a Secret the containers read them from. */
  secretVariables: Record<string, string>;
  ports: { name?: string; containerPort: number }[];
  /** Limits; requests equal limits (Guaranteed when both are set). */
  cpu?: number;
  memoryMiB?: number;
  pidsLimit?: number;
  liveness?: WorkloadProbe;
  readiness?: WorkloadProbe;
  rollout: {
    maxSurge: number;
    maxUnavailable: number;
    progressDeadlineSeconds: number;
    /** A preStop wait, so gateways stop sending before the process gets SIGTERM. */
    drainSeconds: number;
    stopGraceSeconds: number;
  };
  /** The user's labels (spec.labels), on the pods. */
  labels: Record<string, string>;
  workingDir?: string;
  /** Numeric uid/gid to run as; undefined = the image's user (non-root enforced unless `runAsRoot`). */
  runAsUser?: number;
  runAsGroup?: number;
  /** The service holds the tenant-isolation permissions to run as root. */
  runAsRoot: boolean;
  /** Capabilities added back after dropping all (names without CAP_). */
  capabilities: string[];
  readOnlyRootFilesystem: boolean;
  configs: WorkloadConfigMount[];
  volumes: WorkloadVolumeMount[];
  /** The namespace has the image pull secret (NamespaceSpec.pullSecret): the pods use it. */
  pullSecret?: boolean;
  /**
   * How gateways reach the replicas: pod IPs (gateway nodes in the cluster network; a ClusterIP
   * Service) or NodePorts (a NodePort Service). Default pod-ip.
   */
  exposure?: 'pod-ip' | 'node-port';
}

/** What the engine reports of a workload's rollout (a Deployment's status). */
export interface WorkloadStatus {
  /** The release the workload's template runs now. */
  release: number | null;
  restartNonce: number | null;
  /** Desired replicas. */
  replicas: number;
  /** Replicas of the current template. */
  updated: number;
  ready: number;
  available: number;
  /** The engine has seen the latest change (observedGeneration ≥ generation). */
  observed: boolean;
  /** The rollout ran past its progress deadline (Progressing=False, ProgressDeadlineExceeded). */
  stalled: boolean;
  /** The engine's own words about the rollout, when something is wrong. */
  message: string | null;
}

/** A Kubernetes object as plain JSON (apiVersion, kind, metadata, ...). */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
} & Record<string, unknown>;

export interface WorkloadEngine {
  /**
   * Exactly the objects `applyNamespace` and `applyWorkload` apply for this service on this
   * cluster, in apply order (what `GET …/services/{s}/manifests` shows).
   */
  manifests(ns: NamespaceSpec, w: WorkloadSpec): KubeObject[];
  /** Applies the namespace and its walls (NetworkPolicy, ResourceQuota, LimitRange, pull secret). */
  applyNamespace(ns: NamespaceSpec): Promise<void>;
  /** Applies the workload's objects (server-side apply) and deletes the ones no longer wanted. */
  applyWorkload(w: WorkloadSpec): Promise<void>;
  /**
   * Applies the service's route canaries on this cluster (ADR 0008): one Deployment per spec of
   * `canaries` (its `release` and `replicas` are the canary's), outside the service's Deployment
   * and Service; the service's canaries not in the list are deleted (an empty list ends them
   * all). Their pods are listed like the service's, labelled `berth.canary`.
   */
  applyCanaries(ref: WorkloadRef, canaries: WorkloadSpec[]): Promise<void>;
  /**
   * Exactly the objects `applyCanaries` applies for `canaries` on this cluster, in apply order
   * (what `GET …/services/{s}/manifests` shows after the service's own).
   */
  canaryManifests(canaries: WorkloadSpec[]): KubeObject[];
  /** The rollout status; null when the workload does not exist there. */
  workloadStatus(ref: WorkloadRef): Promise<WorkloadStatus | null>;
  /** Deletes every object of the workload (a destroyed service, or a cluster it left). */
  deleteWorkload(ref: WorkloadRef): Promise<void>;
  /**
   * Takes one replica out of rotation (or back): it stays running, but the engine's Service and
   * Berth's gateways no longer send it requests.
   */
  setInRotation(idOrName: string, inRotation: boolean): Promise<void>;
  /**
   * Optional: the cluster's events about the workload's objects (Kubernetes core Events of its
   * Deployment, ReplicaSets, pods and Service) for the events tab — first those the cluster still
   * keeps, oldest first, then each new one, until the signal aborts.
   */
  objectEvents?(ref: WorkloadRef, signal: AbortSignal): AsyncIterable<WorkloadObjectEvent>;
  /**
   * Optional: deletes the objects of this Berth cluster whose service, volume or environment Berth
   * no longer has (deleted while Berth was down or the cluster unreachable). `keep` is read after
   * the cluster is listed. A volume's data goes only when the volume is deleted. Returns what went.
   */
  collectOrphans?(keep: () => Promise<OrphanKeep>): Promise<string[]>;
  /**
   * Optional: deletes a volume's claim in the namespace of the project's environment (the volume
   * was deleted); a claim that is not there is fine. Nothing else deletes a claim.
   */
  deleteVolume?(ref: Pick<WorkloadRef, 'project' | 'env'>, volume: string): Promise<void>;
  /**
   * Optional: makes the environment ready for a one-off container (a cron run) that is no
   * service's: applies the namespace objects of `ns` unless a service of the environment already
   * keeps them on this cluster, and the ConfigMaps and claims of `mounts` (the objects a service
   * mounting them gets, by the same names). Idempotent (server-side apply).
   */
  prepareOneOff?(
    ns: NamespaceSpec,
    mounts: { configs: WorkloadConfigMount[]; volumes: WorkloadVolumeMount[] },
  ): Promise<void>;
  /**
   * Optional: a volume's data on this cluster (Kubernetes: a tools pod mounting its claim,
   * deleted after). Each first makes sure the namespace and the claim `claim` exist
   * (`prepareOneOff`), so a volume no workload mounted yet works too. Export: the content as a
   * tar stream; import: extracts a tar stream into it; usage: the bytes its files take.
   */
  exportVolumeData?(ns: NamespaceSpec, claim: WorkloadVolumeMount): Promise<NodeJS.ReadableStream>;
  importVolumeData?(ns: NamespaceSpec, claim: WorkloadVolumeMount, tar: NodeJS.ReadableStream): Promise<void>;
  volumeDataUsage?(ns: NamespaceSpec, claim: WorkloadVolumeMount): Promise<number>;
  /**
   * Optional: the cluster's capacity (Kubernetes: the schedulable nodes' allocatable resources,
   * what other pods request, and Berth's own pods), as the clusters page shows it.
   */
  capacity?(): Promise<ClusterCapacity>;
}

/** What Berth has, for a sweep of orphans (`collectOrphans`). */
export interface OrphanKeep {
  /** Ids of every service Berth has (any state). */
  services: ReadonlySet<string>;
  /** `project/env` of every environment of every project. */
  envs: ReadonlySet<string>;
  /** `project/env/volume` of every volume. */
  volumes: ReadonlySet<string>;
  /** `project/config` of every config (configs belong to a project). */
  configs: ReadonlySet<string>;
}

/** One event of the cluster about a workload's object (`objectEvents`). */
export interface WorkloadObjectEvent {
  /** RFC 3339: when it last happened. */
  at: string;
  type: 'Normal' | 'Warning';
  /** The cluster's short reason, e.g. "Scheduled", "BackOff", "ScalingReplicaSet". */
  reason: string;
  message: string;
  /** `Kind/name` of the object it is about, e.g. "Pod/web-7d9c-abcde". */
  object: string;
  /**
   * The cluster's name for the event (Kubernetes: the Event object's namespace/name): the same
   * key seen again with a higher `count` is the same event happening again, not a new one.
   */
  key?: string;
  /** How many times it happened (Kubernetes aggregates repeats into one Event); default 1. */
  count?: number;
}

/** Whether an engine runs whole workloads. */
export function isWorkloadEngine<T extends object>(engine: T): engine is T & WorkloadEngine {
  return typeof (engine as Partial<WorkloadEngine>).applyWorkload === 'function';
}
