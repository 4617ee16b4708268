/**
 * The rollout planner: a pure function from what exists to what to do next, in the spirit of
 * Kubernetes' Deployment controller. It never removes a ready container of the old revision
 * unless enough ready containers remain (replicas − maxUnavailable), and never runs more than
 * replicas + maxSurge containers of a service at once.
 */
export interface PlanContainer {
  name: string;
  /** Runs the wanted revision (release and restart generation). */
  current: boolean;
  ready: boolean;
  /** Already draining or stopping: no longer counted as live. */
  leaving: boolean;
  /** Taken out of rotation by a user: kept, but not counted. */
  parked: boolean;
  createdAt: string;
}

export interface PlanInput {
  replicas: number;
  maxSurge: number;
  maxUnavailable: number;
  containers: PlanContainer[];
  /** Creating is paused (crash-loop back-off). */
  holdCreates: boolean;
}

export interface Plan {
  create: number;
  /** Names of containers to drain and stop. */
  drain: string[];
  readyCurrent: number;
  liveCurrent: number;
  liveOld: number;
  /** Every live container is current and ready, and there are exactly `replicas`. */
  complete: boolean;
}

const newestFirst = (a: PlanContainer, b: PlanContainer) => (a.createdAt < b.createdAt ? 1 : -1);

export function planRollout(input: PlanInput): Plan {
  const live = input.containers.filter((c) => !c.leaving && !c.parked);
  const cur = live.filter((c) => c.current);
  const old = live.filter((c) => !c.current);
  const drain: string[] = [];
  const want = input.replicas;

  // Too many current containers (scale in): drop unready ones first, then the newest.
  if (cur.length > want) {
    const ordered = [...cur].sort((a, b) => Number(a.ready) - Number(b.ready) || newestFirst(a, b));
    drain.push(...ordered.slice(0, cur.length - want).map((c) => c.name));
  }
  const keptCur = cur.filter((c) => !drain.includes(c.name));
  const readyCur = keptCur.filter((c) => c.ready).length;

  // Old containers that are not ready carry no traffic: remove them right away.
  const oldUnready = old.filter((c) => !c.ready);
  const oldReady = old.filter((c) => c.ready).sort(newestFirst);
  drain.push(...oldUnready.map((c) => c.name));

  // Old ready containers go only while enough ready ones stay.
  const minAvailable = Math.max(0, want - input.maxUnavailable);
  let available = readyCur + oldReady.length;
  for (const c of oldReady) {
    if (available - 1 < minAvailable) break;
    drain.push(c.name);
    available -= 1;
  }
  const oldLeft = oldReady.length - oldReady.filter((c) => drain.includes(c.name)).length;

  // Create new containers within the surge budget.
  let create = 0;
  if (!input.holdCreates && keptCur.length < want) {
    const maxTotal = want + input.maxSurge;
    const total = keptCur.length + oldLeft;
    create = Math.max(0, Math.min(want - keptCur.length, maxTotal - total));
  }

  return {
    create,
    drain,
    readyCurrent: readyCur,
    liveCurrent: keptCur.length,
    liveOld: oldLeft,
    complete: drain.length === 0 && keptCur.length === want && readyCur === want && old.length === 0,
  };
}
