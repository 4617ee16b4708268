/**
 * Core v1 Events of one workload (the events tab): the namespace's events are listed and watched
 * (list-watch.ts), and those about the service's Deployment, its ReplicaSets
 * (`<deployment>-<hash>`), its pods (`<deployment>-<hash>-<suffix>`) and its Service are handed on —
 * first the ones the list had, oldest first, then each new one (an event seen again with a higher
 * count is a new occurrence).
 */
import type { WorkloadObjectEvent } from '@berth/engine-api';
import type { KubeClient } from './client';
import type { CoreEvent } from './kube-types';
import { ListWatch } from './list-watch';

/** Whether an event is about the workload's objects (names by the rules of names.ts). */
export function isWorkloadEvent(e: CoreEvent, deployment: string, service: string): boolean {
  const kind = e.involvedObject?.kind;
  const name = e.involvedObject?.name ?? '';
  const esc = deployment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (kind === 'Deployment') return name === deployment;
  if (kind === 'ReplicaSet') return new RegExp(`^${esc}-[a-z0-9]+$`).test(name);
  if (kind === 'Pod') return new RegExp(`^${esc}-[a-z0-9]+-[a-z0-9]+$`).test(name);
  if (kind === 'Service') return name === service;
  return false;
}

export function toObjectEvent(e: CoreEvent): WorkloadObjectEvent {
  return {
    at:
      e.lastTimestamp ??
      e.eventTime ??
      e.firstTimestamp ??
      e.metadata.creationTimestamp ??
      new Date().toISOString(),
    type: e.type === 'Warning' ? 'Warning' : 'Normal',
    reason: e.reason ?? '',
    message: e.message ?? '',
    object: `${e.involvedObject?.kind ?? 'Object'}/${e.involvedObject?.name ?? ''}`,
    key: `${e.metadata.namespace ?? ''}/${e.metadata.name}`,
    count: e.count ?? 1,
  };
}

/** The workload's events until `signal` aborts. */
export async function* workloadEvents(
  client: KubeClient,
  namespace: string,
  deployment: string,
  service: string,
  signal: AbortSignal,
): AsyncIterable<WorkloadObjectEvent> {
  const queue: WorkloadObjectEvent[] = [];
  let wake: (() => void) | null = null;
  let synced = false;
  const initial: CoreEvent[] = [];
  const watch = new ListWatch<CoreEvent>(client, {
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
    ctx: { resource: 'events', namespace },
    onChange: (prev, next) => {
      if (!next || !isWorkloadEvent(next, deployment, service)) return;
      if (prev && (prev.count ?? 1) === (next.count ?? 1) && prev.lastTimestamp === next.lastTimestamp)
        return;
      if (!synced) initial.push(next);
      else queue.push(toObjectEvent(next));
      wake?.();
    },
  });
  const stop = () => wake?.();
  signal.addEventListener('abort', stop, { once: true });
  try {
    await watch.ready();
    synced = true;
    const first = initial.map(toObjectEvent).sort((a, b) => a.at.localeCompare(b.at));
    for (const e of first) {
      if (signal.aborted) return;
      yield e;
    }
    while (!signal.aborted) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
  } finally {
    signal.removeEventListener('abort', stop);
    await watch.close();
  }
}
