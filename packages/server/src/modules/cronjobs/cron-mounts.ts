import type { ContainerEngine, VolumeMount } from '@berth/engine-api';
import type { CronJobSpec, Mount, ReleaseSpec } from '@berth/shared';
import type { MountSource } from '../services/mount-source';
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
      // refused as there, before anything is created (an attempt then ends CreateFailed)
      if (runsPods(engine)) checkCronOnKubernetes(spec, run.cluster);
      if (!spec.mounts?.length) return [];
      const target = {
        project: job.project,
        env: job.env,
        serviceId: `cronjob:${job.id}`,
        service: job.name,
        cluster: run.cluster,
        // one pin per run: the run's creation second
        release: Math.floor(Date.parse(run.created_at) / 1000),
      };
      const out: VolumeMount[] = [];
      for (const source of sources) out.push(...(await source.resolve(target, spec.mounts, engine)));
      return out;
    },
  };
}
