/**
 * The parts of Kubernetes objects the engine reads, as the API sends them (plain JSON: times are
 * RFC 3339 strings). client-node's generated classes turn times into `Date`s and watch events do
 * not, so the engine declares the plain shapes it relies on here.
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  managedFields?: ManagedFieldsEntry[];
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
}

export interface KubeList<T> {
  metadata: ListMeta;
  items: T[];
}

export interface ContainerStateDetail {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: {
    exitCode: number;
    reason?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
  };
}

export interface ContainerStatus {
  name: string;
  image: string;
  imageID?: string;
  ready?: boolean;
  restartCount?: number;
  started?: boolean;
  state?: ContainerStateDetail;
  lastState?: ContainerStateDetail;
}

export interface Quantities {
  cpu?: string;
  memory?: string;
  [resource: string]: string | undefined;
}

export interface PodContainer {
  name: string;
  image: string;
  ports?: { containerPort: number; name?: string; protocol?: string }[];
  resources?: { limits?: Quantities; requests?: Quantities };
  securityContext?: { runAsUser?: number; runAsGroup?: number };
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: {
    nodeName?: string;
    containers: PodContainer[];
    initContainers?: PodContainer[];
    volumes?: {
      name: string;
      configMap?: { name?: string };
      persistentVolumeClaim?: { claimName?: string };
    }[];
    securityContext?: { runAsUser?: number; runAsGroup?: number; runAsNonRoot?: boolean };
    /** Debug containers added through the ephemeralcontainers subresource (debug.ts). */
    ephemeralContainers?: EphemeralContainer[];
  };
  status?: {
    phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
    podIP?: string;
    hostIP?: string;
    startTime?: string;
    reason?: string;
    message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[];
    ephemeralContainerStatuses?: ContainerStatus[];
  };
}

/** An ephemeral container of a pod (only what Berth sets and reads). */
export interface EphemeralContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  targetContainerName?: string;
  imagePullPolicy?: string;
  securityContext?: {
    runAsUser?: number;
    runAsGroup?: number;
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Deployment {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: {
    replicas?: number;
    selector?: {
      matchLabels?: Record<string, string>;
      matchExpressions?: { key: string; operator: string; values?: string[] }[];
    };
    template?: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: { volumes?: { name: string; configMap?: { name?: string } }[] };
    };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: Condition[];
  };
}

export interface ReplicaSet {
  metadata: ObjectMeta;
  spec?: {
    replicas?: number;
    template?: {
      spec?: {
        volumes?: { name: string; configMap?: { name?: string }; secret?: { secretName: string } }[];
      };
    };
  };
  status?: { replicas?: number };
}

export interface Node {
  metadata: ObjectMeta;
  spec?: { unschedulable?: boolean };
  status?: {
    allocatable?: Quantities;
    capacity?: Quantities;
    conditions?: Condition[];
    addresses?: { type: string; address: string }[];
  };
}

export interface Service {
  metadata: ObjectMeta;
  spec?: {
    type?: string;
    selector?: Record<string, string>;
    ports?: { name?: string; port: number; targetPort?: number | string; nodePort?: number }[];
  };
}

export interface CoreEvent {
  metadata: ObjectMeta;
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** Parses a Kubernetes quantity ("500m", "2", "128Mi", "1G", "1e3") to a number of base units. */
export function parseQuantity(q: string | undefined): number {
  if (!q) return 0;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  const factor: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    Pi: 1024 ** 5,
    Ei: 1024 ** 6,
  };
  return n * (m[2] ? factor[m[2]]! : 1);
}
