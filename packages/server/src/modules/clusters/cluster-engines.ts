import type { ContainerEngine, KubeObject, NamespaceSpec, WorkloadSpec } from '@berth/engine-api';
import { KubernetesEngine, type KubernetesEngineOptions } from '@berth/engine-kubernetes';
import { PodmanEngine, openPodmanEndpoint } from '@berth/engine-podman';
import {
  NotFoundError,
  UnavailableError,
  defaultClusterExposure,
  inClusterEndpoint,
  type ClusterCredentials,
  type ClusterExposure,
} from '@berth/shared';
import type { SecretBox } from '../../crypto/secret-box';
import { sameHostAddresses, type ClusterAddresses, type Engines } from '../../runtime/engines';
import { isLocalOff, localOffError } from '../../runtime/local-off';
import type { ClusterRow, ClustersRepository } from './clusters.repository';

/** An open engine's connection: an ssh tunnel or socket (podman), or the engine itself (kubernetes). */
interface Connection {
  alive(): boolean;
  close(): Promise<void>;
}

interface Open {
  /** What the connection was opened for: a change of endpoint, credentials or exposure opens a new one. */
  key: string;
  engine: ContainerEngine;
  conn: Connection;
}

/** What ClusterEngines needs beyond the registry. */
export interface ClusterEnginesOptions {
  /** The Podman network new containers join (podman clusters). */
  network?: string;
  /**
   * This Berth's instance id: a kubernetes engine watches the pods labelled with it. Required for
   * kubernetes clusters (a get() of one without it is UnavailableError).
   */
  instanceId?: string;
  /** Test hooks handed to every KubernetesEngine (podAddress for the test API server's pods). */
  kubernetes?: Pick<KubernetesEngineOptions, 'podAddress' | 'onWatchError'>;
}

/** What the cluster registry knows of a kubernetes cluster's network (cluster settings, migration 0028). */
export interface KubernetesClusterSettings {
  exposure: ClusterExposure;
  gatewayCidrs: string[];
}

/** The registry's settings of a kubernetes cluster row. */
export function kubernetesSettings(
  row: Pick<ClusterRow, 'exposure' | 'gateway_cidrs'>,
): KubernetesClusterSettings {
  let gatewayCidrs: string[] = [];
  try {
    const parsed: unknown = row.gateway_cidrs ? JSON.parse(row.gateway_cidrs) : [];
    if (Array.isArray(parsed)) gatewayCidrs = parsed.filter((c): c is string => typeof c === 'string');
  } catch {
    // unreadable: none
  }
  return { exposure: (row.exposure ?? defaultClusterExposure) as ClusterExposure, gatewayCidrs };
}

/**
 * A cluster's KubernetesEngine with the cluster's own settings filled into what it applies: the
 * Service type of every workload follows the cluster's exposure (the engine reports NodePort
 * addresses for node-port, so a ClusterIP Service there would leave the gateways without any), and
 * every namespace's NetworkPolicy lets the cluster's gateway CIDRs in. A spec that says either
 * itself keeps what it says.
 */
class RegisteredKubernetesEngine extends KubernetesEngine {
  constructor(
    opts: KubernetesEngineOptions,
    private readonly settings: KubernetesClusterSettings,
  ) {
    super(opts);
  }

  private withCidrs(ns: NamespaceSpec): NamespaceSpec {
    return ns.gatewayCidrs === undefined && this.settings.gatewayCidrs.length > 0
      ? { ...ns, gatewayCidrs: this.settings.gatewayCidrs }
      : ns;
  }

  private withExposure(w: WorkloadSpec): WorkloadSpec {
    return w.exposure === undefined ? { ...w, exposure: this.settings.exposure } : w;
  }

  override manifests(ns: NamespaceSpec, w: WorkloadSpec): KubeObject[] {
    return super.manifests(this.withCidrs(ns), this.withExposure(w));
  }

  override applyNamespace(ns: NamespaceSpec): Promise<void> {
    return super.applyNamespace(this.withCidrs(ns));
  }

  override applyWorkload(w: WorkloadSpec): Promise<void> {
    return super.applyWorkload(this.withExposure(w));
  }

  // applyCanaries applies these: a canary on a node-port cluster gets its NodePort Service too
  override canaryManifests(canaries: WorkloadSpec[]): KubeObject[] {
    return super.canaryManifests(canaries.map((w) => this.withExposure(w)));
  }
}

/** A kubernetes engine as a connection: alive until closed (client-node reconnects by itself). */
function engineConnection(engine: KubernetesEngine): Connection {
  return { alive: () => true, close: () => engine.close() };
}

/** The options a kubernetes cluster's engine is built with (the cluster check builds the same). */
export function kubernetesEngineOptions(
  row: Pick<ClusterRow, 'name' | 'endpoint' | 'exposure' | 'namespace_prefix'>,
  credentials: ClusterCredentials | undefined,
  instanceId: string,
): KubernetesEngineOptions {
  const inCluster = row.endpoint === inClusterEndpoint;
  return {
    cluster: row.name,
    instanceId,
    ...(inCluster ? { inCluster: true } : { kubeconfig: credentials?.kubeconfig }),
    exposure: (row.exposure ?? defaultClusterExposure) as ClusterExposure,
    namespacePrefix: row.namespace_prefix ?? '',
  };
}

/** How long opening a cluster's connection may take before the caller hears it is unavailable. */
const openTimeoutMs = 20_000;

/**
 * The fleet's engines from the cluster registry: one PodmanEngine per podman cluster, on its unix
 * socket or on a long-lived ssh tunnel (engine-podman's openPodmanEndpoint), and one
 * KubernetesEngine per kubernetes cluster (its kubeconfig, or the pod's service account for
 * `in-cluster`). A tunnel that died is reopened on the next get(); a change of endpoint,
 * credentials or exposure replaces the engine; concurrent gets of one cluster share one opening.
 */
export class ClusterEngines implements Engines {
  private readonly open = new Map<string, Open>();
  private readonly opening = new Map<string, Promise<ContainerEngine>>();
  private closed = false;

  constructor(
    readonly local: ContainerEngine,
    private readonly repo: ClustersRepository,
    private readonly secrets: SecretBox,
    private readonly opts: ClusterEnginesOptions = {},
  ) {}

  async clusters(): Promise<string[]> {
    const names = (await this.repo.list()).map((c) => c.name).filter((n) => n !== this.local.cluster);
    // without Podman (BERTH_LOCAL_CLUSTER=off) `local` is no cluster of the fleet
    return isLocalOff(this.local) ? names : [this.local.cluster, ...names];
  }

  async addresses(cluster: string): Promise<ClusterAddresses> {
    const row = await this.repo.find(cluster);
    if (!row) return sameHostAddresses;
    return { publishAddress: row.publish_address, registry: row.registry_address };
  }

  async get(cluster: string): Promise<ContainerEngine> {
    if (cluster === this.local.cluster) {
      if (isLocalOff(this.local)) throw localOffError(`Cluster '${cluster}' cannot be used`);
      return this.local;
    }
    if (this.closed) throw new UnavailableError(`Berth is shutting down; cluster '${cluster}' is closed.`);
    const row = await this.repo.find(cluster);
    if (!row) throw new NotFoundError('CLUSTER_NOT_FOUND', `Cluster '${cluster}' is not registered.`);
    const key = `${row.kind}\n${row.endpoint}\n${row.credentials_sealed ?? ''}\n${row.exposure ?? ''}\n${row.gateway_cidrs ?? ''}\n${row.namespace_prefix ?? ''}`;
    const have = this.open.get(cluster);
    if (have && have.key === key && have.conn.alive()) return have.engine;
    const running = this.opening.get(cluster);
    if (running) return running;
    const p = this.connect(row, key, have).finally(() => this.opening.delete(cluster));
    this.opening.set(cluster, p);
    return p;
  }

  private async connect(row: ClusterRow, key: string, old: Open | undefined): Promise<ContainerEngine> {
    if (old) {
      this.open.delete(row.name);
      await old.conn.close().catch(() => undefined);
    }
    const creds = row.credentials_sealed
      ? (JSON.parse(this.secrets.open(row.credentials_sealed)) as ClusterCredentials)
      : undefined;
    if (row.kind === 'kubernetes') {
      if (!this.opts.instanceId)
        throw new UnavailableError(
          `Cluster '${row.name}' is a kubernetes cluster, but this Berth was built without its instance id (ClusterEngines' instanceId option).`,
        );
      const engine = new RegisteredKubernetesEngine(
        { ...kubernetesEngineOptions(row, creds, this.opts.instanceId), ...this.opts.kubernetes },
        kubernetesSettings(row),
      );
      this.open.set(row.name, { key, engine, conn: engineConnection(engine) });
      return engine;
    }
    const conn = await openPodmanEndpoint(row.endpoint, creds, { timeoutMs: openTimeoutMs });
    if (this.closed) {
      await conn.close();
      throw new UnavailableError(`Berth is shutting down; cluster '${row.name}' is closed.`);
    }
    const engine = new PodmanEngine({
      socketPath: conn.socketPath,
      cluster: row.name,
      network: this.opts.network,
    });
    this.open.set(row.name, { key, engine, conn });
    return engine;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.opening.values()]);
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((o) => o.conn.close().catch(() => undefined)));
  }
}
