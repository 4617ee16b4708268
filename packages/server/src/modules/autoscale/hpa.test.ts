import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { autoscaleBehaviorOf, defaultAutoscaleBehavior, type AutoscaleBehavior } from '@berth/shared';
import { normalize, rateLimit, replicasForContainerMetric, replicasForTotal, stabilize } from './hpa';

let seq = 0;
const c = (value: number | null, ready = true) => ({ name: `c${(seq += 1)}`, ready, value });
const cpu = (currentReplicas: number, target: number, containers: ReturnType<typeof c>[]) =>
  replicasForContainerMetric({ currentReplicas, target, containers, notReadyIgnored: true });

describe('HPA: replicas from a per-container metric', () => {
  it('scales up to ceil(ready × mean / target) (300, 500, 700 mCPU of 1 core at 30 % → 5)', () => {
    const r = cpu(3, 30, [c(30), c(50), c(70)]);
    assert.equal(r?.replicas, 5);
    assert.match(r.formula, /ceil\(3 × 50 \/ 30\) = 5/);
  });

  it('scales down the same way (10, 30, 50, 25, 25 % at 50 % → ceil(2.8) = 3)', () => {
    assert.equal(cpu(5, 50, [c(10), c(30), c(50), c(25), c(25)])?.replicas, 3);
  });

  it('keeps the count within the 10 % tolerance, on both sides', () => {
    assert.equal(cpu(4, 50, [c(54), c(54), c(55), c(55)])?.replicas, 4); // ratio 1.09
    assert.equal(cpu(4, 50, [c(46), c(45), c(45), c(45)])?.replicas, 4); // ratio 0.905
    assert.equal(cpu(4, 50, [c(56), c(56), c(56), c(56)])?.replicas, 5); // ratio 1.12 → ceil(4.48)
  });

  it('counts a not-ready container (cpu) as 0 on a scale-up (50, 70 ready + 1 not ready at 30 % → 4, not 4.0 × 2)', () => {
    const r = cpu(3, 30, [c(30, false), c(50), c(70)]);
    // ready mean 60 → ratio 2; re-counted (0 + 50 + 70) / 3 = 40 → ratio 1.333 → ceil(4) = 4
    assert.equal(r?.replicas, 4);
    assert.equal(r?.notReady, 1);
    assert.equal(r?.ready, 2);
  });

  it('leaves a not-ready container out of a scale-down (cpu)', () => {
    // ready: 10, 10 at 50 → ratio 0.2 → ceil(0.4) = 1; the not-ready one is not counted
    assert.equal(cpu(3, 50, [c(10), c(10), c(90, false)])?.replicas, 1);
  });

  it('counts a not-ready container with its value for memory (the HPA does so for every resource but cpu)', () => {
    const r = replicasForContainerMetric({
      currentReplicas: 3,
      target: 50,
      containers: [c(10), c(10), c(90, false)],
      notReadyIgnored: false,
    });
    // mean (10 + 10 + 90) / 3 = 36.67 → ratio 0.733 → ceil(2.2) = 3
    assert.equal(r?.replicas, 3);
  });

  it('counts a container without a value as 0 on a scale-up (100, 100, 100 + missing at 50 % → 6)', () => {
    // ratio 2 → re-counted 300 / 4 = 75 → 1.5 → ceil(6)
    const r = cpu(4, 50, [c(100), c(100), c(100), c(null)]);
    assert.equal(r?.replicas, 6);
    assert.equal(r?.missing, 1);
    assert.match(r.formula, /1 missing counted at 0/);
  });

  it('counts a container without a value at the target on a scale-down (10, 10, 10 + missing at 50 % → 2, not 1)', () => {
    // ratio 0.2 → re-counted (30 + 50) / 4 = 20 → 0.4 → ceil(1.6) = 2
    const r = cpu(4, 50, [c(10), c(10), c(10), c(null)]);
    assert.equal(r?.replicas, 2);
    assert.match(r.formula, /missing counted at the target/);
  });

  it('keeps the count when the re-count flips the direction (60, 60 + missing at 50 %)', () => {
    // ratio 1.2 (up) → re-counted 120 / 3 = 40 → 0.8 (down): no change
    const r = cpu(3, 50, [c(60), c(60), c(null)]);
    assert.equal(r?.replicas, 3);
    assert.match(r.formula, /direction flipped/);
  });

  it('keeps the count when the re-count falls within the tolerance', () => {
    // ratio 1.2 → re-counted 240 / 5 = 48 → 0.96
    const r = cpu(5, 50, [c(60), c(60), c(60), c(60), c(null)]);
    assert.equal(r?.replicas, 5);
    assert.match(r.formula, /within the tolerance/);
  });

  it('keeps the count when the new count would go the other way than the ratio', () => {
    // 6 current, 4 containers: 3 at 60 + one missing (at 0 on the way up): 180 / 4 = 45? that flips;
    // take 3 at 80: ratio 1.6 → 240 / 4 = 60 → 1.2 → ceil(4.8) = 5 < 6 current: keep 6
    assert.equal(cpu(6, 50, [c(80), c(80), c(80), c(null)])?.replicas, 6);
  });

  it('gives no recommendation when no container has a value (the HPA does not scale)', () => {
    assert.equal(cpu(3, 50, [c(null), c(null), c(20, false)]), null);
    assert.equal(cpu(3, 50, []), null);
    assert.equal(cpu(3, 50, [c(Number.NaN)]), null);
  });
});

describe('HPA: replicas from a total (rps, PromQL)', () => {
  it('is ceil(total / target per replica) outside the tolerance', () => {
    assert.equal(replicasForTotal({ currentReplicas: 2, total: 250, target: 50 }).replicas, 5);
    assert.equal(replicasForTotal({ currentReplicas: 5, total: 20, target: 50 }).replicas, 1);
    assert.equal(replicasForTotal({ currentReplicas: 2, total: 0, target: 50 }).replicas, 0); // min clamps later
  });
  it('keeps the count within the tolerance of total / (target × current)', () => {
    assert.equal(replicasForTotal({ currentReplicas: 2, total: 105, target: 50 }).replicas, 2);
    assert.equal(replicasForTotal({ currentReplicas: 2, total: 91, target: 50 }).replicas, 2);
    assert.equal(replicasForTotal({ currentReplicas: 2, total: 111, target: 50 }).replicas, 3);
  });
});

const s = 1000;
const now = 10_000 * s;

describe('HPA: stabilisation', () => {
  it('takes the highest recommendation of the scale-down window (default 300 s)', () => {
    const history = [
      { at: now - 200 * s, replicas: 5 },
      { at: now - 100 * s, replicas: 4 },
    ];
    const b = defaultAutoscaleBehavior;
    assert.equal(stabilize({ now, currentReplicas: 5, recommendation: 2, history, behavior: b }), 5);
    // 150 s later only the 4 of 100 s ago is still within the window
    assert.equal(
      stabilize({ now: now + 150 * s, currentReplicas: 5, recommendation: 2, history, behavior: b }),
      4,
    );
    // every old recommendation left the window: the new one is taken
    assert.equal(
      stabilize({ now: now + 201 * s, currentReplicas: 5, recommendation: 2, history, behavior: b }),
      2,
    );
  });

  it('does not hold a scale-up back by default (scale-up window 0), and with a window takes its lowest', () => {
    const history = [{ at: now - 30 * s, replicas: 2 }];
    assert.equal(
      stabilize({ now, currentReplicas: 2, recommendation: 6, history, behavior: defaultAutoscaleBehavior }),
      6,
    );
    const b = autoscaleBehaviorOf({ behavior: { scaleUp: { stabilizationWindowSeconds: 60 } } });
    assert.equal(stabilize({ now, currentReplicas: 2, recommendation: 6, history, behavior: b }), 2);
    assert.equal(
      stabilize({
        now,
        currentReplicas: 2,
        recommendation: 6,
        history: [{ at: now - 30 * s, replicas: 4 }],
        behavior: b,
      }),
      4,
    );
  });
});

describe('HPA: rate policies', () => {
  const base = { now, min: 1, max: 50, events: [] as { at: number; change: number }[] };

  it('scales up by at most 100 % or 4 replicas per 15 s, whichever is more (defaults)', () => {
    const b = defaultAutoscaleBehavior;
    assert.deepEqual(rateLimit({ ...base, currentReplicas: 1, desired: 20, behavior: b }), {
      replicas: 5,
      limit: { reason: 'ScaleUpLimit', replicas: 5 },
    });
    assert.equal(rateLimit({ ...base, currentReplicas: 10, desired: 40, behavior: b }).replicas, 20);
    // 1 → 5 ten seconds ago: the period started at 1, so 5 is all there is until it passes
    const events = [{ at: now - 10 * s, change: 4 }];
    assert.equal(rateLimit({ ...base, events, currentReplicas: 5, desired: 20, behavior: b }).replicas, 5);
    assert.equal(
      rateLimit({ ...base, events, now: now + 6 * s, currentReplicas: 5, desired: 20, behavior: b }).replicas,
      10,
    );
  });

  it('picks the smallest change with selectPolicy Min, and none with Disabled', () => {
    const min = autoscaleBehaviorOf({ behavior: { scaleUp: { selectPolicy: 'Min' } } });
    assert.equal(rateLimit({ ...base, currentReplicas: 1, desired: 20, behavior: min }).replicas, 2);
    const off = autoscaleBehaviorOf({ behavior: { scaleUp: { selectPolicy: 'Disabled' } } });
    assert.equal(rateLimit({ ...base, currentReplicas: 3, desired: 20, behavior: off }).replicas, 3);
    const down = autoscaleBehaviorOf({ behavior: { scaleDown: { selectPolicy: 'Disabled' } } });
    assert.equal(rateLimit({ ...base, currentReplicas: 3, desired: 1, behavior: down }).replicas, 3);
  });

  it('bounds a scale-down by its policies, counting the replicas removed within the period', () => {
    const b: AutoscaleBehavior = autoscaleBehaviorOf({
      behavior: {
        scaleDown: {
          policies: [
            { type: 'Pods', value: 1, periodSeconds: 60 },
            { type: 'Percent', value: 50, periodSeconds: 60 },
          ],
        },
      },
    });
    // Max (default) = the largest change: 10 − 50 % = 5 beats 10 − 1 = 9
    assert.deepEqual(rateLimit({ ...base, currentReplicas: 10, desired: 1, behavior: b }), {
      replicas: 5,
      limit: { reason: 'ScaleDownLimit', replicas: 5 },
    });
    // 10 → 5 thirty seconds ago: the period started at 10, 5 is already its bound
    const events = [{ at: now - 30 * s, change: -5 }];
    assert.equal(rateLimit({ ...base, events, currentReplicas: 5, desired: 1, behavior: b }).replicas, 5);
    const minChange = autoscaleBehaviorOf({
      behavior: { scaleDown: { ...b.scaleDown, selectPolicy: 'Min' } },
    });
    assert.equal(rateLimit({ ...base, currentReplicas: 10, desired: 1, behavior: minChange }).replicas, 9);
  });

  it('clamps to [min, max] and names which bound held', () => {
    const b = defaultAutoscaleBehavior;
    assert.deepEqual(rateLimit({ ...base, max: 3, currentReplicas: 2, desired: 4, behavior: b }), {
      replicas: 3,
      limit: { reason: 'TooManyReplicas', replicas: 3 },
    });
    assert.deepEqual(rateLimit({ ...base, min: 2, currentReplicas: 4, desired: 0, behavior: b }), {
      replicas: 2,
      limit: { reason: 'TooFewReplicas', replicas: 2 },
    });
  });
});

describe('HPA: normalize', () => {
  const b = defaultAutoscaleBehavior;
  it('brings a count outside [min, max] back at once, whatever the metric says', () => {
    const arg = { now, history: [], events: [], behavior: b, min: 2, max: 6 };
    assert.equal(normalize({ ...arg, currentReplicas: 9, recommendation: 9 }).replicas, 6);
    assert.equal(normalize({ ...arg, currentReplicas: 1, recommendation: 1 }).replicas, 2);
  });
  it('stabilises, then rate-limits (a scale-down held by the window, a scale-up by the policy)', () => {
    const arg = { now, events: [], behavior: b, min: 1, max: 20 };
    const down = normalize({
      ...arg,
      currentReplicas: 4,
      recommendation: 1,
      history: [{ at: now - 60 * s, replicas: 4 }],
    });
    assert.deepEqual(down, { stabilized: 4, replicas: 4, limit: null });
    const up = normalize({ ...arg, currentReplicas: 1, recommendation: 12, history: [] });
    assert.deepEqual(up, { stabilized: 12, replicas: 5, limit: { reason: 'ScaleUpLimit', replicas: 5 } });
  });
});
