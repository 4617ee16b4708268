import type { ContainerEngine } from '@berth/engine-api';
import type { SecretBox } from '../../crypto/secret-box';
import type { Engines } from '../../runtime/engines';
import type { AppContext } from '../../http/context';
import type { TaskRepository } from '../tasks/tasks.repository';
import type { EndpointWatchers } from './endpoint-watchers';
import type { MountSource } from './mount-source';
import type { ServicesRepository } from './services.repository';
import type { ServicesService } from './services.service';

/** What the routes and controllers of services share (services.module.ts builds it). */
export interface ServicesModuleDeps {
  ctx: AppContext;
  /** The engine of the local cluster (builds, image checks at admission). */
  engine: ContainerEngine;
  /** Every cluster's engine: a container is acted on through the engine of its row's cluster. */
  engines: Engines;
  repo: ServicesRepository;
  tasks: TaskRepository;
  service: ServicesService;
  secrets: SecretBox;
  /** Asks the controller to reconcile a service soon. */
  kick(serviceId: string): void;
  /** The open endpoint watches; drains wait until each was written a list without the container. */
  watchers: EndpointWatchers;
  /**
   * The release canaries the gateways' routes ask for, `project/env/service` → release → replicas
   * (what the controller runs; the manifests view shows a Kubernetes cluster's).
   */
  canaries?: () => Promise<Map<string, Map<number, number>>>;
  /** The kinds of `spec.mounts` (what a workload cluster is given for them: manifests). */
  mounts?: MountSource[];
}
