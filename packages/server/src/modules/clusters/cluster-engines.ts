import type { ContainerEngine } from '@berth/engine-api';
import { PodmanEngine, openPodmanEndpoint, type PodmanEndpointConnection } from '@berth/engine-podman';
import { NotFoundError, UnavailableError, type ClusterCredentials } from '@berth/shared';
import type { SecretBox } from '../../crypto/secret-box';
import { sameHostAddresses, type ClusterAddresses, type Engines } from '../../runtime/engines';
import type { ClusterRow, ClustersRepository } from './clusters.repository';

interface Open {
  /** What the connection was opened for: a change of endpoint or credentials opens a new one. */
  key: string;
  engine: ContainerEngine;
  conn: PodmanEndpointConnection;
}

/** How long opening a cluster's connection may take before the caller hears it is unavailable. */
const openTimeoutMs = 20_000;

/**
 * The fleet's engines from the cluster registry: one PodmanEngine per cluster, on its unix socket
 * or on a long-lived ssh tunnel (engine-podman's openPodmanEndpoint). A tunnel that died is
 * reopened on the next get(); concurrent gets of one cluster share one opening.
 */
export class ClusterEngines implements Engines {
  private readonly open = new Map<string, Open>();
  private readonly opening = new Map<string, Promise<ContainerEngine>>();
  private closed = false;

  constructor(
    readonly local: ContainerEngine,
    private readonly repo: ClustersRepository,
    private readonly secrets: SecretBox,
    private readonly network?: string,
  ) {}

  async clusters(): Promise<string[]> {
    const names = (await this.repo.list()).map((c) => c.name).filter((n) => n !== this.local.cluster);
    return [this.local.cluster, ...names];
  }

  async addresses(cluster: string): Promise<ClusterAddresses> {
    const row = await this.repo.find(cluster);
    if (!row) return sameHostAddresses;
    return { publishAddress: row.publish_address, registry: row.registry_address };
  }

  async get(cluster: string): Promise<ContainerEngine> {
    if (cluster === this.local.cluster) return this.local;
    if (this.closed) throw new UnavailableError(`Berth is shutting down; cluster '${cluster}' is closed.`);
    const row = await this.repo.find(cluster);
    if (!row) throw new NotFoundError('CLUSTER_NOT_FOUND', `Cluster '${cluster}' is not registered.`);
    const key = `${row.endpoint}\n${row.credentials_sealed ?? ''}`;
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
    const conn = await openPodmanEndpoint(row.endpoint, creds, { timeoutMs: openTimeoutMs });
    if (this.closed) {
      await conn.close();
      throw new UnavailableError(`Berth is shutting down; cluster '${row.name}' is closed.`);
    }
    const engine = new PodmanEngine({
      socketPath: conn.socketPath,
      cluster: row.name,
      network: this.network,
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
