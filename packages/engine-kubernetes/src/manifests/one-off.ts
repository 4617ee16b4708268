/**
 * The bare Pod of a one-off container (`runContainer`: a cron job's attempt), built by the
 * services' own pod builder (pod.ts) so it gets the same restricted defaults, resources, env,
 * pull secret and claims, with `restartPolicy: Never`: the pod runs its process once and ends
 * Succeeded or Failed with the container's exit code (docs/kubernetes-objects.md). Its variables
 * are in a Secret of its own (`oneOffSecret`), as a service's secret variables are: the caller
 * does not say which are secret, so none is written in the pod's spec.
 *
 * What a ContainerCreateSpec asks that a pod cannot do is refused with an EngineError naming the
 * field (bind mounts of host directories, another container's namespaces, a user name); what has
 * no per-pod place is left out and said so: `pidsLimit` (the node's podPidsLimit applies), `init`
 * (the kubelet's pause container reaps nothing in the app's PID namespace; Kubernetes has no such
 * flag), `network` (one pod network).
 */
import { labelKeys, type ContainerCreateSpec, type KubeObject, type WorkloadSpec } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import { envSecretName, namespaceName } from '../names';
import { kubeKeys, ownershipLabels } from './common';
import { labelValuePattern, podSpec } from './pod';

/** Who runs the pod: this engine's instance and cluster, its namespace prefix. */
export interface OneOffOwner {
  instance: string;
  cluster: string;
  namespacePrefix?: string;
  /** The namespace has Berth's image pull secret (`berth-pull`): the pod names it. */
  pullSecret: boolean;
}

/** Seconds between SIGTERM and SIGKILL when a one-off pod is deleted without a grace (Podman's default stop timeout). */
export const oneOffGraceSeconds = 10;

const podNamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The project and environment a one-off container belongs to, from its labels (its namespace). */
export function oneOffPlace(spec: Pick<ContainerCreateSpec, 'name' | 'labels'>): {
  project: string;
  env: string;
} {
  const project = spec.labels[labelKeys.project];
  const env = spec.labels[labelKeys.env];
  if (!project || !env)
    throw new EngineError(
      `Container ${spec.name} has no ${labelKeys.project} and ${labelKeys.env} labels, so no namespace on the Kubernetes cluster is its: a one-off pod runs in the namespace of its project's environment. Label it with both.`,
      { labels: Object.keys(spec.labels) },
    );
  return { project, env };
}

/** `uid[:gid]` as numbers; root when uid 0 (or the name root); a user name cannot run on Kubernetes. */
function podUser(user: string | undefined): { runAsUser?: number; runAsGroup?: number; root: boolean } {
  if (user === undefined || user === '') return { root: false };
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (m) {
    const uid = Number(m[1]);
    return { runAsUser: uid, ...(m[2] !== undefined ? { runAsGroup: Number(m[2]) } : {}), root: uid === 0 };
  }
  if (/^root(:\d+)?$/.test(user))
    return {
      runAsUser: 0,
      ...(user.includes(':') ? { runAsGroup: Number(user.split(':')[1]) } : {}),
      root: true,
    };
  throw new EngineError(
    `user "${user}" is a name: Kubernetes runs a pod as a number and cannot look a name up in the image. Use a numeric uid such as "1000" (or "1000:1000").`,
    { field: 'user' },
  );
}

/**
 * The labels of a one-off pod: the caller's (a cron run's `berth.cron-*` labels included: its
 * sweep finds its pods by them) and the ownership labels, which the pod watch selects. Never
 * `berth.service` (a Deployment's ReplicaSet would adopt a bare pod its selector matches) nor the
 * gateway label the NetworkPolicy trusts.
 */
function oneOffLabels(
  spec: ContainerCreateSpec,
  owner: OneOffOwner,
  place: { project: string; env: string },
) {
  const callers: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.labels)) {
    if (k === labelKeys.service || k === kubeKeys.gateway || k === kubeKeys.rotation) continue;
    if (v.length > 63 || !labelValuePattern.test(v))
      throw new EngineError(
        `Label ${k} of container ${spec.name} is "${v}", which Kubernetes does not accept as a label value (at most 63 letters, digits, "-", "_" and ".").`,
        { field: `labels.${k}` },
      );
    callers[k] = v;
  }
  return {
    ...callers,
    ...ownershipLabels({ instance: owner.instance, cluster: owner.cluster, ...place }),
    [kubeKeys.oneOff]: 'true',
  };
}

/**
 * The Secret of a one-off pod's variables (none without variables), labelled as the pod. The
 * engine makes the pod its owner once the pod exists, so Kubernetes deletes it with the pod.
 */
export function oneOffSecret(spec: ContainerCreateSpec, owner: OneOffOwner): KubeObject | null {
  if (Object.keys(spec.env).length === 0) return null;
  const place = oneOffPlace(spec);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: envSecretName(spec.name),
      namespace: namespaceName(place.project, place.env, owner.namespacePrefix ?? ''),
      labels: oneOffLabels(spec, owner, place),
    },
    type: 'Opaque',
    data: Object.fromEntries(
      Object.entries(spec.env).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
    ),
  };
}

/** The Pod of `spec` in the namespace of its project's environment. */
export function oneOffPod(spec: ContainerCreateSpec, owner: OneOffOwner): KubeObject {
  if (spec.name.length > 253 || !podNamePattern.test(spec.name))
    throw new EngineError(
      `Container name "${spec.name}" is not a Kubernetes pod name (lowercase letters, digits, "-" and ".", at most 253).`,
      { field: 'name' },
    );
  if (spec.mounts?.length)
    throw new EngineError(
      `Container ${spec.name} binds host directories (${spec.mounts.map((m) => m.destination).join(', ')}); a pod on a Kubernetes cluster cannot: run it on a Podman cluster.`,
      { field: 'mounts' },
    );
  if (spec.shareNamespacesOf)
    throw new EngineError(
      `Container ${spec.name} joins the namespaces of ${spec.shareNamespacesOf}; Berth does not run that as a pod on a Kubernetes cluster.`,
      { field: 'shareNamespacesOf' },
    );
  const place = oneOffPlace(spec);
  const namespace = namespaceName(place.project, place.env, owner.namespacePrefix ?? '');
  const user = podUser(spec.user);
  // The services' WorkloadSpec of one replica; the fields a pod of Deployment only has (probes,
  // rollout, release) are neutral, and the drain wait is 0: nothing routes to a one-off pod.
  const w: WorkloadSpec = {
    project: place.project,
    env: place.env,
    service: spec.name,
    serviceId: '',
    instance: owner.instance,
    cluster: owner.cluster,
    release: 0,
    restartNonce: 0,
    replicas: 1,
    image: spec.image,
    ...(spec.command ? { command: spec.command } : {}),
    ...(spec.args ? { args: spec.args } : {}),
    // every variable by reference to the pod's Secret (envSecretName(spec.name))
    variables: {},
    secretVariables: spec.env,
    ports: spec.ports.map((p) => ({ containerPort: p.containerPort })),
    ...(spec.cpu !== undefined ? { cpu: spec.cpu } : {}),
    ...(spec.memoryMiB !== undefined ? { memoryMiB: spec.memoryMiB } : {}),
    rollout: {
      maxSurge: 0,
      maxUnavailable: 1,
      progressDeadlineSeconds: 600,
      drainSeconds: 0,
      stopGraceSeconds: oneOffGraceSeconds,
    },
    labels: {},
    ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
    ...(user.runAsUser !== undefined ? { runAsUser: user.runAsUser } : {}),
    ...(user.runAsGroup !== undefined ? { runAsGroup: user.runAsGroup } : {}),
    runAsRoot: user.root,
    // undefined is the engine's default set: on Kubernetes that is none (Pod Security restricted)
    capabilities: spec.unprivileged ? [] : (spec.capabilities ?? []),
    readOnlyRootFilesystem: spec.readOnlyRootfs === true,
    // the config versions' ConfigMaps and the claims prepareOneOff applied (workloadMounts), or
    // claims of existing volumes by name (volumes: on Kubernetes a Berth volume's claim)
    configs: spec.workloadMounts?.configs ?? [],
    volumes:
      spec.workloadMounts?.volumes ??
      (spec.volumes ?? []).map((v) => ({
        volume: v.name,
        path: v.destination,
        readOnly: v.readOnly === true,
        sizeMiB: 0,
        accessMode: 'ReadWriteOnce' as const,
      })),
    pullSecret: owner.pullSecret,
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: spec.name, namespace, labels: oneOffLabels(spec, owner, place) },
    spec: { ...podSpec(w), restartPolicy: 'Never' },
  };
}
