import type { Placement } from '@berth/shared';

/**
 * The placement port of the fleet controller: where a service's replicas go, per cluster. The
 * placement module's FleetPlacement implements it; the composition root hands it to the services
 * module (server.ts). Without one, every replica runs on the local cluster.
 */
export interface ReplicaPlacer {
  place(req: PlaceRequest): Promise<Placed>;
}

/** What the controller asks for one service in one pass. */
export interface PlaceRequest {
  project: string;
  env: string;
  service: string;
  placement: Placement | undefined;
  replicas: number;
  memoryMiB: number | null;
  /** Live replicas of the wanted release per cluster now. */
  current: Record<string, number>;
  /** Clusters whose engine could not be listed in this pass: no new replicas there. */
  blind: ReadonlySet<string>;
  /**
   * Clusters the controller listed in this pass: they answer, whatever the last health check
   * said (a check that timed out on a busy host does not stop new replicas there).
   */
  listed: ReadonlySet<string>;
  /** The controller's pass: the environment's clusters are read once per pass. */
  pass: number;
}

/** The fleet controller's answer for one service. */
export interface Placed {
  /** Replicas wanted per cluster (clusters with none may be absent). */
  targets: Record<string, number>;
  /** Replicas no cluster can take now (all unhealthy, cordoned or full). */
  unplaced: number;
  /**
   * Clusters unreachable for longer than the environment's failover grace: their replicas are
   * placed elsewhere and their containers are written off once drained.
   */
  failedOver: string[];
  /** Why: one line per cluster whose share differs from its weight, for events. */
  notes: string[];
}
