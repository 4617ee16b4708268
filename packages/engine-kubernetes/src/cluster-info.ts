/**
 * A cluster's health and capacity, as the clusters page shows them.
 * Health: `/readyz` (the API server's own checks; `?verbose` names a failing one), the version
 * from `/version`, and the nodes' conditions (a node not Ready, or under memory, disk or PID
 * pressure) summarised in the message.
 * Capacity: the sum of the schedulable nodes' allocatable CPU and memory; what Berth could still
 * place (allocatableMemoryBytes) is that minus the requests of every other pod that has not
 * terminated — the Podman meaning, "free plus what Berth's own containers hold"; Berth's use is its
 * pods' limits (requests when no limit), like the Podman probe sums its containers' limits.
 */
import type { ClusterCapacity } from '@berth/shared';
import type { EngineHealth } from '@berth/engine-api';
import { labelKeys } from '@berth/engine-api';
import type { KubeClient } from './client';
import { parseQuantity, type KubeList, type Node, type Pod, type Quantities } from './kube-types';

/** Node conditions that are bad when True (and Ready, bad when not True). */
const pressures = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

/** Every item of a paged list. */
export async function listAll<T>(
  client: KubeClient,
  path: string,
  resource: string,
  query: Record<string, string> = {},
): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const page = await client.json<KubeList<T>>('GET', path, {
      query: { ...query, limit: 500, continue: cont },
      ctx: { verb: 'list', resource },
    });
    out.push(...(page?.items ?? []));
    cont = page?.metadata?.continue || undefined;
  } while (cont);
  return out;
}

/** Problems of the nodes, one phrase per node with any ("node a: not Ready (KubeletNotReady)"). */
export function nodeProblems(nodes: Node[]): string[] {
  const out: string[] = [];
  for (const n of nodes) {
    const bad: string[] = [];
    const conds = n.status?.conditions ?? [];
    const ready = conds.find((c) => c.type === 'Ready');
    if (!ready || ready.status !== 'True') bad.push(`not Ready${ready?.reason ? ` (${ready.reason})` : ''}`);
    for (const c of conds) if (pressures.includes(c.type) && c.status === 'True') bad.push(c.type);
    if (n.spec?.unschedulable) bad.push('cordoned');
    if (bad.length) out.push(`node ${n.metadata.name}: ${bad.join(', ')}`);
  }
  return out;
}

/** `/readyz`, `/version` and the nodes. An unreachable API server throws UnavailableError. */
export async function clusterHealth(client: KubeClient): Promise<EngineHealth> {
  const ready = await client.text('/readyz', {
    query: { verbose: true },
    ctx: { verb: 'get', resource: '/readyz' },
  });
  const version = await client
    .json<{ gitVersion?: string }>('GET', '/version', { ctx: { verb: 'get', resource: '/version' } })
    .then((v) => v?.gitVersion ?? 'unknown')
    .catch(() => 'unknown');
  const problems: string[] = [];
  if (ready.status !== 200) {
    const failed = ready.text
      .split('\n')
      .filter((l) => /^\[-\]/.test(l))
      .map((l) => l.replace(/^\[-\]/, '').trim());
    problems.push(
      `the API server is not ready (/readyz ${ready.status}${failed.length ? `: ${failed.join('; ')}` : ''})`,
    );
  }
  let nodes: Node[] = [];
  try {
    nodes = await listAll<Node>(client, '/api/v1/nodes', 'nodes');
  } catch (err) {
    problems.push(`nodes could not be listed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const nodeIssues = nodeProblems(nodes);
  const readyNodes = nodes.filter((n) =>
    n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (nodes.length && !readyNodes.length) problems.push('no node is Ready');
  problems.push(...nodeIssues);
  return {
    ok: ready.status === 200 && (nodes.length === 0 || readyNodes.length > 0),
    version,
    message: problems.length ? problems.join('; ') : null,
  };
}

const terminated = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

function podSum(p: Pod, pick: (r: { limits?: Quantities; requests?: Quantities }) => Quantities | undefined) {
  let cpu = 0;
  let memory = 0;
  for (const c of p.spec?.containers ?? []) {
    const q = pick(c.resources ?? {});
    cpu += parseQuantity(q?.cpu);
    memory += parseQuantity(q?.memory);
  }
  return { cpu, memory };
}

/**
 * Capacity of the cluster (see the top comment). Berth's pods are those of this instance and
 * Berth cluster: another registration of the same API server (namespaces-as-clusters) counts as
 * any other tenant of the nodes.
 */
export async function clusterCapacity(
  client: KubeClient,
  instanceId: string,
  cluster: string,
): Promise<ClusterCapacity> {
  const nodes = (await listAll<Node>(client, '/api/v1/nodes', 'nodes')).filter((n) => !n.spec?.unschedulable);
  const pods = (await listAll<Pod>(client, '/api/v1/pods', 'pods')).filter((p) => !terminated(p));
  let cpus = 0;
  let memoryBytes = 0;
  for (const n of nodes) {
    cpus += parseQuantity(n.status?.allocatable?.cpu);
    memoryBytes += parseQuantity(n.status?.allocatable?.memory);
  }
  let othersMemory = 0;
  const used = { cpus: 0, memoryBytes: 0, containers: 0 };
  for (const p of pods) {
    const labels = p.metadata.labels;
    if (labels?.[labelKeys.instance] === instanceId && labels[labelKeys.cluster] === cluster) {
      const limits = podSum(p, (r) => r.limits);
      const requests = podSum(p, (r) => r.requests);
      used.cpus += limits.cpu || requests.cpu;
      used.memoryBytes += limits.memory || requests.memory;
      used.containers += 1;
    } else {
      othersMemory += podSum(p, (r) => r.requests).memory;
    }
  }
  used.cpus = Math.round(used.cpus * 1000) / 1000;
  return {
    cpus: Math.round(cpus * 1000) / 1000,
    memoryBytes: Math.round(memoryBytes),
    allocatableMemoryBytes: Math.max(0, Math.round(memoryBytes - othersMemory)),
    used: { ...used, memoryBytes: Math.round(used.memoryBytes) },
  };
}
