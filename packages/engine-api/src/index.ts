/**
 * The engine interface: everything Berth needs from a place that runs containers.
 * Engines pass Berth's own types only; no engine SDK type crosses this boundary.
 * Optional capabilities are optional methods (Kysely's dialect habit).
 */
import type { Duplex } from 'node:stream';
import type { WorkloadConfigMount, WorkloadVolumeMount } from './workload';

/** Labels Berth puts on every container it owns. */
export const labelKeys = {
  instance: 'berth.instance',
  service: 'berth.service',
  project: 'berth.project',
  env: 'berth.env',
  release: 'berth.release',
  container: 'berth.container',
  /** Set on a container that runs a release as a route's canary, outside the service's rollout. */
  canary: 'berth.canary',
  /**
   * The cluster Berth created the container on. Two registered clusters may reach one engine (a
   * mistake, or tests); each sees only its own containers by this label.
   */
  cluster: 'berth.cluster',
} as const;

export interface PortPublish {
  containerPort: number;
  /** Host address to publish on; Berth uses 127.0.0.1. */
  hostIp: string;
  /** 0 lets the engine choose a free port. */
  hostPort: number;
}

export interface ContainerCreateSpec {
  name: string;
  image: string;
  /** Replaces the image's entrypoint when set. */
  command?: string[];
  /** Replaces the image's CMD when set. */
  args?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  ports: PortPublish[];
  /** CPU limit in cores. */
  cpu?: number;
  memoryMiB?: number;
  /** uid[:gid] or a user name; undefined = the image's user. */
  user?: string;
  workingDir?: string;
  /**
   * Network to attach to; undefined = the engine's default. A name joins an existing network; a
   * NetworkAttachment is created when missing (Podman: DNS on, isolated from other such networks)
   * and gives the container aliases there (docs/networks.md).
   */
  network?: string | NetworkAttachment;
  /** Host directories bound into the container (builds: the workspace and a dependency cache). */
  mounts?: BindMount[];
  /** Most processes the container may run (a fork bomb in a build script stops here). */
  pidsLimit?: number;
  /** Runs an init as PID 1 (default true). */
  init?: boolean;
  /**
   * Shorthand for `capabilities: []` plus `noNewPrivileges: true` (untrusted build scripts).
   * Kept for callers that want nothing at all.
   */
  unprivileged?: boolean;
  /**
   * When set (even empty), every capability is dropped and only these are added back
   * (names without the CAP_ prefix, e.g. "NET_BIND_SERVICE"). Undefined = the engine's default set.
   */
  capabilities?: string[];
  /** Forbids gaining privileges through setuid binaries or file capabilities. */
  noNewPrivileges?: boolean;
  /** Mounts the root filesystem read-only; the engine then gives the container a writable tmpfs /tmp. */
  readOnlyRootfs?: boolean;
  /** Engine volumes mounted into the container (config files, volumes: docs/configs.md, docs/volumes.md). */
  volumes?: VolumeMount[];
  /**
   * What a workload engine (Kubernetes) mounts instead of `volumes`: config versions (ConfigMaps)
   * and volumes (claims), by the same names a service's pods use. `WorkloadEngine.prepareOneOff`
   * applies them first; other engines ignore it (they mount `volumes`).
   */
  workloadMounts?: { configs: WorkloadConfigMount[]; volumes: WorkloadVolumeMount[] };
  /**
   * Join this container's network and PID namespaces (debug containers): the new container sees
   * its processes and answers on its addresses. `ports` and `network` must then be empty.
   */
  shareNamespacesOf?: string;
}

/**
 * A network a container joins by name, e.g. its project environment's (docs/networks.md): the
 * containers on it resolve each other's aliases and names; other such networks cannot reach it.
 */
export interface NetworkAttachment {
  name: string;
  /** Extra names the container answers to there (a service name: every replica holds it, round robin). */
  aliases?: string[];
  /** Labels the network is created with when this container's creation creates it (ownership). */
  labels?: Record<string, string>;
}

/** A network as `listNetworks` reports it. */
export interface NetworkInfo {
  name: string;
  labels: Record<string, string>;
  createdAt: string;
}

/** What `removeNetwork` did; a network a container (even a stopped one) is on is refused, never forced. */
export type NetworkRemoval = 'removed' | 'missing' | 'in-use';

/** An engine volume mounted into a container. */
export interface VolumeMount {
  /** The volume's name in the engine. */
  name: string;
  destination: string;
  readOnly?: boolean;
}

/** What Berth asks for when it creates an engine volume. */
export interface VolumeCreateSpec {
  name: string;
  labels: Record<string, string>;
  /** Engine driver options (Podman's local driver: type, device, o), e.g. for NFS. */
  options?: Record<string, string>;
}

export interface VolumeInfo {
  name: string;
  labels: Record<string, string>;
  /** Where the engine keeps it on its host ('' when not local). */
  mountpoint: string;
  options: Record<string, string>;
  createdAt: string;
}

/** What `removeVolume` did; a volume a container uses is refused (`in-use`), never forced. */
export type VolumeRemoval = 'removed' | 'missing' | 'in-use';

/** One entry of a path inside a container, as the archive API reports it. */
export interface PathStat {
  name: string;
  size: number;
  /** Unix mode bits including the file type (S_IFDIR, ...). */
  mode: number;
  /** RFC 3339. */
  mtime: string;
  /** Symlink target; '' when not a link. */
  linkTarget: string;
}

/** A host directory bound into a container. */
export interface BindMount {
  source: string;
  destination: string;
  readOnly?: boolean;
}

/** Options of an image build (the codeflow issue). */
export interface BuildImageOptions {
  /** Name the result gets, e.g. localhost/berth-pre/web:abc123. */
  tag: string;
  /** Path of the Dockerfile inside the context; default "Dockerfile". */
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** Memory limit of RUN steps. */
  memoryMiB?: number;
  /** Cache each instruction as a layer (default true); false commits once at the end (faster when nothing is reused). */
  layers?: boolean;
  /** Aborting stops the build. */
  signal?: AbortSignal;
  /** Runs every RUN step confined (builds of user content); needs `buildDirectory`. */
  confine?: BuildConfinement;
  /**
   * The network RUN steps join (with `confine`), made when missing like a container's
   * NetworkAttachment: a project's build network, isolated from every env network, so that a
   * build of user content cannot reach another project's containers (docs/networks.md).
   */
  network?: NetworkAttachment;
}

/** How the RUN steps of a build of user content are confined (docs/codeflow.md). */
export interface BuildConfinement {
  memoryMiB: number;
  /** CPU limit in cores. */
  cpu: number;
  /** Most processes a RUN step may run. */
  pids: number;
  /** Host uid/gid that uid/gid 0 of a RUN step maps to; `uidCount` ids from there. */
  uidBase: number;
  uidCount: number;
  /** A private directory (root-owned, not world-writable) for the runtime wrapper's files. */
  stateDir: string;
}

export type ObservedState = 'created' | 'running' | 'paused' | 'exited' | 'unknown';

/** What the engine says about one container right now. */
export interface ContainerObservation {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: ObservedState;
  image: string;
  /** Digest of the image (sha256:...) when known. */
  imageDigest: string | null;
  ip: string | null;
  /** Published ports: container port → "hostIp:hostPort". */
  ports: Record<string, string>;
  node: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  /** True when the engine knows the kernel OOM-killed it (never on cgroup v1 Podman; see exit 137). */
  oomKilled: boolean;
  memoryLimitBytes: number | null;
  /**
   * Workload engines only (Kubernetes): the engine's own readiness of the replica (the pod's Ready
   * condition, from its readiness probe). Undefined on engines where Berth probes readiness itself.
   */
  ready?: boolean;
  /** Workload engines only: the engine is stopping the replica (a pod with a deletionTimestamp). */
  terminating?: boolean;
}

export interface ImageInfo {
  id: string;
  /** Repo digest (sha256:...) when the image came from a registry; otherwise the image id. */
  digest: string;
  /** The image's configured user ("" = root). */
  user: string;
  exposedPorts: number[];
  sizeBytes: number;
}

/** One image in an engine's local storage, as `listImages` reports it. */
export interface StoredImage {
  id: string;
  /** The names it is tagged with (`host/repo:tag`); empty for a dangling image. */
  names: string[];
  /** Its repo digests (`host/repo@sha256:…`). */
  digests: string[];
  /** Containers created from it, in any state, Berth's or not, as the engine counts them. */
  containers: number;
  sizeBytes: number;
  /** RFC 3339. */
  createdAt: string;
}

/**
 * What `removeImage` did: `removed` (gone from storage), `untagged` (this name is gone, the image
 * stays under its other names), `missing` (there was no such image), `in-use` (the engine refused:
 * a container uses it; nothing changed). Only `removed` frees space. A refusal is an answer, not
 * an error: removal never forces.
 */
export type ImageRemoval = 'removed' | 'untagged' | 'missing' | 'in-use';

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 timestamp as the engine recorded it. */
  at: string;
  text: string;
}

export interface LogOptions {
  tail?: number;
  /** RFC 3339 or unix seconds. */
  since?: string;
  follow?: boolean;
  signal?: AbortSignal;
}

export interface ExecOptions {
  cmd: string[];
  user?: string;
  tty: boolean;
  env?: Record<string, string>;
  workingDir?: string;
  cols?: number;
  rows?: number;
}

/** An interactive exec: a raw duplex stream (TTY) or demultiplexed output (no TTY). */
export interface ExecSession {
  /** Writing sends stdin; reading yields stdout (and stderr when tty). */
  stream: Duplex;
  /** Without a TTY: stderr separately. */
  stderr?: NodeJS.ReadableStream;
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the exit code when the process ends. */
  exitCode(): Promise<number | null>;
  close(): void;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ContainerStats {
  id: string;
  name: string;
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
}

export interface EngineEvent {
  /** create, start, died, oom, remove, ... */
  type: string;
  containerId: string;
  containerName: string;
  labels: Record<string, string>;
  at: string;
  exitCode: number | null;
}

export interface EngineHealth {
  ok: boolean;
  version: string;
  message: string | null;
}

/** A registry credential for one pull or push (Podman gets it as X-Registry-Auth). */
export interface RegistryAuth {
  username: string;
  password: string;
}

/** A place that runs containers: one Podman host, or (later) a Kubernetes cluster. */
export interface ContainerEngine {
  readonly kind: string;
  /** The cluster name this engine serves, e.g. "local". */
  readonly cluster: string;
  health(): Promise<EngineHealth>;

  inspectImage(ref: string): Promise<ImageInfo | null>;
  /**
   * Pulls when missing (or always when `always`); throws EngineError when it cannot. `auth` is a
   * registry credential for this pull only (never stored or logged).
   */
  ensureImage(ref: string, opts?: { always?: boolean; auth?: RegistryAuth }): Promise<ImageInfo>;

  /** Creates and starts a container; returns its id. */
  runContainer(spec: ContainerCreateSpec): Promise<string>;
  /** SIGTERM, then SIGKILL after the grace period. A missing container is not an error. */
  stopContainer(idOrName: string, graceSeconds: number): Promise<void>;
  /** Removes (force). A missing container is not an error. */
  removeContainer(idOrName: string): Promise<void>;
  /** All containers (running or not) whose labels include every given label. */
  listContainers(labels: Record<string, string>): Promise<ContainerObservation[]>;
  inspectContainer(idOrName: string): Promise<ContainerObservation | null>;

  logs(idOrName: string, opts: LogOptions): AsyncIterable<LogLine>;
  exec(idOrName: string, opts: ExecOptions): Promise<ExecSession>;
  /** Runs a command to completion (used by exec health checks); kills it after timeoutMs. */
  execRun(idOrName: string, cmd: string[], opts: { timeoutMs: number; user?: string }): Promise<ExecResult>;
  /** One sample for each listed running container. */
  stats(idsOrNames: string[]): Promise<ContainerStats[]>;
  /** Container events for containers with these labels, until the signal aborts. */
  events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<EngineEvent>;

  /**
   * Optional: builds an image from a tar context. Yields the build's output lines; throws
   * EngineError when a step fails. The result is inspectable under `opts.tag` afterwards.
   */
  buildImage?(context: NodeJS.ReadableStream, opts: BuildImageOptions): AsyncIterable<string>;
  /**
   * Optional: builds the directory `contextDir` (the engine's host) with `opts.confine` applied to
   * every RUN step. Yields output lines; throws on failure.
   */
  buildDirectory?(contextDir: string, opts: BuildImageOptions): AsyncIterable<string>;
  /** Optional: pushes a local image to `destination` (a registry reference). */
  pushImage?(
    image: string,
    destination: string,
    opts?: { tlsVerify?: boolean; auth?: RegistryAuth },
  ): Promise<void>;
  /**
   * Optional: removes a local image by name (or, for an image without names, by id), never
   * forcing: a missing image is `missing`, one a container uses is refused (`in-use`, it stays);
   * removing one of several names only untags it (`untagged`). Other failures throw EngineError.
   */
  removeImage?(ref: string): Promise<ImageRemoval>;
  /** Optional: every image in the engine's local storage (the final images, not their layers). */
  listImages?(): Promise<StoredImage[]>;
  /** Optional: waits until the container exits; returns its exit code (null if unknown). */
  waitContainer?(idOrName: string, signal?: AbortSignal): Promise<number | null>;
  /**
   * Optional: the content of a regular file inside an image (e.g. /etc/passwd, to learn which uid
   * a user name has), without running anything from it; null when the image has no such file.
   * The image must be present locally (ensureImage first).
   */
  readImageFile?(image: string, path: string): Promise<Buffer | null>;

  /** Optional: sends a signal (e.g. "SIGHUP") to the container's main process. */
  signalContainer?(idOrName: string, signal: string): Promise<void>;

  /** Optional volume support (docs/volumes.md). Creating an existing volume is not an error. */
  createVolume?(spec: VolumeCreateSpec): Promise<VolumeInfo>;
  inspectVolume?(name: string): Promise<VolumeInfo | null>;
  /** Volumes whose labels include every given label. */
  listVolumes?(labels: Record<string, string>): Promise<VolumeInfo[]>;
  removeVolume?(name: string): Promise<VolumeRemoval>;
  /** The volume's content as a tar stream. */
  exportVolume?(name: string): Promise<NodeJS.ReadableStream>;
  /**
   * Replaces (adds to) the volume's content from a tar stream. `image`: an image in the engine's
   * store an engine may use for a helper container (Podman 4.3 has no import endpoint).
   */
  importVolume?(name: string, tar: NodeJS.ReadableStream, image?: string): Promise<void>;
  /** Bytes stored in each volume of the engine's host, by volume name. */
  volumeUsage?(): Promise<Record<string, number>>;

  /** Optional network support (docs/networks.md): networks whose labels include every given label. */
  listNetworks?(labels: Record<string, string>): Promise<NetworkInfo[]>;
  removeNetwork?(name: string): Promise<NetworkRemoval>;

  /**
   * Optional archive access to a container's files, without exec (file logs, docs/file-logs.md):
   * the stat of a path (null when it does not exist), a tar stream of a path (a file or a
   * directory), and extracting a tar stream into a directory of a container.
   */
  statPath?(idOrName: string, path: string): Promise<PathStat | null>;
  getArchive?(idOrName: string, path: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream>;
  putArchive?(idOrName: string, dir: string, tar: NodeJS.ReadableStream): Promise<void>;
}

/** Exit code 137 with a memory limit is how cgroup v1 shows an OOM kill (runtime-notes §1). */
export function exitReason(
  obs: Pick<ContainerObservation, 'exitCode' | 'oomKilled' | 'memoryLimitBytes'>,
): string {
  if (obs.oomKilled || (obs.exitCode === 137 && obs.memoryLimitBytes)) return 'OOMKilled';
  if (obs.exitCode === 0) return 'Completed';
  if (obs.exitCode === 137) return 'Killed';
  if (obs.exitCode === 143) return 'Terminated';
  if (obs.exitCode === null) return 'Unknown';
  return `Error (exit ${obs.exitCode})`;
}
export * from './workload';
