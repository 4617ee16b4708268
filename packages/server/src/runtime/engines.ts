import type { ContainerEngine } from '@berth/engine-api';
import { defaultPublishAddress } from '@berth/shared';

/** What a cluster's containers need to know about where they run (docs/fleet.md "Cluster addresses"). */
export interface ClusterAddresses {
  /** The host address container ports are published on: what gateways and the prober reach. */
  publishAddress: string;
  /** How the cluster reaches the embedded registry (host[:port]); null: its own listen address. */
  registry: string | null;
}

export const sameHostAddresses: ClusterAddresses = { publishAddress: defaultPublishAddress, registry: null };

/**
 * The engines of the fleet, one per cluster (docs/fleet.md, "Fleet controller"). Modules that act
 * on containers take this port instead of one engine: a container runs where its ledger row's
 * `cluster` says, and every call about it goes to that cluster's engine.
 */
export interface Engines {
  /** The engine of the built-in cluster `local` (the configured Podman socket). */
  readonly local: ContainerEngine;
  /**
   * The engine of a cluster, opening its connection (an ssh tunnel for ssh:// endpoints) when it
   * has none or the old one died. Rejects with UnavailableError when the cluster cannot be
   * reached now, NotFoundError when no such cluster is registered.
   */
  get(cluster: string): Promise<ContainerEngine>;
  /** The names of every registered cluster, `local` first. */
  clusters(): Promise<string[]>;
  /** A cluster's addresses (the defaults for a cluster no longer registered). */
  addresses(cluster: string): Promise<ClusterAddresses>;
  /** Closes every connection (tunnels); engines handed out before stop working. */
  close(): Promise<void>;
}

/** The fleet of a Berth that runs on one engine only (tests of one module, the CLI's helpers). */
export function singleEngine(engine: ContainerEngine): Engines {
  return {
    local: engine,
    get: (cluster) =>
      cluster === engine.cluster
        ? Promise.resolve(engine)
        : Promise.reject(
            new Error(`No engine for cluster '${cluster}': this server runs on '${engine.cluster}' only.`),
          ),
    clusters: () => Promise.resolve([engine.cluster]),
    addresses: () => Promise.resolve(sameHostAddresses),
    close: () => Promise.resolve(),
  };
}
