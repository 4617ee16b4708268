/**
 * Debug containers on Kubernetes (docs/debug.md, docs/kubernetes.md): an **ephemeral container**
 * added to the target's pod through its `ephemeralcontainers` subresource, as `kubectl debug
 * --target` does — `targetContainerName` puts it in the app container's process namespace (its
 * processes, and its files through /proc/<pid>/root), and a pod's containers share the network
 * namespace anyway. The server asks for it as for Podman: `runContainer` with
 * `shareNamespacesOf` (the target's engine id); the engine id it gets back is
 * `<pod uid>/<container name>`, which `exec`, `inspectContainer`, `listContainers` and
 * `removeContainer` understand.
 *
 * - **Security context within the namespace's Pod Security level** (its `enforce` label): always
 *   `allowPrivilegeEscalation: false`, every capability dropped, seccomp RuntimeDefault. Non-root:
 *   `runAsNonRoot`, the asked uid (and the target's gid when it runs as that uid, which the
 *   kernel's ptrace check of /proc/<pid>/root needs). Root on a `restricted` namespace is refused
 *   (422 at `user`): the apiserver would refuse the pod update anyway. On `baseline` root gets
 *   only capabilities baseline allows (not SYS_PTRACE); on `privileged` the asked ones.
 * - **Labels**: ephemeral containers have none, so the labels Berth gives a debug container are
 *   kept in a pod annotation `debug.berth.dev/<container>` (JSON); `listContainers` reports the
 *   annotated ephemeral containers of its pods like containers with those labels.
 * - **No removal**: Kubernetes cannot remove or stop an ephemeral container. Its main process is
 *   `sh -c 'echo $$ >/tmp/.berth-debug.pid; exec CMD'` (Berth's `sleep TTL`), so "remove" is an
 *   exec in it of `kill "$(cat /tmp/.berth-debug.pid)"`; the container stays in the pod's spec,
 *   terminated, until the pod goes, and its annotation is removed (it is no longer listed).
 *   Resources cannot be set on an ephemeral container: it counts against nothing.
 */
import { randomBytes } from 'node:crypto';
import type { ContainerCreateSpec, ContainerObservation, ObservedState } from '@berth/engine-api';
import { BerthError, EngineError } from '@berth/shared';
import type { KubeClient } from './client';
import type { ExecTarget } from './exec';
import type { ContainerStatus, EphemeralContainer, Pod } from './kube-types';
import { baselineCapabilities } from './manifests/pod';
import { appContainer, digestOf, podContainer } from './observation';
import { objectPath, resourceOf } from './resources';

/** The pod annotation that carries a debug container's labels (JSON), per container name. */
export const debugAnnotationPrefix = 'debug.berth.dev/';
/** Where the debug container's main process writes its pid (its own filesystem). */
export const debugPidFile = '/tmp/.berth-debug.pid';

export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

/** `<pod>/<container>` (an ephemeral container's engine id), or null for a plain pod reference. */
export function debugRef(idOrName: string): { pod: string; container: string } | null {
  const m = /^([^/]+)\/([^/]+)$/.exec(idOrName);
  return m ? { pod: m[1]!, container: m[2]! } : null;
}

/** The ephemeral container's name: `debug-` and the suffix of Berth's name for it. */
export function debugContainerName(specName: string): string {
  const m = /-debug-([0-9a-z]{1,20})$/.exec(specName);
  return `debug-${m ? m[1]! : randomBytes(3).toString('hex')}`;
}

/** uid and gid of `uid[:gid]`; a name (not numeric) is unknown here. */
function parseUser(user: string | undefined): { uid?: number; gid?: number } {
  const [u = '', g] = (user ?? '').split(':');
  return {
    ...(/^\d+$/.test(u) ? { uid: Number(u) } : {}),
    ...(g !== undefined && /^\d+$/.test(g) ? { gid: Number(g) } : {}),
  };
}

/** The 422 for a root debug container on a restricted namespace. */
function rootRefused(pod: Pod, namespace: string): BerthError {
  return new BerthError(
    'UNPROCESSABLE',
    `A debug container as root cannot run in namespace ${namespace}: it enforces Pod Security "restricted" (non-root, no capabilities), so Kubernetes would refuse it in pod ${pod.metadata.name}. Start it without root; a namespace is "baseline" only while a service there holds the permissions to run as root.`,
    {
      fields: [
        { path: 'user', message: 'root is not allowed by the namespace\'s Pod Security level "restricted"' },
      ],
    },
  );
}

/** The ephemeral container Berth adds for a debug container (`spec.shareNamespacesOf` = the pod). */
export function ephemeralContainerOf(
  spec: ContainerCreateSpec,
  pod: Pod,
  level: PodSecurityLevel,
): EphemeralContainer {
  const namespace = pod.metadata.namespace ?? 'default';
  const asked = parseUser(spec.user);
  const root = asked.uid === 0;
  if (root && level === 'restricted') throw rootRefused(pod, namespace);
  const app = podContainer(pod);
  const podUid = app?.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
  const podGid = app?.securityContext?.runAsGroup ?? pod.spec?.securityContext?.runAsGroup;
  // the target's gid when it runs as the asked uid: the kernel lets a process into another's
  // /proc/<pid>/root only when uid and gid both match
  const gid =
    !root && asked.uid !== undefined && asked.uid === podUid && podGid !== undefined ? podGid : asked.gid;
  const wanted = (spec.capabilities ?? []).map((c) => c.toUpperCase().replace(/^CAP_/, ''));
  const add =
    level === 'privileged'
      ? wanted
      : level === 'baseline'
        ? wanted.filter((c) => baselineCapabilities.has(c))
        : [];
  const argv = [...(spec.command ?? []), ...(spec.args ?? [])];
  return {
    name: debugContainerName(spec.name),
    image: spec.image,
    command: [
      'sh',
      '-c',
      `echo $$ >${debugPidFile}; exec "$@"`,
      'sh',
      ...(argv.length ? argv : ['sleep', '3600']),
    ],
    targetContainerName: podContainer(pod)?.name ?? appContainer,
    imagePullPolicy: 'IfNotPresent',
    securityContext: {
      ...(asked.uid !== undefined ? { runAsUser: asked.uid } : {}),
      ...(gid !== undefined ? { runAsGroup: gid } : {}),
      runAsNonRoot: !root,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], ...(add.length ? { add } : {}) },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/** The namespace's Pod Security `enforce` level (no label: privileged, as Kubernetes defaults). */
export async function podSecurityLevel(client: KubeClient, namespace: string): Promise<PodSecurityLevel> {
  const info = resourceOf('v1', 'Namespace');
  const ns = await client.json<{ metadata?: { labels?: Record<string, string> } }>(
    'GET',
    objectPath(info, namespace),
    { ctx: { verb: 'get', resource: info.rbac, name: namespace } },
  );
  const level = ns?.metadata?.labels?.['pod-security.kubernetes.io/enforce'];
  return level === 'restricted' || level === 'baseline' ? level : 'privileged';
}

/** Adds the ephemeral container (and its labels' annotation) to the pod. */
export async function addEphemeralContainer(
  client: KubeClient,
  pod: Pod,
  container: EphemeralContainer,
  labels: Record<string, string>,
): Promise<void> {
  const namespace = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name;
  const podPath = objectPath(resourceOf('v1', 'Pod'), name, namespace);
  const key = `${debugAnnotationPrefix}${container.name}`;
  const annotate = (value: string | null) =>
    client.json('PATCH', podPath, {
      body: { metadata: { annotations: { [key]: value } } },
      contentType: 'application/merge-patch+json',
      ctx: { verb: 'patch', resource: 'pods', namespace, name },
    });
  // the labels first: a debug container is never unlisted (the sweeper finds what it must stop)
  await annotate(JSON.stringify(labels));
  try {
    await client.json('PATCH', `${podPath}/ephemeralcontainers`, {
      body: { spec: { ephemeralContainers: [container] } },
      contentType: 'application/strategic-merge-patch+json',
      ctx: { verb: 'patch', resource: 'pods/ephemeralcontainers', namespace, name },
    });
  } catch (err) {
    await annotate(null).catch(() => undefined);
    throw err;
  }
}

/** Removes the annotation of a debug container (it is no longer listed). */
export async function forgetEphemeralContainer(
  client: KubeClient,
  pod: Pod,
  container: string,
): Promise<void> {
  const namespace = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name;
  await client.json('PATCH', objectPath(resourceOf('v1', 'Pod'), name, namespace), {
    body: { metadata: { annotations: { [`${debugAnnotationPrefix}${container}`]: null } } },
    contentType: 'application/merge-patch+json',
    allow: [404],
    ctx: { verb: 'patch', resource: 'pods', namespace, name },
  });
}

/** The exec that ends a debug container's main process (see the top comment). */
export const debugStopCommand = ['sh', '-c', `kill "$(cat ${debugPidFile})"`];

export function ephemeralStatus(pod: Pod, container: string): ContainerStatus | undefined {
  return pod.status?.ephemeralContainerStatuses?.find((s) => s.name === container);
}

/** Where an exec into the ephemeral container goes, or null when the pod has no such one. */
export function ephemeralTarget(pod: Pod, container: string): ExecTarget | null {
  const ec = pod.spec?.ephemeralContainers?.find((c) => c.name === container);
  if (!ec) return null;
  return { container, uid: ec.securityContext?.runAsUser };
}

/** Waiting reasons after which an ephemeral container will not start as it is. */
const cannotStart = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** Whether the container runs (true), cannot run (an EngineError), or is not there yet (false). */
export function ephemeralStarted(pod: Pod, container: string, cluster: string): boolean {
  const s = ephemeralStatus(pod, container);
  if (s?.state?.running) return true;
  const waiting = s?.state?.waiting;
  const term = s?.state?.terminated;
  if (term || (waiting?.reason && cannotStart.has(waiting.reason)))
    throw new EngineError(
      `Kubernetes cluster ${cluster}: debug container ${container} in pod ${pod.metadata.name} did not start: ${term ? `it exited with ${term.exitCode}${term.reason ? ` (${term.reason})` : ''}` : `${waiting!.reason}${waiting!.message ? `: ${waiting!.message}` : ''}`}. Check the image (the cluster pulls it with the namespace's pull secret; it needs sh and sleep).`,
      { pod: pod.metadata.name, container },
    );
  return false;
}

/** The debug containers of a pod (annotated ephemeral containers) as observations. */
export function debugObservations(pod: Pod): ContainerObservation[] {
  const out: ContainerObservation[] = [];
  for (const [key, value] of Object.entries(pod.metadata.annotations ?? {})) {
    if (!key.startsWith(debugAnnotationPrefix)) continue;
    const name = key.slice(debugAnnotationPrefix.length);
    const ec = pod.spec?.ephemeralContainers?.find((c) => c.name === name);
    let labels: Record<string, string> = {};
    try {
      labels = JSON.parse(value) as Record<string, string>;
    } catch {
      continue;
    }
    const s = ephemeralStatus(pod, name);
    const term = s?.state?.terminated;
    const state: ObservedState = s?.state?.running ? 'running' : term ? 'exited' : 'created';
    out.push({
      id: `${pod.metadata.uid ?? pod.metadata.name}/${name}`,
      name: `${pod.metadata.name}/${name}`,
      labels,
      state,
      image: ec?.image ?? s?.image ?? '',
      imageDigest: digestOf(s?.imageID),
      ip: pod.status?.podIP ?? null,
      ports: {},
      node: pod.spec?.nodeName ?? '',
      createdAt: s?.state?.running?.startedAt ?? term?.startedAt ?? pod.metadata.creationTimestamp ?? '',
      startedAt: s?.state?.running?.startedAt ?? term?.startedAt ?? null,
      finishedAt: term?.finishedAt ?? null,
      exitCode: term ? term.exitCode : null,
      oomKilled: term?.reason === 'OOMKilled',
      memoryLimitBytes: null,
    });
  }
  return out;
}
