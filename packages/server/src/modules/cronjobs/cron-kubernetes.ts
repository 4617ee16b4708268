/**
 * Cron jobs whose runs go to a Kubernetes cluster: each attempt is a bare pod there
 * (`KubernetesEngine.runContainer`, docs/kubernetes.md). What such a run cannot have is refused
 * at admission (400 at the field) and again when an attempt starts (the environment's clusters
 * may have changed since): both checks are this one.
 */
import { isWorkloadEngine, type ContainerEngine } from '@berth/engine-api';
import { InvalidError, type CronJobSpec } from '@berth/shared';
import { checkRunsOnKubernetes } from '../services/workload-specs';

/**
 * On a Kubernetes cluster: a numeric user (a pod runs as a number; Kubernetes cannot look a name
 * up in the image), and no mounts — a config version is a ConfigMap and a volume a claim that
 * Berth applies with a service's workload, and a run's pod would mount them only while some
 * service of the environment happens to (docs/kubernetes.md, "Not yet on Kubernetes").
 */
export function checkCronOnKubernetes(
  spec: Pick<CronJobSpec, 'user' | 'runAsRoot' | 'mounts'>,
  cluster: string,
): void {
  if (spec.mounts?.length)
    throw new InvalidError(
      `spec.mounts: this cron job's runs go to cluster '${cluster}', a Kubernetes cluster, where cron runs cannot mount configs or volumes yet. Remove the mounts, or make a Podman cluster the environment's first cluster.`,
      [
        {
          path: 'spec.mounts',
          message: `cron runs on Kubernetes cluster '${cluster}' cannot mount configs or volumes yet`,
        },
      ],
      'INVALID_SPEC',
    );
  checkRunsOnKubernetes(
    { user: spec.user, runAsRoot: spec.runAsRoot, mounts: [] },
    `cluster '${cluster}' (Kubernetes), where this cron job's runs go`,
  );
}

/** Whether `engine` runs pods (Kubernetes) rather than containers. */
export function runsPods(engine: ContainerEngine): boolean {
  return isWorkloadEngine(engine);
}
