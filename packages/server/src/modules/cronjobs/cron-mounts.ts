import type { ContainerEngine, VolumeMount } from '@berth/engine-api';
import { InvalidError, type CronJobSpec, type Mount, type ReleaseSpec } from '@berth/shared';
import type { MountSource, MountTarget, WorkloadMounts } from '../services/mount-source';
import type { CronJobRow, CronRunRow } from './cronjobs.repository';
import { checkCronOnKubernetes, runsPods } from './cron-kubernetes';

/** How a cron job's `spec.mounts` are checked and mounted (the services' mount sources). */
export interface CronMounts {
  /** `cluster`: where the job's runs go (a local volume must live there). */
  check(project: string, env: string, mounts: Mount[], cluster: string): Promise<void>;
  resolve(
    job: CronJobRow,
    run: CronRunRow,
    spec: CronJobSpec,
    engine: ContainerEngine,
  ): Promise<VolumeMount[]>;
  /**
   * A run on a workload cluster (Kubernetes): the config versions and claims its pod mounts,
   * which the engine applies before the pod (`prepareOneOff`).
   */
  workload(job: CronJobRow, run: CronRunRow, spec: CronJobSpec): Promise<WorkloadMounts>;
}

/** The mount target of one run: its job (as a service would be) on the run's cluster. */
function runTarget(job: CronJobRow, run: CronRunRow): MountTarget {
  return {
    project: job.project,
    env: job.env,
    serviceId: `cronjob:${job.id}`,
    service: job.name,
    cluster: run.cluster,
    // one pin per run: the run's creation second
    release: Math.floor(Date.parse(run.created_at) / 1000),
  };
}

/**
 * The services' mount sources (configs, volumes) for cron jobs: checked like a service placed on
 * the job's cluster; a run mounts what a release would, pinned per run (the config's current
 * version when the run starts, or the mount's `version`; retries of a run keep it).
 */
export function cronMountsFrom(sources: readonly MountSource[]): CronMounts {
  return {
    async check(project, env, mounts, cluster) {
      const placed = { placement: { clusters: [{ name: cluster, weight: 1 }], division: 'weighted' } };
      for (const source of sources) await source.check(project, env, mounts, placed as ReleaseSpec);
    },
    async resolve(job, run, spec, engine) {
      // the environment's first cluster may have become a Kubernetes cluster since admission:
      // checked as there, before anything is created (an attempt then ends CreateFailed); its
      // mounts are then the workload's (below), not engine volumes
      if (runsPods(engine)) {
        checkCronOnKubernetes(spec, run.cluster);
        return [];
      }
      if (!spec.mounts?.length) return [];
      const target = runTarget(job, run);
      const out: VolumeMount[] = [];
      for (const source of sources) out.push(...(await source.resolve(target, spec.mounts, engine)));
      return out;
    },
    async workload(job, run, spec) {
      const out: WorkloadMounts = { configs: [], volumes: [] };
      if (!spec.mounts?.length) return out;
      const target = runTarget(job, run);
      for (const source of sources) {
        const part = await source.workload?.(target, spec.mounts);
        if (part) {
          out.configs.push(...part.configs);
          out.volumes.push(...part.volumes);
        }
      }
      // never a pod without one of its mounts (a kind no source resolves for Kubernetes)
      const configs = spec.mounts.filter((m) => m.config !== undefined).length;
      if (out.configs.length !== configs || out.volumes.length !== spec.mounts.length - configs)
        throw new InvalidError(
          `spec.mounts: not every mount of this cron job could be resolved for Kubernetes cluster ${run.cluster}; the run was not started.`,
          [{ path: 'spec.mounts', message: 'not every mount could be resolved for Kubernetes' }],
        );
      return out;
    },
  };
}
