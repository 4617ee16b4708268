/**
 * Export, import and usage of a volume's claim (docs/volumes.md, docs/kubernetes-engine.md): a
 * one-off pod of a small tools image (`tar`, `du`, `sleep`) mounts the claim at /data, and
 * `pods/exec` (exec.ts, binary-safe) streams `tar -c` out, `tar -x` in over stdin, or runs `du`.
 * The pod is deleted after, whatever happened; one left behind (Berth stopped meanwhile) ends by
 * itself after an hour (`sleep 3600`) and the orphan sweep deletes it an hour after it ended
 * (label `berth.one-off`).
 *
 * The pod is restricted (non-root, no capabilities, read-only root, seccomp RuntimeDefault). A
 * non-root process can write a claim only through its group: the pod's `fsGroup` (the gid given,
 * else 65534) makes the kubelet give the claim's root that group (`OnRootMismatch`: only when it
 * differs, so usually once), as a service's pods' fsGroup does (manifests/pod.ts). Imported files
 * are owned by the pod's uid with that group; a service running as another uid reads and writes
 * them through the group when its fsGroup is the same gid.
 *
 * A ReadWriteOnce claim attaches to one node: when a live pod of the namespace mounts the claim,
 * the tools pod is put on that pod's node (`nodeName`), otherwise the scheduler picks one.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineError } from '@berth/shared';
import { applyObject, deleteObject } from './apply';
import type { KubeClient } from './client';
import { openExec, runExec } from './exec';
import type { Pod } from './kube-types';
import { kubeKeys, ownershipLabels } from './manifests/index';
import { claimName, namespaceName } from './names';
import { resourceOf } from './resources';

/** The tools image of the volume pods when the cluster registration names none (busybox has tar and du). */
export const defaultVolumeToolsImage = 'docker.io/library/busybox:1.36';

/** Where the claim is mounted in the tools pod. */
const mountPath = '/data';

/** How long the tools pod may take to start (scheduling, attaching the claim, pulling the image). */
const startMs = 120_000;

/** What the engine gives the volume pods. */
export interface VolumePodDeps {
  client: KubeClient;
  instance: string;
  cluster: string;
  namespacePrefix: string;
  image: string;
  /** Resolves with the pod once the pod watch sees it running; rejects when it ended or at `ms`. */
  running(namespace: string, name: string, ms: number): Promise<Pod>;
  /** The node of a live pod of the namespace that mounts the claim, if any. */
  nodeOf(namespace: string, claim: string): string | undefined;
}

/** Which volume: its project, environment and Berth name; `runAs` the uid[:gid] of its files. */
export interface VolumeRef {
  project: string;
  env: string;
  volume: string;
  runAs?: { uid: number; gid?: number };
}

/** The tools pod of one operation on `ref`'s claim. */
export function volumePod(deps: Omit<VolumePodDeps, 'running' | 'nodeOf'>, ref: VolumeRef, node?: string) {
  const namespace = namespaceName(ref.project, ref.env, deps.namespacePrefix);
  const uid = ref.runAs?.uid ?? 65534;
  const gid = ref.runAs?.gid ?? (ref.runAs ? uid : 65534);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `berth-volume-${randomBytes(5).toString('hex')}`,
      namespace,
      labels: {
        ...ownershipLabels({
          instance: deps.instance,
          cluster: deps.cluster,
          project: ref.project,
          env: ref.env,
        }),
        [kubeKeys.oneOff]: 'true',
        [kubeKeys.volume]: ref.volume,
      },
    },
    spec: {
      restartPolicy: 'Never',
      ...(node ? { nodeName: node } : {}),
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
        fsGroup: gid,
        fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'app',
          image: deps.image,
          command: ['sleep', '3600'],
          // a namespace quota on limits refuses pods without them
          resources: {
            limits: { cpu: '500m', memory: '128Mi' },
            requests: { cpu: '50m', memory: '128Mi' },
          },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
          volumeMounts: [{ name: 'data', mountPath }],
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claimName(ref.volume) } }],
    },
  };
}

/**
 * Runs `fn` with a running tools pod mounting the claim; the pod is deleted after, unless `fn`
 * succeeded and `handOver` says its result deletes it (an export's stream, when it ends).
 */
async function withPod<T>(
  deps: VolumePodDeps,
  ref: VolumeRef,
  fn: (pod: Pod) => Promise<T>,
  handOver = false,
): Promise<T> {
  const namespace = namespaceName(ref.project, ref.env, deps.namespacePrefix);
  const pod = volumePod(deps, ref, deps.nodeOf(namespace, claimName(ref.volume)));
  await applyObject(deps.client, pod);
  let handed = false;
  try {
    const result = await fn(await deps.running(namespace, pod.metadata.name, startMs));
    handed = handOver;
    return result;
  } finally {
    if (!handed) await removePod(deps, namespace, pod.metadata.name);
  }
}

/** Deletes a tools pod at once (nothing to drain); a missing one is fine. */
function removePod(deps: VolumePodDeps, namespace: string, name: string): Promise<void> {
  return deleteObject(deps.client, resourceOf('v1', 'Pod'), name, namespace, {
    gracePeriodSeconds: 0,
  }).catch(() => undefined);
}

/** The exec's stderr as text (bounded), for an error message. */
async function text(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  let out = '';
  for await (const c of stream) {
    if (out.length < 4096) out += (c as Buffer).toString('utf8');
  }
  return out.trim();
}

/**
 * The claim's content as a tar stream (`tar -c` of /data). The stream errors when tar fails; the
 * pod is deleted once it ended either way.
 */
export async function exportData(deps: VolumePodDeps, ref: VolumeRef): Promise<NodeJS.ReadableStream> {
  return withPod(
    deps,
    ref,
    async (pod) => {
      const session = await openExec(deps.client, pod, {
        cmd: ['tar', '-C', mountPath, '-cf', '-', '.'],
        tty: false,
      });
      session.stream.end(); // tar reads no stdin
      const out = new PassThrough();
      const errText = text(session.stderr);
      const namespace = pod.metadata.namespace ?? '';
      const done = async (err: Error | null) => {
        session.close();
        await removePod(deps, namespace, pod.metadata.name);
        if (err) out.destroy(err);
      };
      session.stream.on('error', (err: Error) => void done(err));
      session.stream.pipe(out, { end: false });
      session.stream.on('end', () => {
        void (async () => {
          const code = await session.exitCode();
          if (code === 0) {
            out.end();
            await done(null);
          } else
            await done(
              new EngineError(
                `Exporting volume ${ref.volume} on Kubernetes cluster ${deps.cluster} failed: tar exited ${code}: ${await errText}`,
                { cluster: deps.cluster, volume: ref.volume },
              ),
            );
        })();
      });
      return out;
    },
    true,
  );
}

/** Extracts a tar stream into the claim (`tar -x` into /data over the exec's stdin). */
export async function importData(
  deps: VolumePodDeps,
  ref: VolumeRef,
  tar: NodeJS.ReadableStream,
): Promise<void> {
  await withPod(deps, ref, async (pod) => {
    const session = await openExec(deps.client, pod, {
      cmd: ['tar', '-C', mountPath, '-xf', '-'],
      tty: false,
    });
    const errText = text(session.stderr);
    try {
      session.stream.resume(); // tar -x writes nothing on stdout
      await pipeline(tar, session.stream);
      const code = await session.exitCode();
      if (code !== 0)
        throw new EngineError(
          `Importing into volume ${ref.volume} on Kubernetes cluster ${deps.cluster} failed: tar exited ${code}: ${await errText}`,
          { cluster: deps.cluster, volume: ref.volume, cause: await errText },
        );
    } finally {
      session.close();
    }
  });
}

/** Bytes the claim's files take (`du -sk /data`, in KiB blocks). */
export async function dataUsage(deps: VolumePodDeps, ref: VolumeRef): Promise<number> {
  return withPod(deps, ref, async (pod) => {
    const r = await runExec(deps.client, pod, ['du', '-sk', mountPath], { timeoutMs: 60_000 });
    const kib = /^(\d+)/.exec(r.stdout.trim())?.[1];
    if (r.exitCode !== 0 || kib === undefined)
      throw new EngineError(
        `Measuring volume ${ref.volume} on Kubernetes cluster ${deps.cluster} failed: du exited ${r.exitCode}: ${r.stderr.trim()}`,
        { cluster: deps.cluster, volume: ref.volume },
      );
    return Number(kib) * 1024;
  });
}
