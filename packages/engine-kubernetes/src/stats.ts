/**
 * Stats from `metrics.k8s.io/v1beta1` PodMetrics (metrics-server): CPU as the kubelet's average
 * over the metrics window, memory as the working set. `cpuPercent` is percent of one core, like
 * Podman's (0.25 cores → 25). Network and block I/O are not in metrics.k8s.io, so they are 0 here
 * (docs/kubernetes.md); a cluster without the API answers 404 for it and Berth says so with an
 * EngineError whose `details.reason` is `STATS_UNAVAILABLE`.
 */
import type { ContainerStats } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import type { KubeClient } from './client';
import { statusOf } from './errors';
import { parseQuantity, type Pod } from './kube-types';
import { appContainer, podContainer } from './observation';

interface PodMetrics {
  metadata: { name: string; namespace?: string };
  containers?: { name: string; usage?: { cpu?: string; memory?: string } }[];
}

/** The reason in `details` of the error a cluster without metrics answers. */
export const statsUnavailable = 'STATS_UNAVAILABLE';

function noMetrics(cluster: string, why: string): EngineError {
  return new EngineError(
    `Stats are not available: this cluster has no metrics.k8s.io (install metrics-server). Kubernetes cluster ${cluster} ${why}.`,
    { reason: statsUnavailable, cluster },
  );
}

/** One sample per pod (pods without metrics yet — just started — are left out). */
export async function podStats(client: KubeClient, pods: Pod[]): Promise<ContainerStats[]> {
  const byNamespace = new Map<string, Pod[]>();
  for (const p of pods) {
    const ns = p.metadata.namespace ?? 'default';
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), p]);
  }
  const out: ContainerStats[] = [];
  for (const [ns, list] of byNamespace) {
    let metrics: { items?: PodMetrics[] } | null;
    try {
      metrics = await client.json<{ items?: PodMetrics[] }>(
        'GET',
        `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(ns)}/pods`,
        { ctx: { verb: 'list', resource: 'pods.metrics.k8s.io', namespace: ns } },
      );
    } catch (err) {
      const status = statusOf(err);
      // A list of a served resource is never 404: the API is not there. 503: registered, but its
      // server (metrics-server) does not answer.
      if (status === 404) throw noMetrics(client.cluster, 'answers 404 for it');
      if (status === 503) throw noMetrics(client.cluster, 'has it registered, but it does not answer (503)');
      throw err;
    }
    const found = new Map((metrics?.items ?? []).map((m) => [m.metadata.name, m]));
    for (const p of list) {
      const m = found.get(p.metadata.name);
      if (!m) continue;
      const c = m.containers?.find((x) => x.name === appContainer) ?? m.containers?.[0];
      const limit = podContainer(p)?.resources?.limits?.memory;
      out.push({
        id: p.metadata.uid ?? p.metadata.name,
        name: p.metadata.name,
        cpuPercent: Math.round(parseQuantity(c?.usage?.cpu) * 100 * 100) / 100,
        memoryBytes: Math.round(parseQuantity(c?.usage?.memory)),
        memoryLimitBytes: limit ? Math.round(parseQuantity(limit)) : 0,
        netRxBytes: 0,
        netTxBytes: 0,
        blockReadBytes: 0,
        blockWriteBytes: 0,
      });
    }
  }
  return out;
}
