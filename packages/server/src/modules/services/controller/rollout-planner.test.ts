import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planRollout, type PlanContainer } from './rollout-planner';

let seq = 0;
function c(current: boolean, ready: boolean, extra: Partial<PlanContainer> = {}): PlanContainer {
  seq += 1;
  return {
    name: `c${seq}`,
    current,
    ready,
    leaving: false,
    parked: false,
    createdAt: String(1000 + seq),
    ...extra,
  };
}

/** Simulates a rollout step by step: created containers become ready next step, drained ones leave. */
function simulate(replicas: number, maxSurge: number, maxUnavailable: number, old: number) {
  let containers = Array.from({ length: old }, () => c(false, true));
  let minReady = Infinity;
  let maxTotal = 0;
  for (let step = 0; step < 50; step += 1) {
    const plan = planRollout({ replicas, maxSurge, maxUnavailable, containers, holdCreates: false });
    if (plan.complete) return { steps: step, minReady, maxTotal };
    containers = containers.filter((x) => !plan.drain.includes(x.name)).map((x) => ({ ...x, ready: true }));
    containers.push(...Array.from({ length: plan.create }, () => c(true, false)));
    const ready = containers.filter((x) => x.ready).length;
    minReady = Math.min(minReady, ready);
    maxTotal = Math.max(maxTotal, containers.length);
  }
  throw new Error('rollout did not complete in 50 steps');
}

describe('rollout planner', () => {
  it('creates the first containers of a new service at once', () => {
    const plan = planRollout({
      replicas: 3,
      maxSurge: 1,
      maxUnavailable: 0,
      containers: [],
      holdCreates: false,
    });
    assert.equal(plan.create, 3);
    assert.deepEqual(plan.drain, []);
  });

  it('never drops below replicas ready with maxUnavailable 0, nor exceeds replicas + surge', () => {
    const r = simulate(3, 1, 0, 3);
    assert.equal(r.minReady, 3);
    assert.equal(r.maxTotal, 4);
  });

  it('honours maxUnavailable with no surge', () => {
    const r = simulate(4, 0, 1, 4);
    assert.equal(r.minReady, 3);
    assert.equal(r.maxTotal, 4);
  });

  it('keeps old ready containers while the new ones are not ready', () => {
    const containers = [c(false, true), c(false, true), c(false, true), c(true, false)];
    const plan = planRollout({ replicas: 3, maxSurge: 1, maxUnavailable: 0, containers, holdCreates: false });
    assert.deepEqual(plan.drain, []);
    assert.equal(plan.create, 0);
  });

  it('removes old containers that are not ready right away', () => {
    const bad = c(false, false);
    const plan = planRollout({
      replicas: 1,
      maxSurge: 1,
      maxUnavailable: 0,
      containers: [bad],
      holdCreates: false,
    });
    assert.deepEqual(plan.drain, [bad.name]);
    assert.equal(plan.create, 1);
  });

  it('scales in by dropping unready containers first', () => {
    const a = c(true, true);
    const b = c(true, false);
    const d = c(true, true);
    const plan = planRollout({
      replicas: 2,
      maxSurge: 1,
      maxUnavailable: 0,
      containers: [a, b, d],
      holdCreates: false,
    });
    assert.deepEqual(plan.drain, [b.name]);
    assert.equal(plan.complete, false);
  });

  it('replaces a container taken out of rotation without counting it', () => {
    const parked = c(true, true, { parked: true });
    const plan = planRollout({
      replicas: 2,
      maxSurge: 1,
      maxUnavailable: 0,
      containers: [parked, c(true, true)],
      holdCreates: false,
    });
    assert.equal(plan.create, 1);
    assert.deepEqual(plan.drain, []);
  });

  it('holds creates during crash back-off', () => {
    const plan = planRollout({
      replicas: 2,
      maxSurge: 1,
      maxUnavailable: 0,
      containers: [],
      holdCreates: true,
    });
    assert.equal(plan.create, 0);
  });

  it('drains everything when stopped', () => {
    const plan = planRollout({
      replicas: 0,
      maxSurge: 1,
      maxUnavailable: 0,
      containers: [c(true, true), c(false, true)],
      holdCreates: false,
    });
    assert.equal(plan.drain.length, 2);
  });

  it('is complete only with exactly the wanted ready current containers and no old ones', () => {
    assert.equal(
      planRollout({
        replicas: 2,
        maxSurge: 1,
        maxUnavailable: 0,
        containers: [c(true, true), c(true, true)],
        holdCreates: false,
      }).complete,
      true,
    );
    assert.equal(
      planRollout({
        replicas: 2,
        maxSurge: 1,
        maxUnavailable: 0,
        containers: [c(true, true), c(true, true), c(false, true)],
        holdCreates: false,
      }).complete,
      false,
    );
  });
});
