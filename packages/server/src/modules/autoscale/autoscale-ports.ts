import type { ReleaseSpec } from '@berth/shared';
import type { Actor } from '../../http/context';
import type { PromQueryResult } from '../monitoring/prometheus-client';

export interface AutoscaleServicePath {
  project: string;
  env: string;
  service: string;
}

/** A service as the autoscaler sees it. */
export interface AutoscaledService {
  id: string;
  project: string;
  env: string;
  name: string;
  replicas: number;
  stopped: boolean;
  deleting: boolean;
  release: number;
}

/** A container of the service (canaries and leaving containers are not given). */
export interface AutoscaledContainer {
  name: string;
  ready: boolean;
}

/**
 * What the autoscale module needs of the services module (server.ts builds it from the services
 * module's deps): find services, their containers, and scale them the way a user's scale does.
 */
export interface AutoscaleServices {
  resolve(p: AutoscaleServicePath): Promise<AutoscaledService>;
  findById(id: string): Promise<AutoscaledService | null>;
  /** The spec of the service's current release. */
  spec(serviceId: string, release: number): Promise<ReleaseSpec | null>;
  containers(serviceId: string): Promise<AutoscaledContainer[]>;
  /** The user's scale path: quota admission, a task, the controller kicked, placement dividing. */
  scale(p: AutoscaleServicePath, replicas: number, actor: Actor): Promise<void>;
  addEvent(serviceId: string, type: string, message: string, severity: 'normal' | 'warning'): Promise<void>;
}

/** The part of the monitoring module the autoscaler reads (null: monitoring is off). */
export interface AutoscaleMetricsSource {
  prometheus: { query(expr: string, at?: Date): Promise<PromQueryResult> };
}
