/**
 * A Deployment's status as Berth's WorkloadStatus. The release and restart nonce are read from
 * the pod template's labels (what the Deployment rolls to), the counts from its status. The
 * message gathers what an operator needs when something is wrong: the Progressing condition of
 * a stalled rollout, a ReplicaFailure (quota, admission), why pods wait (ImagePullBackOff,
 * CrashLoopBackOff, CreateContainerConfigError), and other field managers on fields Berth sets.
 */
import type { WorkloadStatus } from '@berth/engine-api';
import { labelKeys } from '@berth/engine-api';
import { sharedFields } from './apply';
import type { Deployment, Pod } from './kube-types';
import { kubeKeys } from './manifests/index';
import { podContainerStatus } from './observation';

const int = (v: string | undefined): number | null => {
  if (v === undefined || !/^\d+$/.test(v)) return null;
  return Number(v);
};

/** Waiting reasons that are not just "starting". */
const quietWaits = new Set(['ContainerCreating', 'PodInitializing']);

/** Why the service's pods are not running, one phrase per distinct reason. */
export function podProblems(pods: Pod[]): string[] {
  const seen = new Map<string, string>();
  for (const p of pods) {
    const w = podContainerStatus(p)?.state?.waiting;
    if (w?.reason && !quietWaits.has(w.reason) && !seen.has(w.reason)) {
      seen.set(w.reason, `pod ${p.metadata.name}: ${w.reason}${w.message ? `: ${w.message}` : ''}`);
    }
    const unschedulable = p.status?.conditions?.find(
      (c) => c.type === 'PodScheduled' && c.status === 'False',
    );
    if (unschedulable?.reason && !seen.has(unschedulable.reason)) {
      seen.set(
        unschedulable.reason,
        `pod ${p.metadata.name}: ${unschedulable.reason}${unschedulable.message ? `: ${unschedulable.message}` : ''}`,
      );
    }
  }
  return [...seen.values()];
}

/** WorkloadStatus of a Deployment; `pods`: the service's pods; `applyNotes`: the last apply's conflicts. */
export function workloadStatusOf(d: Deployment, pods: Pod[], applyNotes: string[]): WorkloadStatus {
  const labels = d.spec?.template?.metadata?.labels ?? {};
  const s = d.status ?? {};
  const conds = s.conditions ?? [];
  const progressing = conds.find((c) => c.type === 'Progressing');
  const stalled = progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded';
  const messages: string[] = [];
  if (stalled) messages.push(`rollout stalled: ${progressing.message ?? 'progress deadline exceeded'}`);
  const failure = conds.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure) messages.push(`${failure.reason ?? 'ReplicaFailure'}: ${failure.message ?? ''}`.trim());
  messages.push(...podProblems(pods));
  const shared = sharedFields(d.metadata.managedFields);
  if (shared.length)
    messages.push(`other field managers also set fields Berth applies (${shared.join('; ')})`);
  if (applyNotes.length)
    messages.push(`Berth's last apply took over fields changed outside Berth (${applyNotes.join('; ')})`);
  return {
    release: int(labels[labelKeys.release]),
    restartNonce: int(labels[kubeKeys.restart]),
    replicas: d.spec?.replicas ?? 1,
    updated: s.updatedReplicas ?? 0,
    ready: s.readyReplicas ?? 0,
    available: s.availableReplicas ?? 0,
    observed: (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0),
    stalled,
    message: messages.length ? messages.join('; ') : null,
  };
}
