/**
 * The Kubernetes engine: Berth's ContainerEngine and WorkloadEngine on one cluster (ADR 0007).
 * Kubernetes rolls whole services out (one Deployment per service, applied with server-side
 * apply); Berth follows through one pod watch and reaches single replicas — logs, exec, stats,
 * events, destroy, rotation — as pods.
 *
 * The pod watch: one per engine, over the whole cluster, filtered by `berth.instance=<id>` (one
 * connection however many namespaces Berth has; it needs `list`/`watch` on pods cluster-wide,
 * which docs/kubernetes.md lists among Berth's RBAC rules). Pods labelled with another
 * `berth.cluster` than this engine's are ignored, so two Berth clusters on one API server (two
 * namespaces-as-clusters in tests) each see their own.
 */
import type {
  ContainerCreateSpec,
  ContainerEngine,
  ContainerObservation,
  ContainerStats,
  EngineEvent,
  EngineHealth,
  ExecOptions,
  ExecResult,
  ExecSession,
  ImageInfo,
  KubeObject,
  LogLine,
  LogOptions,
  NamespaceSpec,
  OrphanKeep,
  PathStat,
  WorkloadEngine,
  WorkloadConfigMount,
  WorkloadObjectEvent,
  WorkloadRef,
  WorkloadSpec,
  WorkloadStatus,
  WorkloadVolumeMount,
} from '@berth/engine-api';
import { labelKeys } from '@berth/engine-api';
import { EngineError, NotFoundError, UnavailableError, type ClusterCapacity } from '@berth/shared';
import {
  applyObject,
  collectConfigMaps,
  collectNamespaceGarbage,
  collectWorkloadGarbage,
  deleteObject,
  fieldManager,
  listObjects,
  replaceSelector,
  serviceConfigMaps,
  type Owners,
} from './apply';
import { KubeClient } from './client';
import { clusterCapacity, clusterHealth, listAll } from './cluster-info';
import {
  addEphemeralContainer,
  debugObservations,
  debugRef,
  debugStopCommand,
  ephemeralContainerOf,
  ephemeralStarted,
  ephemeralStatus,
  ephemeralTarget,
  forgetEphemeralContainer,
  podSecurityLevel,
} from './debug';
import { openExec, runExec } from './exec';
import { archiveByExec, statPathByExec, type FilesPlace } from './files';
import type { Deployment, Node, Pod, Service } from './kube-types';
import { ListWatch } from './list-watch';
import { podLogs } from './logs';
import {
  canaryMark,
  canaryObjects,
  kubeKeys,
  namespaceObjects,
  oneOffPlace,
  oneOffPod,
  oneOffSecret,
  ownershipSelector,
  serviceDeploymentSelector,
  workloadObjects,
} from './manifests/index';
import { claimName, deploymentName, namespaceName, pullSecretName, serviceObjectName } from './names';
import { workloadEvents } from './object-events';
import { collectOrphans } from './orphans';
import { prepareOneOff } from './one-off-prep';
import {
  dataUsage,
  defaultVolumeToolsImage,
  exportData,
  importData,
  type VolumePodDeps,
} from './volume-data';
import {
  canaryPortsKey,
  observationOf,
  podTransitions,
  type Exposure,
  type ExposureFacts,
  type PodAddress,
} from './observation';
import { objectPath, resourceOf } from './resources';
import { podStats } from './stats';
import { workloadStatusOf } from './workload-status';

export { statsUnavailable } from './stats';
export type { Exposure, PodAddress } from './observation';
export type { Pod } from './kube-types';

/** Options of a KubernetesEngine. */
export interface KubernetesEngineOptions {
  /** The cluster's name in Berth. */
  cluster: string;
  /** This Berth's instance id: the pod watch's label filter and the ownership label it applies. */
  instanceId: string;
  /** A kubeconfig (YAML text, its current context is used). */
  kubeconfig?: string;
  /** Use the pod's service account (Berth running in the cluster). */
  inCluster?: boolean;
  /** How gateways reach replicas (docs/kubernetes.md); default pod-ip. */
  exposure?: Exposure;
  /**
   * The cluster's namespace prefix (default "": none). Every namespace, object and lookup of this
   * engine uses it, whatever a spec says: two Berth clusters on one API server keep apart.
   */
  namespacePrefix?: string;
  /** Test hook: the address of a pod's port (the test API server's loopback servers). */
  podAddress?: PodAddress;
  /** Called with failures of the background watch (logging); it retries by itself. */
  onWatchError?: (err: unknown) => void;
  /** The image of the pods that export, import and measure volumes (tar, du, sleep); default busybox. */
  volumeToolsImage?: string;
}

/**
 * `listContainers` refuses to answer from the pod cache when every list or watch attempt failed
 * for this long: the cluster is then as unlistable as a dead Podman host (failover counts from it).
 */
const staleWatchMs = 5_000;

/** How long a debug container's ephemeral container may take to run (an image pull). */
const debugStartMs = 60_000;

/** How long `runContainer` waits for the pod watch to show the pod it created. */
const oneOffSeenMs = 10_000;

/** Node IPs and NodePorts are read again after this long (node-port exposure only). */
const exposureFactsTtlMs = 5_000;

/** ContainerEngine + WorkloadEngine over one Kubernetes API server. */
export class KubernetesEngine implements ContainerEngine, WorkloadEngine {
  readonly kind = 'kubernetes';
  readonly cluster: string;
  readonly instanceId: string;
  readonly namespacePrefix: string;
  private readonly client: KubeClient;
  private readonly exposure: Exposure;
  private readonly podAddress: PodAddress | undefined;
  private readonly pods: ListWatch<Pod>;
  private readonly listeners = new Set<(prev: Pod | undefined, next: Pod | undefined) => void>();
  private facts: { at: number; facts: Promise<ExposureFacts> } | null = null;
  /** The last apply's conflicts per workload (`ns/service`), for its status message. */
  private readonly applyNotes = new Map<string, string[]>();
  /**
   * Workloads (`ns/service`) whose last apply kept old config versions' ConfigMaps because pods
   * of a rollout still mounted them: collected again when a pod of the namespace goes.
   */
  private readonly pendingMaps = new Map<
    string,
    { namespace: string; owners: Owners; wanted: Set<string> }
  >();
  private readonly gcTimers = new Map<string, NodeJS.Timeout>();
  private readonly onWatchError: ((err: unknown) => void) | undefined;
  private readonly volumeToolsImage: string;

  constructor(opts: KubernetesEngineOptions) {
    this.cluster = opts.cluster;
    this.instanceId = opts.instanceId;
    this.namespacePrefix = opts.namespacePrefix ?? '';
    namespaceName('x', 'x', this.namespacePrefix); // a bad prefix fails here, not at the first apply
    this.client = new KubeClient({
      cluster: opts.cluster,
      kubeconfig: opts.kubeconfig,
      inCluster: opts.inCluster,
    });
    this.exposure = opts.exposure ?? 'pod-ip';
    this.podAddress = opts.podAddress;
    this.onWatchError = opts.onWatchError;
    this.volumeToolsImage = opts.volumeToolsImage ?? defaultVolumeToolsImage;
    this.pods = new ListWatch<Pod>(this.client, {
      path: '/api/v1/pods',
      labelSelector: `${labelKeys.instance}=${opts.instanceId},${labelKeys.cluster}=${opts.cluster}`,
      ctx: { resource: 'pods' },
      onChange: (prev, next) => {
        for (const l of this.listeners) l(prev, next);
        if (prev && !next && prev.metadata.namespace) this.collectLater(prev.metadata.namespace);
      },
      onError: opts.onWatchError,
    });
  }

  /** Stops the pod watch and the pending collections. */
  async close(): Promise<void> {
    for (const t of this.gcTimers.values()) clearTimeout(t);
    this.gcTimers.clear();
    this.pendingMaps.clear();
    await this.pods.close();
  }

  /**
   * A pod of `namespace` went: the ConfigMaps a rollout kept may be free now. One collection per
   * namespace a second after the last pod went (a rollout removes pods in a burst).
   */
  private collectLater(namespace: string): void {
    if (![...this.pendingMaps.values()].some((p) => p.namespace === namespace)) return;
    clearTimeout(this.gcTimers.get(namespace));
    const timer = setTimeout(() => {
      this.gcTimers.delete(namespace);
      void this.collectPending(namespace);
    }, 1000);
    timer.unref();
    this.gcTimers.set(namespace, timer);
  }

  private async collectPending(namespace: string): Promise<void> {
    for (const [key, p] of this.pendingMaps) {
      if (p.namespace !== namespace) continue;
      try {
        const r = await collectConfigMaps(
          this.client,
          namespace,
          p.owners,
          p.wanted,
          this.mountedConfigMaps(namespace),
        );
        if (!r.kept.length && this.pendingMaps.get(key) === p) this.pendingMaps.delete(key);
      } catch (err) {
        this.onWatchError?.(err);
      }
    }
  }

  /** Diagnostics and tests: how many times the pod watch listed (1 + relists after 410 Gone). */
  get podLists(): number {
    return this.pods.lists;
  }

  // ---- cluster ------------------------------------------------------------------------------

  health(): Promise<EngineHealth> {
    return clusterHealth(this.client);
  }

  capacity(): Promise<ClusterCapacity> {
    return clusterCapacity(this.client, this.instanceId, this.cluster);
  }

  // ---- images: Kubernetes pulls images itself -------------------------------------------------

  /** Kubernetes has no image store Berth can read: unknown (null). */
  async inspectImage(_ref: string): Promise<ImageInfo | null> {
    return null;
  }

  /**
   * The kubelet pulls when a pod starts (the pod's waiting reason says ErrImagePull if it
   * cannot), so there is nothing to pull here: a synthetic ImageInfo naming the reference, with
   * its digest when the reference pins one; user '' (unknown), no ports, size 0.
   */
  async ensureImage(ref: string): Promise<ImageInfo> {
    const digest = /@(sha256:[0-9a-f]{64})$/.exec(ref)?.[1] ?? '';
    return { id: ref, digest, user: '', exposedPorts: [], sizeBytes: 0 };
  }

  /**
   * A one-off container (a cron job's attempt) as a bare Pod with `restartPolicy: Never` in the
   * namespace of its project's environment (labels `berth.project`, `berth.env`), applied with
   * server-side apply (manifests/one-off.ts). The namespace must exist: Berth applies it, with
   * its quota, pull secret and Pod Security level, when a service of the environment runs on the
   * cluster, and a one-off pod does not write it (an apply without the services' pull secret
   * would collect that secret). Returns the pod's uid once the pod watch has seen it, so
   * `inspectContainer` right after finds it.
   */
  async runContainer(spec: ContainerCreateSpec): Promise<string> {
    if (spec.shareNamespacesOf) return this.runDebugContainer(spec);
    const place = oneOffPlace(spec);
    const namespace = this.namespaceOf(place);
    const nsInfo = resourceOf('v1', 'Namespace');
    const ns = await this.client.json('GET', objectPath(nsInfo, namespace), {
      allow: [404],
      ctx: { verb: 'get', resource: nsInfo.rbac, name: namespace },
    });
    if (!ns)
      throw new EngineError(
        `Kubernetes cluster ${this.cluster} has no namespace ${namespace} for ${place.project}/${place.env} yet, so ${spec.name} cannot run there: Berth creates it (with the project's quota and pull secret) when a service of the environment is deployed to this cluster. Deploy one there, or run this on a Podman cluster.`,
        { cluster: this.cluster, namespace },
      );
    const secretInfo = resourceOf('v1', 'Secret');
    const pull = await this.client.json('GET', objectPath(secretInfo, pullSecretName, namespace), {
      allow: [404],
      ctx: { verb: 'get', resource: secretInfo.rbac, namespace, name: pullSecretName },
    });
    const owner = {
      instance: this.instanceId,
      cluster: this.cluster,
      namespacePrefix: this.namespacePrefix,
      pullSecret: pull !== null,
    };
    const pod = oneOffPod(spec, owner);
    const secret = oneOffSecret(spec, owner);
    if (secret) await applyObject(this.client, secret);
    try {
      await applyObject(this.client, pod);
    } catch (err) {
      if (secret) await deleteObject(this.client, secretInfo, secret.metadata.name, namespace);
      throw err;
    }
    const podInfo = resourceOf('v1', 'Pod');
    const created = await this.client.json<Pod>('GET', objectPath(podInfo, spec.name, namespace), {
      ctx: { verb: 'get', resource: podInfo.rbac, namespace, name: spec.name },
    });
    const uid = created?.metadata.uid ?? spec.name;
    // the pod owns its Secret: Kubernetes' garbage collector deletes it with the pod
    if (secret && created?.metadata.uid)
      await this.client.json('PATCH', objectPath(secretInfo, secret.metadata.name, namespace), {
        query: { fieldManager },
        body: {
          metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: spec.name, uid }] },
        },
        contentType: 'application/merge-patch+json',
        ctx: { verb: 'patch', resource: secretInfo.rbac, namespace, name: secret.metadata.name },
      });
    await this.seen(uid, oneOffSeenMs);
    return uid;
  }

  /**
   * Resolves when the pod watch has the pod `uid` in its cache, or after `ms` (a slow watch:
   * the caller's next look finds it).
   */
  private async seen(uid: string, ms: number): Promise<void> {
    await this.pods.ready();
    if (this.pods.list().some((p) => p.metadata.uid === uid)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      const listener = (_prev: Pod | undefined, next: Pod | undefined) => {
        if (next?.metadata.uid === uid) done();
      };
      const timer = setTimeout(done, ms);
      this.listeners.add(listener);
    });
  }

  /**
   * Waits until the pod has ended (Succeeded, Failed) or is gone; its exit code, null when
   * unknown (gone, or aborted).
   */
  async waitContainer(idOrName: string, signal?: AbortSignal): Promise<number | null> {
    await this.pods.ready();
    const pod = this.lookup(idOrName);
    if (!pod) return null;
    const uid = pod.metadata.uid;
    const ended = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    const code = (p: Pod | undefined) => (p ? observationOf(p, this.exposure, null).exitCode : null);
    if (ended(pod)) return code(pod);
    return new Promise<number | null>((resolve) => {
      const finish = (v: number | null) => {
        this.listeners.delete(listener);
        signal?.removeEventListener('abort', abort);
        resolve(v);
      };
      const abort = () => finish(null);
      const listener = (prev: Pod | undefined, next: Pod | undefined) => {
        const p = next ?? prev;
        if (p?.metadata.uid !== uid) return;
        if (!next) finish(code(prev));
        else if (ended(next)) finish(code(next));
      };
      this.listeners.add(listener);
      signal?.addEventListener('abort', abort, { once: true });
      if (signal?.aborted) abort();
    });
  }

  // ---- workloads ----------------------------------------------------------------------------

  /** The namespace of a project's environment on this cluster (with its prefix). */
  namespaceOf(ref: Pick<WorkloadRef, 'project' | 'env'>): string {
    return namespaceName(ref.project, ref.env, this.namespacePrefix);
  }

  manifests(ns: NamespaceSpec, w: WorkloadSpec): KubeObject[] {
    const namespacePrefix = this.namespacePrefix;
    return [...namespaceObjects({ ...ns, namespacePrefix }), ...workloadObjects({ ...w, namespacePrefix })];
  }

  async applyNamespace(spec: NamespaceSpec): Promise<void> {
    const ns = { ...spec, namespacePrefix: this.namespacePrefix };
    const objects = namespaceObjects(ns);
    for (const o of objects) await applyObject(this.client, o);
    await collectNamespaceGarbage(
      this.client,
      this.namespaceOf(ns),
      ownershipSelector({ instance: ns.instance, cluster: ns.cluster }),
      objects,
    );
  }

  async applyWorkload(spec: WorkloadSpec): Promise<void> {
    const w = { ...spec, namespacePrefix: this.namespacePrefix };
    const objects = workloadObjects(w);
    const namespace = this.namespaceOf(w);
    // a Deployment applied before route canaries selects their pods too: replaced once (ADR 0008)
    await replaceSelector(this.client, namespace, deploymentName(w.service), serviceDeploymentSelector(w));
    const notes: string[] = [];
    for (const o of objects) notes.push(...(await applyObject(this.client, o)));
    this.applyNotes.set(`${namespace}/${w.service}`, notes);
    const owners = this.owners(w);
    const gc = await collectWorkloadGarbage(
      this.client,
      namespace,
      owners,
      objects,
      this.mountedConfigMaps(namespace),
    );
    const key = `${namespace}/${w.service}`;
    if (gc.keptConfigMaps.length) {
      const wanted = new Set(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name));
      this.pendingMaps.set(key, { namespace, owners, wanted });
    } else this.pendingMaps.delete(key);
  }

  canaryManifests(canaries: WorkloadSpec[]): KubeObject[] {
    return canaries.flatMap((c) => canaryObjects({ ...c, namespacePrefix: this.namespacePrefix }));
  }

  /**
   * The service's route canaries (ADR 0008, manifests/workload.ts `canaryObjects`): applies each
   * wanted one and deletes the service's canary Deployments, Services and Secrets that are not
   * (an ended or aborted canary; its pods' preStop drains them).
   */
  async applyCanaries(ref: WorkloadRef, canaries: WorkloadSpec[]): Promise<void> {
    const namespace = this.namespaceOf(ref);
    const keep = new Set<string>();
    for (const o of this.canaryManifests(canaries)) {
      await applyObject(this.client, o);
      keep.add(`${o.kind}/${o.metadata.name}`);
    }
    const selector = `${this.owners(ref).service},${labelKeys.canary}`;
    for (const [apiVersion, kind] of [
      ['apps/v1', 'Deployment'],
      ['v1', 'Service'],
      ['v1', 'Secret'],
    ] as const) {
      const info = resourceOf(apiVersion, kind);
      for (const o of await listObjects(this.client, info, namespace, selector))
        if (!keep.has(`${kind}/${o.metadata.name}`))
          await deleteObject(this.client, info, o.metadata.name, namespace);
    }
    // a canary Service's NodePorts are new facts
    this.facts = null;
  }

  async workloadStatus(ref: WorkloadRef): Promise<WorkloadStatus | null> {
    const namespace = this.namespaceOf(ref);
    const info = resourceOf('apps/v1', 'Deployment');
    const name = deploymentName(ref.service);
    const d = await this.client.json<Deployment>('GET', objectPath(info, name, namespace), {
      allow: [404],
      ctx: { verb: 'get', resource: info.rbac, namespace, name },
    });
    if (!d) return null;
    const pods = this.pods
      .list()
      .filter(
        (p) =>
          p.metadata.namespace === namespace &&
          p.metadata.labels?.[labelKeys.service] === ref.serviceId &&
          !p.metadata.labels[labelKeys.canary],
      );
    return workloadStatusOf(d, pods, this.applyNotes.get(`${namespace}/${ref.service}`) ?? []);
  }

  /**
   * Deletes the service's Deployment (its ReplicaSets and pods go with it), Service and Secrets —
   * canaries included — and the config versions' ConfigMaps it mounted that nothing else in the
   * namespace mounts. PersistentVolumeClaims stay: they are the environment's volumes, deleted
   * only with the volume.
   */
  async deleteWorkload(ref: WorkloadRef): Promise<void> {
    const namespace = this.namespaceOf(ref);
    const owners = this.owners(ref);
    const maps = await serviceConfigMaps(this.client, namespace, owners);
    for (const [apiVersion, kind] of [
      ['apps/v1', 'Deployment'],
      ['v1', 'Service'],
      ['v1', 'Secret'],
    ] as const) {
      const info = resourceOf(apiVersion, kind);
      for (const o of await listObjects(this.client, info, namespace, owners.service)) {
        await deleteObject(this.client, info, o.metadata.name, namespace);
      }
    }
    // Named objects whose labels were edited away by hand still go.
    await deleteObject(
      this.client,
      resourceOf('apps/v1', 'Deployment'),
      deploymentName(ref.service),
      namespace,
    );
    await collectConfigMaps(this.client, namespace, owners, new Set(), new Set(), {
      serviceGoing: true,
      candidates: maps,
    });
    this.applyNotes.delete(`${namespace}/${ref.service}`);
    this.pendingMaps.delete(`${namespace}/${ref.service}`);
  }

  /** The garbage collection's selectors for a service of this engine. */
  private owners(ref: Pick<WorkloadRef, 'serviceId'>): Owners {
    const namespace = ownershipSelector({ instance: this.instanceId, cluster: this.cluster });
    return { namespace, service: `${namespace},${labelKeys.service}=${ref.serviceId}` };
  }

  /**
   * Relabels the pod `berth.rotation=in|out` (merge patch): the Service's selector wants `in`. A
   * canary's pod goes back to `canary`, never `in` (the stable Service must not select it).
   */
  async setInRotation(idOrName: string, inRotation: boolean): Promise<void> {
    const pod = await this.requirePod(idOrName);
    const namespace = pod.metadata.namespace ?? 'default';
    const back = pod.metadata.labels?.[labelKeys.canary] === canaryMark ? 'canary' : 'in';
    await this.client.json('PATCH', objectPath(resourceOf('v1', 'Pod'), pod.metadata.name, namespace), {
      query: { fieldManager },
      body: { metadata: { labels: { [kubeKeys.rotation]: inRotation ? back : 'out' } } },
      contentType: 'application/merge-patch+json',
      ctx: { verb: 'patch', resource: 'pods', namespace, name: pod.metadata.name },
    });
  }

  /**
   * Before a one-off pod that is no service's (a cron run): the namespace unless a service keeps
   * it, and the ConfigMaps and claims it mounts (one-off-prep.ts).
   */
  async prepareOneOff(
    ns: NamespaceSpec,
    mounts: { configs: WorkloadConfigMount[]; volumes: WorkloadVolumeMount[] },
  ): Promise<void> {
    await prepareOneOff(
      this.client,
      {
        instance: this.instanceId,
        cluster: this.cluster,
        namespacePrefix: this.namespacePrefix,
        applyNamespace: (spec) => this.applyNamespace(spec),
      },
      ns,
      mounts,
    );
  }

  /** A volume's claim as a tar stream, through a tools pod (volume-data.ts). */
  async exportVolumeData(ns: NamespaceSpec, claim: WorkloadVolumeMount): Promise<NodeJS.ReadableStream> {
    await this.prepareOneOff(ns, { configs: [], volumes: [claim] });
    return exportData(this.volumeDeps(), { project: ns.project, env: ns.env, volume: claim.volume });
  }

  /** Extracts a tar stream into a volume's claim, through a tools pod (volume-data.ts). */
  async importVolumeData(
    ns: NamespaceSpec,
    claim: WorkloadVolumeMount,
    tar: NodeJS.ReadableStream,
  ): Promise<void> {
    await this.prepareOneOff(ns, { configs: [], volumes: [claim] });
    await importData(this.volumeDeps(), { project: ns.project, env: ns.env, volume: claim.volume }, tar);
  }

  /** The bytes a volume's claim holds (`du` in a tools pod, volume-data.ts). */
  async volumeDataUsage(ns: NamespaceSpec, claim: WorkloadVolumeMount): Promise<number> {
    await this.prepareOneOff(ns, { configs: [], volumes: [claim] });
    return dataUsage(this.volumeDeps(), { project: ns.project, env: ns.env, volume: claim.volume });
  }

  private volumeDeps(): VolumePodDeps {
    return {
      client: this.client,
      instance: this.instanceId,
      cluster: this.cluster,
      namespacePrefix: this.namespacePrefix,
      image: this.volumeToolsImage,
      running: (namespace, name, ms) => this.running(namespace, name, ms),
      nodeOf: (namespace, claim) =>
        this.pods
          .list()
          .find(
            (p) =>
              p.metadata.namespace === namespace &&
              p.status?.phase === 'Running' &&
              (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim),
          )?.spec?.nodeName,
    };
  }

  /**
   * Resolves with the pod once the pod watch sees its container running; rejects when it ended
   * first or after `ms`, naming why it waits (an image that cannot be pulled, a claim not bound).
   */
  private async running(namespace: string, name: string, ms: number): Promise<Pod> {
    await this.pods.ready();
    const find = () =>
      this.pods.list().find((p) => p.metadata.namespace === namespace && p.metadata.name === name);
    const state = (p: Pod | undefined): 'running' | 'ended' | 'waiting' =>
      p?.status?.phase === 'Running'
        ? 'running'
        : p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed'
          ? 'ended'
          : 'waiting';
    const now = find();
    if (now && state(now) === 'running') return now;
    return new Promise<Pod>((resolve, reject) => {
      const fail = (why: string) => {
        finish();
        reject(
          new EngineError(
            `Kubernetes cluster ${this.cluster}: the volume tools pod ${namespace}/${name} (image ${this.volumeToolsImage}) ${why}.`,
            { cluster: this.cluster, pod: name },
          ),
        );
      };
      const finish = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = (_prev: Pod | undefined, next: Pod | undefined) => {
        if (next?.metadata.namespace !== namespace || next.metadata.name !== name) return;
        const s = state(next);
        if (s === 'running') {
          finish();
          resolve(next);
        } else if (s === 'ended') fail('ended before it could be used');
      };
      const timer = setTimeout(() => {
        const waiting = find()?.status?.containerStatuses?.[0]?.state?.waiting;
        fail(
          `did not start within ${Math.round(ms / 1000)} s${waiting?.reason ? ` (${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''})` : ''}`,
        );
      }, ms);
      this.listeners.add(listener);
    });
  }

  /** Deletes a deleted volume's claim (Kubernetes keeps it, pvc-protection, until no pod uses it). */
  async deleteVolume(ref: Pick<WorkloadRef, 'project' | 'env'>, volume: string): Promise<void> {
    await deleteObject(
      this.client,
      resourceOf('v1', 'PersistentVolumeClaim'),
      claimName(volume),
      this.namespaceOf(ref),
    );
  }

  /** Deletes this Berth cluster's objects whose service, volume or environment is gone (orphans.ts). */
  collectOrphans(keep: () => Promise<OrphanKeep>): Promise<string[]> {
    return collectOrphans(
      this.client,
      ownershipSelector({ instance: this.instanceId, cluster: this.cluster }),
      keep,
    );
  }

  /** The cluster's events about the workload's objects (object-events.ts). */
  objectEvents(ref: WorkloadRef, signal: AbortSignal): AsyncIterable<WorkloadObjectEvent> {
    return workloadEvents(
      this.client,
      this.namespaceOf(ref),
      deploymentName(ref.service),
      serviceObjectName(ref.service),
      signal,
    );
  }

  // ---- replicas (pods) ----------------------------------------------------------------------

  /** Deletes the pod with `graceSeconds`; Kubernetes runs preStop and SIGTERM/SIGKILL. Missing: fine. */
  async stopContainer(idOrName: string, graceSeconds: number): Promise<void> {
    if (debugRef(idOrName)) return this.stopDebugContainer(idOrName);
    const pod = await this.findPod(idOrName);
    if (!pod) return;
    await deleteObject(this.client, resourceOf('v1', 'Pod'), pod.metadata.name, pod.metadata.namespace, {
      gracePeriodSeconds: Math.max(0, Math.ceil(graceSeconds)),
    });
  }

  /**
   * Deletes the pod with its own grace period (destroying one replica: the ReplicaSet replaces
   * it). Never a force deletion (grace 0 removes only the API object while the kubelet may still
   * run the process). Missing: fine.
   */
  async removeContainer(idOrName: string): Promise<void> {
    if (debugRef(idOrName)) return this.stopDebugContainer(idOrName);
    const pod = await this.findPod(idOrName);
    if (!pod) return;
    await deleteObject(this.client, resourceOf('v1', 'Pod'), pod.metadata.name, pod.metadata.namespace);
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerObservation[]> {
    await this.pods.ready();
    // A cache the API server has not confirmed for a while is no answer: the controller treats
    // the cluster as one it cannot list (its failover grace runs), as a dead Podman host.
    const failing = this.pods.failingFor(staleWatchMs);
    if (failing)
      throw new UnavailableError(
        `Kubernetes cluster ${this.cluster}: the pod watch has failed for ${Math.round(staleWatchMs / 1000)} s or more, so its pods are not known: ${failing instanceof Error ? failing.message : 'no answer'}`,
      );
    const pods = this.pods.list().filter((p) => this.mine(p) && matches(p.metadata.labels ?? {}, labels));
    const facts = await this.exposureFacts();
    const debug = this.pods
      .list()
      .filter((p) => this.mine(p))
      .flatMap(debugObservations)
      .filter((o) => matches(o.labels, labels));
    return [...pods.map((p) => observationOf(p, this.exposure, facts, this.podAddress)), ...debug];
  }

  async inspectContainer(idOrName: string): Promise<ContainerObservation | null> {
    const ref = debugRef(idOrName);
    if (ref) return this.debugObservation(ref);
    const pod = await this.findPod(idOrName);
    if (!pod) return null;
    return observationOf(pod, this.exposure, await this.exposureFacts(), this.podAddress);
  }

  async *logs(idOrName: string, opts: LogOptions): AsyncIterable<LogLine> {
    const pod = await this.requirePod(idOrName);
    yield* podLogs(this.client, pod.metadata.namespace ?? 'default', pod.metadata.name, opts);
  }

  async exec(idOrName: string, opts: ExecOptions): Promise<ExecSession> {
    const place = await this.execPlace(idOrName);
    return openExec(this.client, place.pod, opts, place.target);
  }

  async execRun(
    idOrName: string,
    cmd: string[],
    opts: { timeoutMs: number; user?: string },
  ): Promise<ExecResult> {
    const place = await this.execPlace(idOrName);
    return runExec(this.client, place.pod, cmd, opts, place.target);
  }

  async stats(idsOrNames: string[]): Promise<ContainerStats[]> {
    await this.pods.ready();
    const pods = idsOrNames
      .map((n) => this.lookup(n))
      .filter((p): p is Pod => p !== undefined && p.status?.phase === 'Running');
    if (!pods.length) return [];
    return podStats(this.client, pods);
  }

  /**
   * Container events from pod transitions seen by the pod watch from now on: create, start,
   * died (with the exit code), oom, remove (observation.ts).
   */
  async *events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<EngineEvent> {
    if (signal.aborted) return;
    await this.pods.ready();
    const queue: EngineEvent[] = [];
    let wake: (() => void) | null = null;
    const listener = (prev: Pod | undefined, next: Pod | undefined) => {
      const pod = next ?? prev!;
      if (!this.mine(pod)) return;
      for (const e of podTransitions(prev, next)) if (matches(e.labels, labels)) queue.push(e);
      wake?.();
    };
    const stop = () => wake?.();
    this.listeners.add(listener);
    signal.addEventListener('abort', stop, { once: true });
    try {
      while (!signal.aborted) {
        const e = queue.shift();
        if (e) {
          yield e;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      this.listeners.delete(listener);
      signal.removeEventListener('abort', stop);
    }
  }

  // ---- debug containers (debug.ts) and container files (files.ts) ----------------------------

  /** A debug container: an ephemeral container in the target's pod; its id `<pod uid>/<name>`. */
  private async runDebugContainer(spec: ContainerCreateSpec): Promise<string> {
    const pod = await this.requirePod(spec.shareNamespacesOf!);
    const level = await podSecurityLevel(this.client, pod.metadata.namespace ?? 'default');
    const container = ephemeralContainerOf(spec, pod, level);
    await addEphemeralContainer(this.client, pod, container, spec.labels);
    const uid = pod.metadata.uid ?? pod.metadata.name;
    await this.untilPod(uid, (p) => ephemeralStarted(p, container.name, this.cluster), debugStartMs);
    return `${uid}/${container.name}`;
  }

  /**
   * Ends a debug container's process (Kubernetes cannot remove an ephemeral container; debug.ts)
   * and stops listing it. Missing (its pod went): fine.
   */
  private async stopDebugContainer(idOrName: string): Promise<void> {
    const ref = debugRef(idOrName)!;
    const pod = await this.findPod(ref.pod);
    if (!pod) return;
    const target = ephemeralTarget(pod, ref.container);
    if (target && ephemeralStatus(pod, ref.container)?.state?.running) {
      const r = await runExec(this.client, pod, debugStopCommand, { timeoutMs: 10_000 }, target);
      // 137: the exec itself went down with the container whose main process it ended
      if (r.exitCode !== 0 && r.exitCode !== 137)
        throw new EngineError(
          `Kubernetes cluster ${this.cluster}: debug container ${ref.container} in pod ${pod.metadata.name} did not stop (exit ${r.exitCode}): ${r.stderr || r.stdout}`.trim(),
        );
    }
    await forgetEphemeralContainer(this.client, pod, ref.container);
  }

  private async debugObservation(ref: {
    pod: string;
    container: string;
  }): Promise<ContainerObservation | null> {
    const pod = await this.findPod(ref.pod);
    const id = `${pod?.metadata.uid}/${ref.container}`;
    return (pod ? debugObservations(pod) : []).find((o) => o.id === id) ?? null;
  }

  /** The pod (and the ephemeral container, for a debug container's id) an exec goes to. */
  private async execPlace(idOrName: string): Promise<FilesPlace> {
    const ref = debugRef(idOrName);
    const pod = await this.requirePod(ref ? ref.pod : idOrName);
    if (!ref) return { pod };
    const target = ephemeralTarget(pod, ref.container);
    if (!target)
      throw new NotFoundError(
        'CONTAINER_NOT_FOUND',
        `Kubernetes cluster ${this.cluster}: pod ${pod.metadata.name} has no debug container ${ref.container}.`,
      );
    return { pod, target };
  }

  /** Container files through `tar` in the container (files.ts); null when the path does not exist. */
  async statPath(idOrName: string, path: string): Promise<PathStat | null> {
    return statPathByExec(this.client, await this.execPlace(idOrName), path, this.cluster);
  }

  async getArchive(idOrName: string, path: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
    return archiveByExec(this.client, await this.execPlace(idOrName), path, this.cluster, signal);
  }

  /** Resolves when `test` holds for the pod `uid` (it may throw to fail), or rejects after `ms`. */
  private async untilPod(uid: string, test: (p: Pod) => boolean, ms: number): Promise<void> {
    await this.pods.ready();
    const now = this.pods.list().find((p) => p.metadata.uid === uid);
    if (now && test(now)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: unknown) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        if (err) reject(err instanceof Error ? err : new Error('a debug container did not start'));
        else resolve();
      };
      const listener = (_prev: Pod | undefined, next: Pod | undefined) => {
        if (next?.metadata.uid !== uid) return;
        try {
          if (test(next)) done();
        } catch (err) {
          done(err);
        }
      };
      const timer = setTimeout(
        () =>
          done(
            new EngineError(
              `Kubernetes cluster ${this.cluster}: a debug container in pod ${uid} did not start within ${Math.round(ms / 1000)} s (pulling its image?); it is stopped by the sweeper when it does.`,
            ),
          ),
        ms,
      );
      this.listeners.add(listener);
    });
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** Pods of this Berth cluster (see the top comment on `berth.cluster`). */
  private mine(p: Pod): boolean {
    const c = p.metadata.labels?.[labelKeys.cluster];
    return c === undefined || c === this.cluster;
  }

  /** A pod of the cache by uid or name (names are unique per namespace; Deployment pods' names are cluster-unique in practice). */
  private lookup(idOrName: string): Pod | undefined {
    let byName: Pod | undefined;
    for (const p of this.pods.list()) {
      if (!this.mine(p)) continue;
      if (p.metadata.uid === idOrName) return p;
      if (p.metadata.name === idOrName) byName ??= p;
    }
    return byName;
  }

  private async findPod(idOrName: string): Promise<Pod | undefined> {
    await this.pods.ready();
    return this.lookup(idOrName);
  }

  private async requirePod(idOrName: string): Promise<Pod> {
    const pod = await this.findPod(idOrName);
    if (!pod) {
      throw new NotFoundError(
        'CONTAINER_NOT_FOUND',
        `Kubernetes cluster ${this.cluster} has no pod ${idOrName} of this Berth (it may have been replaced; list the containers again).`,
      );
    }
    return pod;
  }

  /** ConfigMaps the live pods of a namespace mount (kept by the garbage collection). */
  private mountedConfigMaps(namespace: string): Set<string> {
    const out = new Set<string>();
    for (const p of this.pods.list()) {
      if (p.metadata.namespace !== namespace) continue;
      for (const v of p.spec?.volumes ?? []) if (v.configMap?.name) out.add(v.configMap.name);
    }
    return out;
  }

  /** Node InternalIPs and the Services' NodePorts, cached briefly (node-port exposure only). */
  private exposureFacts(): Promise<ExposureFacts | null> {
    if (this.exposure !== 'node-port') return Promise.resolve(null);
    if (this.facts && Date.now() - this.facts.at < exposureFactsTtlMs) return this.facts.facts;
    const facts = (async (): Promise<ExposureFacts> => {
      const nodes = await listAll<Node>(this.client, '/api/v1/nodes', 'nodes');
      const services = await listAll<Service>(this.client, '/api/v1/services', 'services', {
        labelSelector: `${labelKeys.instance}=${this.instanceId}`,
      });
      const nodeIps = new Map<string, string>();
      for (const n of nodes) {
        const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
        if (ip) nodeIps.set(n.metadata.name, ip);
      }
      const servicePorts = new Map<string, NonNullable<NonNullable<Service['spec']>['ports']>>();
      for (const s of services) {
        const id = s.metadata.labels?.[labelKeys.service];
        if (!id || !s.spec?.ports) continue;
        // a canary's own Service (ADR 0008) answers for its pods only
        const canary = s.metadata.labels?.[labelKeys.canary]
          ? canaryPortsKey(s.metadata.labels[labelKeys.release] ?? '')
          : '';
        servicePorts.set(`${s.metadata.namespace}/${id}${canary}`, s.spec.ports);
      }
      return { nodeIps, servicePorts };
    })();
    this.facts = { at: Date.now(), facts };
    facts.catch(() => {
      if (this.facts?.facts === facts) this.facts = null;
    });
    return facts;
  }
}

function matches(have: Record<string, string>, want: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(want)) if (have[k] !== v) return false;
  return true;
}
