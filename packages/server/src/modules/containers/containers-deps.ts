import type { ContainerEngine } from '@berth/engine-api';
import type { AppContext } from '../../http/context';
import type { Engines } from '../../runtime/engines';
import type { ServicesRepository } from '../services/services.repository';
import type { ServicesService } from '../services/services.service';

/**
 * The ports the containers module is handed at construction (server.ts): the engine, the
 * services module's lookup of a service by path, the container ledger the service controller
 * keeps (rows, events, releases), and the controller's kick.
 */
export interface ContainersDeps {
  ctx: AppContext;
  /** The local cluster's engine. */
  engine: ContainerEngine;
  /** Every cluster's engine: calls about a container go to the engine of its row's cluster. */
  engines: Engines;
  /** The container ledger: rows, their events and the releases they run. */
  repo: Pick<
    ServicesRepository,
    | 'activeContainers'
    | 'findContainer'
    | 'updateContainer'
    | 'addEvent'
    | 'events'
    | 'getRelease'
    | 'findById'
  >;
  /** The service a path names, for the caller's project (NotFound otherwise). */
  service: Pick<ServicesService, 'resolve'>;
  /** Asks the service controller to reconcile a service soon. */
  kick(serviceId: string): void;
}
