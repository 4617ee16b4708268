/**
 * A pod as Berth sees a container: one pod is one replica, its `app` container the process.
 * `id` is the pod's uid (a replacement pod of the same Deployment has a new one), `name` the pod's
 * name. The addresses a gateway reaches a replica on depend on the cluster's exposure
 * (docs/kubernetes.md): the pod's IP (gateway nodes in the cluster network) or the pod's node's
 * InternalIP with the Service's NodePort.
 */
import {
  labelKeys,
  type ContainerObservation,
  type EngineEvent,
  type ObservedState,
} from '@berth/engine-api';
import { appContainerName, kubeKeys } from './manifests/index';
import { parseQuantity, type ContainerStatus, type Pod, type PodContainer } from './kube-types';

/** The container of a Berth pod that is "the" container (manifests/pod.ts names it). */
export const appContainer = appContainerName;

/** How gateways reach replicas on this cluster. */
export type Exposure = 'pod-ip' | 'node-port';

/**
 * Test hook (the test API server runs pods as servers on loopback ports): the address
 * (`host:port`) of `containerPort` of `pod`, or null to use the exposure's rule.
 */
export type PodAddress = (pod: Pod, containerPort: number) => string | null;

/** The suffix of a canary Service's key in `ExposureFacts.servicePorts` (ADR 0008). */
export const canaryPortsKey = (release: string) => `#canary-r${release}`;

/** What the node-port exposure needs beyond the pod: nodes' InternalIPs and Services' NodePorts. */
export interface ExposureFacts {
  nodeIps: Map<string, string>;
  /** `<namespace>/<berth.service>` (plus `canaryPortsKey` for a canary's Service) → the Service's ports. */
  servicePorts: Map<string, { port: number; targetPort?: number | string; nodePort?: number }[]>;
}

export function podContainer(pod: Pod): PodContainer | undefined {
  const cs = pod.spec?.containers ?? [];
  return cs.find((c) => c.name === appContainer) ?? cs[0];
}

export function podContainerStatus(pod: Pod): ContainerStatus | undefined {
  const cs = pod.status?.containerStatuses ?? [];
  return cs.find((c) => c.name === appContainer) ?? cs[0];
}

/** `sha256:…` out of an imageID (`docker.io/x@sha256:…`, `docker-pullable://…`, `sha256:…`). */
export function digestOf(imageID: string | undefined): string | null {
  const m = imageID ? /sha256:[0-9a-f]{64}/.exec(imageID) : null;
  return m ? m[0] : null;
}

/**
 * Waiting reasons of a container that cannot start as it is: a one-off pod waiting for one of
 * these never started (its caller fails the attempt), rather than starting.
 */
const cannotStart = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

function stateOf(pod: Pod): ObservedState {
  switch (pod.status?.phase) {
    // A service's pod is "created" until it runs; a one-off pod (runContainer) was started by
    // its caller and is on its way (scheduled, pulling): "running", unless it cannot start.
    case 'Pending':
      if (pod.metadata.labels?.[kubeKeys.oneOff] !== 'true') return 'created';
      return cannotStart.has(podContainerStatus(pod)?.state?.waiting?.reason ?? '') ? 'created' : 'running';
    // A terminating pod (deletionTimestamp) stays "running" until it is gone: its process still
    // runs through preStop and the grace period; `terminating` says it is on its way out.
    case 'Running':
      return 'running';
    case 'Succeeded':
    case 'Failed':
      return 'exited';
    default:
      return 'unknown';
  }
}

/** Pod → observation; `facts` only for the node-port exposure. */
export function observationOf(
  pod: Pod,
  exposure: Exposure,
  facts: ExposureFacts | null,
  podAddress?: PodAddress,
): ContainerObservation {
  const container = podContainer(pod);
  const status = podContainerStatus(pod);
  const term = status?.state?.terminated;
  const started = status?.state?.running?.startedAt ?? term?.startedAt ?? null;
  const oom =
    status?.state?.terminated?.reason === 'OOMKilled' ||
    status?.lastState?.terminated?.reason === 'OOMKilled';
  const limit = container?.resources?.limits?.memory;
  const labels = pod.metadata.labels ?? {};
  const ip = pod.status?.podIP ?? null;
  const ports: Record<string, string> = {};
  for (const p of container?.ports ?? []) {
    const hooked = podAddress?.(pod, p.containerPort);
    if (hooked) {
      ports[String(p.containerPort)] = hooked;
      continue;
    }
    if (exposure === 'pod-ip') {
      if (ip) ports[String(p.containerPort)] = `${ip}:${p.containerPort}`;
      continue;
    }
    const nodeIp = pod.spec?.nodeName ? facts?.nodeIps.get(pod.spec.nodeName) : undefined;
    const canary = labels[labelKeys.canary] ? canaryPortsKey(labels[labelKeys.release] ?? '') : '';
    const svc =
      facts?.servicePorts.get(`${pod.metadata.namespace}/${labels[labelKeys.service] ?? ''}${canary}`) ?? [];
    const sp = svc.find((s) =>
      s.targetPort === undefined
        ? s.port === p.containerPort
        : s.targetPort === p.containerPort || (typeof s.targetPort === 'string' && s.targetPort === p.name),
    );
    if (nodeIp && sp?.nodePort) ports[String(p.containerPort)] = `${nodeIp}:${sp.nodePort}`;
  }
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return {
    id: pod.metadata.uid ?? pod.metadata.name,
    name: pod.metadata.name,
    labels,
    state: stateOf(pod),
    image: container?.image ?? status?.image ?? '',
    imageDigest: digestOf(status?.imageID),
    ip,
    ports,
    node: pod.spec?.nodeName ?? '',
    createdAt: pod.metadata.creationTimestamp ?? '',
    startedAt: started,
    finishedAt: term?.finishedAt ?? null,
    exitCode: term ? term.exitCode : null,
    oomKilled: oom,
    memoryLimitBytes: limit ? parseQuantity(limit) : null,
    ready,
    terminating: Boolean(pod.metadata.deletionTimestamp),
  };
}

/**
 * The container events between two sightings of a pod (prev undefined: first seen; next
 * undefined: gone). Podman's order is kept: create, start; oom before died; remove last. A restart
 * of the container inside the pod (restartCount grew) is a death (lastState) and a start.
 */
export function podTransitions(
  prev: Pod | undefined,
  next: Pod | undefined,
  now = new Date(),
): EngineEvent[] {
  const pod = next ?? prev!;
  const base = {
    containerId: pod.metadata.uid ?? pod.metadata.name,
    containerName: pod.metadata.name,
    labels: pod.metadata.labels ?? {},
  };
  const at = now.toISOString();
  const out: EngineEvent[] = [];
  const ev = (type: string, when: string | undefined, exitCode: number | null = null) =>
    out.push({ ...base, type, at: when ?? at, exitCode });
  if (!next) {
    const before = podContainerStatus(prev!);
    if (before?.state?.running) ev('died', at, null);
    ev('remove', at);
    return out;
  }
  if (!prev) ev('create', next.metadata.creationTimestamp);
  const a = prev ? podContainerStatus(prev) : undefined;
  const b = podContainerStatus(next);
  const restartsBefore = a?.restartCount ?? 0;
  const restartsAfter = b?.restartCount ?? 0;
  if (prev && restartsAfter > restartsBefore && b?.lastState?.terminated && !a?.state?.terminated) {
    const t = b.lastState.terminated;
    if (t.reason === 'OOMKilled') ev('oom', t.finishedAt);
    ev('died', t.finishedAt, t.exitCode);
  }
  const startedBefore = a?.state?.running?.startedAt;
  const startedAfter = b?.state?.running?.startedAt;
  if (startedAfter && startedAfter !== startedBefore) ev('start', startedAfter);
  const termAfter = b?.state?.terminated;
  if (termAfter && !(a?.state?.terminated && a.state.terminated.finishedAt === termAfter.finishedAt)) {
    if (termAfter.reason === 'OOMKilled') ev('oom', termAfter.finishedAt);
    ev('died', termAfter.finishedAt, termAfter.exitCode);
  }
  return out;
}
