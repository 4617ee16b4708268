/**
 * The Podman engine: Berth's ContainerEngine on one Podman host, through the libpod REST API
 * on its unix socket (runtime-notes §2).
 */
import os from 'node:os';
import type {
  BuildImageOptions,
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
  ImageRemoval,
  RegistryAuth,
  LogLine,
  LogOptions,
  PathStat,
  StoredImage,
  VolumeCreateSpec,
  VolumeInfo,
  VolumeRemoval,
  NetworkInfo,
  NetworkRemoval,
} from '@berth/engine-api';
import { BerthError, EngineError } from '@berth/shared';
import { buildImage, pushImage, waitContainer } from './build';
import { buildConfined } from './confined-build';
import { toSpecGenerator } from './container-spec';
import { getArchive, putArchive, statPath } from './archive';
import { streamEvents } from './events';
import { runExec } from './exec-run';
import { openExecSession } from './exec-session';
import { readImageFile } from './image-files';
import { ensureImage, inspectImage, listImages, removeImage } from './images';
import { LibpodClient } from './libpod-client';
import type { LibpodInspectContainer, LibpodListContainer } from './libpod-types';
import { parseLogStream } from './log-stream';
import { ObservationCache } from './observation-cache';
import { observationFromInspect } from './observation';
import { StatsSampler } from './stats';
import { ensureNetwork, isNetworkMissing, listNetworks, removeNetwork } from './networks';
import * as volumes from './volumes';

/** Options of a PodmanEngine. */
export interface PodmanEngineOptions {
  /** Path of the Podman API unix socket (`podman system service unix://...`). */
  socketPath: string;
  /** The cluster name this engine serves; default "local". */
  cluster?: string;
  /** The node name reported in observations; default this host's name. */
  node?: string;
  /** Network containers join unless their spec names one; default podman's default network. */
  network?: string;
}

/** Extra seconds a stop request may take beyond the grace period before Berth gives up on it. */
const stopSlackMs = 30_000;

/** ContainerEngine for one Podman host; see runtime-notes §1–§4 for the host setup it expects. */
export class PodmanEngine implements ContainerEngine {
  readonly kind = 'podman';
  readonly cluster: string;
  readonly node: string;
  private readonly network: string | undefined;
  private readonly client: LibpodClient;
  private readonly cache: ObservationCache;
  private readonly sampler: StatsSampler;
  /** Networks of NetworkAttachments this engine created or found (networks.ts). */
  private readonly networksMade = new Set<string>();

  constructor(opts: PodmanEngineOptions) {
    this.cluster = opts.cluster ?? 'local';
    this.node = opts.node ?? os.hostname();
    this.network = opts.network;
    this.client = new LibpodClient(opts.socketPath);
    this.cache = new ObservationCache(this.client, this.node, this.network);
    this.sampler = new StatsSampler(this.client);
  }

  /**
   * `_ping`, not `/version`: libpod answers `/version` (and `/info`) only after asking the package
   * manager about conmon and the OCI runtime (`dpkg-query --search`), which took 23 s on a busy
   * machine; `_ping` answers at once and names the version in a header (docs/runtime-notes.md).
   */
  async health(): Promise<EngineHealth> {
    try {
      const res = await this.client.open('GET', '/_ping', { timeoutMs: 5000 });
      res.resume();
      const header = res.headers['libpod-api-version'];
      const version = (Array.isArray(header) ? header[0] : header) ?? 'unknown';
      return { ok: true, version, message: null };
    } catch (err) {
      return { ok: false, version: '', message: err instanceof Error ? err.message : String(err) };
    }
  }

  inspectImage(ref: string): Promise<ImageInfo | null> {
    return inspectImage(this.client, ref);
  }

  ensureImage(ref: string, opts?: { always?: boolean; auth?: RegistryAuth }): Promise<ImageInfo> {
    return ensureImage(this.client, ref, opts?.always ?? false, opts?.auth);
  }

  async runContainer(spec: ContainerCreateSpec): Promise<string> {
    let id: string;
    try {
      id = await this.createContainer(spec);
    } catch (err) {
      throw withContext(err, `Podman could not create container ${spec.name} from image ${spec.image}`);
    }
    try {
      await this.client.request('POST', `/containers/${id}/start`, { timeoutMs: 120_000 });
    } catch (err) {
      // A process that exits at once can be gone before podman 4.3 reads its cgroup after the
      // start ("read /proc/N/cgroup: no such process", runtime-notes): it did run. A container
      // that shows a start time is started; its exit code and logs are there to read.
      if (/read \/proc\/\d+\/cgroup: no such process/.test(String(err))) {
        const obs = await this.inspectContainer(id).catch(() => null);
        if (obs?.startedAt && !obs.startedAt.startsWith('0001') && obs.state !== 'created') return id;
      }
      // A container that never started is of no use; leave nothing behind.
      await this.removeContainer(id).catch(() => undefined);
      // env networks have DNS: a host without CNI's dnsname plugin cannot start their containers
      const hint = /failed to find plugin "dnsname"/.test(String(err))
        ? ' (install golang-github-containernetworking-plugin-dnsname on the Podman host: scripts/setup-host.sh)'
        : '';
      throw withContext(err, `Podman could not start container ${spec.name} (image ${spec.image})${hint}`);
    }
    return id;
  }

  /**
   * `POST /containers/create`, after making sure a NetworkAttachment's network exists (once per
   * engine; again when a sweep removed it meanwhile: podman then answers "network not found").
   */
  private async createContainer(spec: ContainerCreateSpec): Promise<string> {
    const net = typeof spec.network === 'object' && !spec.shareNamespacesOf ? spec.network : null;
    for (let attempt = 1; ; attempt += 1) {
      if (net && !this.networksMade.has(net.name)) {
        await ensureNetwork(this.client, net);
        this.networksMade.add(net.name);
      }
      try {
        const created = await this.client.json<{ Id: string }>('POST', '/containers/create', {
          body: toSpecGenerator(spec, this.network),
        });
        if (!created?.Id) throw new EngineError(`Podman returned no id for container ${spec.name}.`);
        return created.Id;
      } catch (err) {
        if (!net || attempt > 1 || !isNetworkMissing(err)) throw err;
        this.networksMade.delete(net.name);
      }
    }
  }

  async stopContainer(idOrName: string, graceSeconds: number): Promise<void> {
    const timeout = Math.max(0, Math.ceil(graceSeconds));
    await this.client.request('POST', `/containers/${encodeURIComponent(idOrName)}/stop`, {
      query: { timeout },
      // 304: already stopped; 404: already gone. Neither is an error for a stop.
      accept: [304, 404],
      timeoutMs: timeout * 1000 + stopSlackMs,
    });
  }

  async removeContainer(idOrName: string): Promise<void> {
    await this.client.request('DELETE', `/containers/${encodeURIComponent(idOrName)}`, {
      // depend: containers sharing its namespaces (debug containers) go with it; without it
      // podman refuses with "has dependent containers which must be removed before it".
      query: { force: true, timeout: 0, depend: true },
      accept: [404],
    });
    this.cache.forget(idOrName);
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerObservation[]> {
    const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    const list = await this.client.json<LibpodListContainer[]>('GET', '/containers/json', {
      query: { all: true, filters: JSON.stringify(label.length ? { label } : {}) },
    });
    return this.cache.observe(list ?? []);
  }

  async inspectContainer(idOrName: string): Promise<ContainerObservation | null> {
    const c = await this.client.json<LibpodInspectContainer>(
      'GET',
      `/containers/${encodeURIComponent(idOrName)}/json`,
      {
        accept: [404],
      },
    );
    return c ? observationFromInspect(c, this.node, this.network) : null;
  }

  async *logs(idOrName: string, opts: LogOptions): AsyncIterable<LogLine> {
    const { signal } = opts;
    if (signal?.aborted) return;
    try {
      const res = await this.client.open('GET', `/containers/${encodeURIComponent(idOrName)}/logs`, {
        query: {
          stdout: true,
          stderr: true,
          timestamps: true,
          follow: opts.follow ?? false,
          tail: opts.tail,
          since: opts.since,
        },
        signal,
        // When following, podman sends no headers until the container prints something.
        ...(opts.follow ? { timeoutMs: 0 } : {}),
      });
      yield* parseLogStream(res);
    } catch (err) {
      if (!signal?.aborted) throw err;
    }
  }

  exec(idOrName: string, opts: ExecOptions): Promise<ExecSession> {
    return openExecSession(this.client, idOrName, opts);
  }

  execRun(idOrName: string, cmd: string[], opts: { timeoutMs: number; user?: string }): Promise<ExecResult> {
    return runExec(this.client, idOrName, cmd, opts);
  }

  stats(idsOrNames: string[]): Promise<ContainerStats[]> {
    return this.sampler.sample(idsOrNames);
  }

  events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<EngineEvent> {
    return streamEvents(this.client, labels, signal);
  }

  buildImage(context: NodeJS.ReadableStream, opts: BuildImageOptions): AsyncIterable<string> {
    return buildImage(this.client, context, opts);
  }

  /**
   * Confined builds run `podman build` on this host (the API cannot drop every privilege). The
   * build network is made before every build, not once per engine: a sweep may have removed it
   * while no build was on it, and `podman build` does not make it again.
   */
  async *buildDirectory(contextDir: string, opts: BuildImageOptions): AsyncIterable<string> {
    if (opts.network) {
      await ensureNetwork(this.client, opts.network);
      this.networksMade.add(opts.network.name);
    }
    yield* buildConfined(contextDir, opts);
  }

  pushImage(
    image: string,
    destination: string,
    opts?: { tlsVerify?: boolean; auth?: RegistryAuth },
  ): Promise<void> {
    return pushImage(this.client, image, destination, opts?.tlsVerify ?? true, opts?.auth);
  }

  removeImage(ref: string): Promise<ImageRemoval> {
    return removeImage(this.client, ref);
  }

  listImages(): Promise<StoredImage[]> {
    return listImages(this.client);
  }

  waitContainer(idOrName: string, signal?: AbortSignal): Promise<number | null> {
    return waitContainer(this.client, idOrName, signal);
  }

  /** Sends a signal (e.g. SIGHUP) to the container's main process; catatonit passes it on. */
  signalContainer(idOrName: string, signal: string): Promise<void> {
    return volumes.signalContainer(this.client, idOrName, signal);
  }

  /** Volumes (volumes.ts); import and export go through a helper container (no libpod endpoint in 4.3). */
  createVolume(spec: VolumeCreateSpec): Promise<VolumeInfo> {
    return volumes.createVolume(this.client, spec);
  }

  inspectVolume(name: string): Promise<VolumeInfo | null> {
    return volumes.inspectVolume(this.client, name);
  }

  listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    return volumes.listVolumes(this.client, labels);
  }

  removeVolume(name: string): Promise<VolumeRemoval> {
    return volumes.removeVolume(this.client, name);
  }

  /** `image`: the helper container's image (any local image, never run; default the first one). */
  importVolume(name: string, tar: NodeJS.ReadableStream, image?: string): Promise<void> {
    return volumes.importVolume(this.client, name, tar, image);
  }

  /** A tar stream of the volume's content, read through a running helper that mounts it (volumes.ts). */
  exportVolume(name: string): Promise<NodeJS.ReadableStream> {
    return volumes.exportVolume(this.client, name);
  }

  /** Bytes stored in each volume of this host, by name (`GET /system/df`). */
  volumeUsage(): Promise<Record<string, number>> {
    return volumes.volumeUsage(this.client);
  }

  /** Networks of project environments (networks.ts, docs/networks.md). */
  listNetworks(labels: Record<string, string>): Promise<NetworkInfo[]> {
    return listNetworks(this.client, labels);
  }

  async removeNetwork(name: string): Promise<NetworkRemoval> {
    this.networksMade.delete(name);
    return removeNetwork(this.client, name);
  }

  async readImageFile(image: string, file: string): Promise<Buffer | null> {
    try {
      return await readImageFile(this.client, image, file);
    } catch (err) {
      throw withContext(err, `Podman could not read ${file} from image ${image}`);
    }
  }

  /** File access through the archive API, no exec (archive.ts, docs/file-logs.md). */
  statPath(idOrName: string, path: string): Promise<PathStat | null> {
    return statPath(this.client, idOrName, path);
  }

  getArchive(idOrName: string, path: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
    return getArchive(this.client, idOrName, path, signal);
  }

  putArchive(idOrName: string, dir: string, tar: NodeJS.ReadableStream): Promise<void> {
    return putArchive(this.client, idOrName, dir, tar);
  }
}

/** Prefixes what Berth was doing to podman's message, keeping the error's class and details. */
function withContext(err: unknown, what: string): Error {
  if (err instanceof EngineError) return new EngineError(`${what}: ${err.message}`, err.details);
  if (err instanceof BerthError) return err;
  return new EngineError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
}
