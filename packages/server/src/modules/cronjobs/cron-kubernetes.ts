/**
 * Cron jobs whose runs go to a Kubernetes cluster: each attempt is a bare pod there
 * (`KubernetesEngine.runContainer`, docs/kubernetes.md). What such a run cannot have is refused
 * at admission (400 at the field) and again when an attempt starts (the environment's clusters
 * may have changed since): both checks are this one.
 */
import { isWorkloadEngine, type ContainerEngine } from '@berth/engine-api';
import type { CronJobSpec } from '@berth/shared';
import { checkRunsOnKubernetes } from '../services/workload-specs';

/**
 * On a Kubernetes cluster: a numeric user (a pod runs as a number; Kubernetes cannot look a name
 * up in the image) and no config refreshed by `signal` (a ConfigMap volume is not rewritten in
 * place). Mounts are fine: the run applies its config versions' ConfigMaps and its volumes'
 * claims before its pod (`WorkloadEngine.prepareOneOff`); a local volume of another cluster is
 * refused by the volumes' own check, as for a service placed on the run's cluster.
 */
export function checkCronOnKubernetes(
  spec: Pick<CronJobSpec, 'user' | 'runAsRoot' | 'mounts'>,
  cluster: string,
): void {
  checkRunsOnKubernetes(
    { user: spec.user, runAsRoot: spec.runAsRoot, mounts: spec.mounts ?? [] },
    `cluster '${cluster}' (Kubernetes), where this cron job's runs go`,
  );
}

/** Whether `engine` runs pods (Kubernetes) rather than containers. */
export function runsPods(engine: ContainerEngine): boolean {
  return isWorkloadEngine(engine);
}
