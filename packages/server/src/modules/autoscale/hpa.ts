import type { AutoscaleBehavior, AutoscaleRules } from '@berth/shared';

/**
 * The Kubernetes HPA algorithm (pkg/controller/podautoscaler: replica_calculator.go and
 * horizontal.go), pure: every input is given, nothing is read. docs/autoscaling.md.
 */

export const hpaTolerance = 0.1;

/** One container of the service: ready or not, and its metric (null when Prometheus has none). */
export interface ContainerMetric {
  name: string;
  ready: boolean;
  value: number | null;
}

export interface MetricRecommendation {
  replicas: number;
  /** The usage ratio the decision rests on (after the missing/not-ready re-count). */
  ratio: number;
  /** The service's metric: the mean over the counted containers, or the total. */
  value: number;
  formula: string;
  ready: number;
  notReady: number;
  missing: number;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, ''));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * GetResourceReplicas / calcPlainMetricReplicas: a per-container metric (cpu and memory in percent
 * of the limit) against a per-container target.
 *
 * - the ratio is taken over ready containers that have a value;
 * - within the tolerance (|ratio − 1| ≤ 0.1) and nothing missing or not ready to account for:
 *   no change; else ceil(ratio × counted);
 * - containers without a value count as 0 on a scale-up and as 100 % of the target on a
 *   scale-down; not-ready containers (when `notReadyIgnored`, the HPA does it for cpu) count as 0
 *   on a scale-up and not at all on a scale-down;
 * - after that re-count: within the tolerance, or the direction flipped, or the new count goes the
 *   other way → no change.
 *
 * Null when no container has a value: the HPA then does not scale (and Berth holds).
 */
export function replicasForContainerMetric(input: {
  currentReplicas: number;
  target: number;
  containers: readonly ContainerMetric[];
  /** Not-ready containers are set aside (cpu) instead of counted with their value (memory). */
  notReadyIgnored: boolean;
  tolerance?: number;
}): MetricRecommendation | null {
  const tolerance = input.tolerance ?? hpaTolerance;
  const { currentReplicas, target } = input;
  const counted: number[] = [];
  const missing: ContainerMetric[] = [];
  const notReady: ContainerMetric[] = [];
  for (const c of input.containers) {
    if (!c.ready && input.notReadyIgnored) notReady.push(c);
    else if (c.value === null || Number.isNaN(c.value)) missing.push(c);
    else counted.push(c.value);
  }
  const counts = { ready: counted.length, notReady: notReady.length, missing: missing.length };
  if (counted.length === 0) return null;
  const usage = mean(counted);
  const ratio = usage / target;
  const scaleUpWithNotReady = notReady.length > 0 && ratio > 1;
  if (!scaleUpWithNotReady && missing.length === 0) {
    if (Math.abs(1 - ratio) <= tolerance)
      return {
        replicas: currentReplicas,
        ratio,
        value: usage,
        formula: `|${fmt(usage)} / ${fmt(target)} − 1| = ${fmt(Math.abs(1 - ratio))} ≤ ${tolerance}: keep ${currentReplicas}`,
        ...counts,
      };
    const replicas = Math.ceil(ratio * counted.length);
    return {
      replicas,
      ratio,
      value: usage,
      formula: `ceil(${counted.length} × ${fmt(usage)} / ${fmt(target)}) = ${replicas}`,
      ...counts,
    };
  }
  const all = [...counted];
  const notes: string[] = [];
  if (missing.length > 0) {
    if (ratio < 1) {
      for (const _ of missing) all.push(target);
      notes.push(`${missing.length} missing counted at the target`);
    } else if (ratio > 1) {
      for (const _ of missing) all.push(0);
      notes.push(`${missing.length} missing counted at 0`);
    }
  }
  if (scaleUpWithNotReady) {
    for (const _ of notReady) all.push(0);
    notes.push(`${notReady.length} not ready counted at 0`);
  }
  const newUsage = mean(all);
  const newRatio = newUsage / target;
  const note = notes.length ? ` (${notes.join(', ')})` : '';
  const keep = (why: string): MetricRecommendation => ({
    replicas: currentReplicas,
    ratio: newRatio,
    value: newUsage,
    formula: `${fmt(usage)} / ${fmt(target)} over ${counted.length} ready; re-counted ${fmt(newUsage)} over ${all.length}${note}: ${why}, keep ${currentReplicas}`,
    ...counts,
  });
  if (Math.abs(1 - newRatio) <= tolerance) return keep('within the tolerance');
  if ((ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return keep('the direction flipped');
  const replicas = Math.ceil(newRatio * all.length);
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas))
    return keep('the count would go the other way');
  return {
    replicas,
    ratio: newRatio,
    value: newUsage,
    formula: `ceil(${all.length} × ${fmt(newUsage)} / ${fmt(target)}) = ${replicas}${note}`,
    ...counts,
  };
}

/**
 * GetExternalPerPodMetricReplicas: a total for the service (rps through the gateway, a PromQL
 * value) against a target per replica. ratio = total / (target × current); outside the tolerance,
 * ceil(total / target).
 */
export function replicasForTotal(input: {
  currentReplicas: number;
  total: number;
  target: number;
  tolerance?: number;
}): MetricRecommendation {
  const tolerance = input.tolerance ?? hpaTolerance;
  const { currentReplicas, total, target } = input;
  const ratio = currentReplicas > 0 ? total / (target * currentReplicas) : total > 0 ? Infinity : 1;
  const counts = { ready: currentReplicas, notReady: 0, missing: 0 };
  if (Math.abs(1 - ratio) <= tolerance)
    return {
      replicas: currentReplicas,
      ratio,
      value: total,
      formula: `|${fmt(total)} / (${fmt(target)} × ${currentReplicas}) − 1| ≤ ${tolerance}: keep ${currentReplicas}`,
      ...counts,
    };
  const replicas = Math.ceil(total / target);
  return {
    replicas,
    ratio,
    value: total,
    formula: `ceil(${fmt(total)} / ${fmt(target)}) = ${replicas}`,
    ...counts,
  };
}

export interface Recommendation {
  at: number; // ms
  replicas: number;
}
export interface ScaleEvent {
  at: number; // ms
  /** Replicas added (positive) or removed (negative). */
  change: number;
}

/**
 * stabilizeRecommendationWithBehaviors: the recommendation is kept between the lowest
 * recommendation of the scale-up window and the highest of the scale-down window (the current one
 * included), starting from the current replicas.
 */
export function stabilize(input: {
  now: number;
  currentReplicas: number;
  recommendation: number;
  history: readonly Recommendation[];
  behavior: AutoscaleBehavior;
}): number {
  const { now, recommendation, behavior } = input;
  const upCutoff = now - behavior.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = now - behavior.scaleDown.stabilizationWindowSeconds * 1000;
  let up = recommendation;
  let down = recommendation;
  for (const r of input.history) {
    if (r.at > upCutoff) up = Math.min(up, r.replicas);
    if (r.at > downCutoff) down = Math.max(down, r.replicas);
  }
  let result = input.currentReplicas;
  if (result < up) result = up;
  if (result > down) result = down;
  return result;
}

function changeInPeriod(
  now: number,
  periodSeconds: number,
  events: readonly ScaleEvent[],
  sign: 1 | -1,
): number {
  const cutoff = now - periodSeconds * 1000;
  let sum = 0;
  for (const e of events) if (e.at > cutoff && Math.sign(e.change) === sign) sum += Math.abs(e.change);
  return sum;
}

function scaleLimit(
  now: number,
  current: number,
  events: readonly ScaleEvent[],
  rules: AutoscaleRules,
  direction: 'up' | 'down',
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  // up: Max picks the highest proposal, Min the lowest; down: Max picks the lowest (largest change)
  const pickHighest = (direction === 'up') === (rules.selectPolicy === 'Max');
  let result = pickHighest ? -Infinity : Infinity;
  for (const p of rules.policies) {
    const added = changeInPeriod(now, p.periodSeconds, events, 1);
    const removed = changeInPeriod(now, p.periodSeconds, events, -1);
    const periodStart = current - added + removed;
    let proposed: number;
    if (direction === 'up')
      proposed = p.type === 'Pods' ? periodStart + p.value : Math.ceil(periodStart * (1 + p.value / 100));
    else proposed = p.type === 'Pods' ? periodStart - p.value : Math.trunc(periodStart * (1 - p.value / 100));
    result = pickHighest ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

/**
 * convertDesiredReplicasWithBehaviorRate: a scale-up is bounded by max and the scale-up policies
 * (replicas added within each policy's period count against it), a scale-down by min and the
 * scale-down policies.
 */
export function rateLimit(input: {
  now: number;
  currentReplicas: number;
  desired: number;
  min: number;
  max: number;
  events: readonly ScaleEvent[];
  behavior: AutoscaleBehavior;
}): { replicas: number; limit: { reason: string; replicas: number } | null } {
  const { now, currentReplicas: current, desired, min, max, events, behavior } = input;
  if (desired > current) {
    let upLimit = scaleLimit(now, current, events, behavior.scaleUp, 'up');
    if (upLimit < current) upLimit = current;
    const allowed = Math.min(max, upLimit);
    const reason = max > upLimit ? 'ScaleUpLimit' : 'TooManyReplicas';
    if (desired > allowed) return { replicas: allowed, limit: { reason, replicas: allowed } };
  } else if (desired < current) {
    let downLimit = scaleLimit(now, current, events, behavior.scaleDown, 'down');
    if (downLimit > current) downLimit = current;
    const allowed = Math.max(min, downLimit);
    const reason = min < downLimit ? 'ScaleDownLimit' : 'TooFewReplicas';
    if (desired < allowed) return { replicas: allowed, limit: { reason, replicas: allowed } };
  }
  return { replicas: desired, limit: null };
}

/**
 * reconcileAutoscaler's outer rule and normalizeDesiredReplicasWithBehaviors: outside [min, max]
 * the count is brought back at once; otherwise the metric's recommendation is stabilised, then
 * rate-limited and clamped.
 */
export function normalize(input: {
  now: number;
  currentReplicas: number;
  recommendation: number;
  min: number;
  max: number;
  history: readonly Recommendation[];
  events: readonly ScaleEvent[];
  behavior: AutoscaleBehavior;
}): { stabilized: number; replicas: number; limit: { reason: string; replicas: number } | null } {
  const { currentReplicas: current, min, max } = input;
  if (current > max)
    return { stabilized: max, replicas: max, limit: { reason: 'TooManyReplicas', replicas: max } };
  if (current < min)
    return { stabilized: min, replicas: min, limit: { reason: 'TooFewReplicas', replicas: min } };
  const stabilized = stabilize(input);
  const r = rateLimit({ ...input, desired: stabilized });
  return { stabilized, ...r };
}
