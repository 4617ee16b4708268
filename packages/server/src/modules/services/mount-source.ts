import type {
  ContainerEngine,
  VolumeMount,
  WorkloadConfigMount,
  WorkloadVolumeMount,
} from '@berth/engine-api';
import type { Mount, ReleaseSpec } from '@berth/shared';

/** The container a mount is resolved for: a replica (or canary) of one release of a service on one cluster. */
export interface MountTarget {
  project: string;
  env: string;
  serviceId: string;
  service: string;
  cluster: string;
  release: number;
}

/**
 * A kind of `spec.mounts` entry (config files, volumes): admission checks and what the engine
 * mounts. Every source ignores the mounts of the other kinds. server.ts composes the list; the
 * services module calls every `check` on create, update, rollback and promote, every `pin` once a
 * release is written, and the container runner concatenates every `resolve` into
 * `ContainerCreateSpec.volumes`.
 */
export interface MountSource {
  /** Throws a 400/404 naming `spec.mounts.N.<field>` when a mount of this kind cannot be used in that project and env. */
  /** `spec`: the whole release spec, for checks that need more than the mounts (volumes: the placement). */
  check(project: string, env: string, mounts: Mount[], spec?: ReleaseSpec): Promise<void>;
  /** Optional: records what the new release runs (configs: the version of each config mount). */
  pin?(target: Omit<MountTarget, 'cluster'>, mounts: Mount[]): Promise<void>;
  /** The engine volumes to mount into a new container on `engine` (made ready there first). */
  resolve(target: MountTarget, mounts: Mount[], engine: ContainerEngine): Promise<VolumeMount[]>;
  /**
   * Optional: what a workload engine (Kubernetes) mounts for the release on `target.cluster` —
   * the files of each config version (ConfigMaps), each volume's claim (PVCs). WorkloadSpecs
   * concatenates every source's answer; a source without it leaves its kind out.
   */
  workload?(target: MountTarget, mounts: Mount[]): Promise<WorkloadMounts>;
}

/** A source's part of a WorkloadSpec's mounts. */
export interface WorkloadMounts {
  configs: WorkloadConfigMount[];
  volumes: WorkloadVolumeMount[];
}
