import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Placement } from '@berth/shared';
import type { ClusterCatalog, ClusterInfo } from './cluster-catalog';
import { FleetPlacement, isMoving, type PlaceRequest } from './fleet-placement';

const now = Date.parse('2026-12-06T01:00:00Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString();
const ready = (name: string, sinceSeconds = 3600, extra: Partial<ClusterInfo> = {}): ClusterInfo => ({
  name,
  cordoned: false,
  healthy: true,
  freeMemoryBytes: 8 * 1024 ** 3,
  stateSince: ago(sinceSeconds),
  ...extra,
});
const down = (name: string, sinceSeconds: number): ClusterInfo => ({
  ...ready(name),
  healthy: false,
  stateSince: ago(sinceSeconds),
});
const even: Placement = {
  clusters: [
    { name: 'a', weight: 1 },
    { name: 'b', weight: 1 },
  ],
  division: 'weighted',
};

let pass = 0;
async function place(clusters: ClusterInfo[], req: Partial<PlaceRequest>) {
  const catalog: ClusterCatalog = {
    forEnv: () => Promise.resolve(clusters),
    names: () => Promise.resolve(clusters.map((c) => c.name)),
  };
  const fleet = new FleetPlacement(catalog, () => Promise.resolve(60), {
    stableSeconds: 120,
    now: () => now,
  });
  pass += 1;
  return fleet.place({
    project: 'p',
    env: 'e',
    service: 's',
    placement: even,
    replicas: 4,
    memoryMiB: 64,
    current: {},
    blind: new Set(),
    listed: new Set(),
    pass,
    ...req,
  });
}

describe('fleet placement: failover and restore', () => {
  it('divides by the placement when every cluster is ready', async () => {
    const r = await place([ready('a'), ready('b')], {});
    assert.deepEqual(r.targets, { a: 2, b: 2 });
    assert.deepEqual(r.failedOver, []);
  });

  it('keeps a dead cluster’s replicas during the grace period and gives it no new ones', async () => {
    const r = await place([ready('a'), down('b', 30)], { current: { a: 2, b: 2 }, replicas: 6 });
    assert.deepEqual(r.targets, { a: 4, b: 2 });
    assert.deepEqual(r.failedOver, []);
  });

  it('moves them past the grace period', async () => {
    const r = await place([ready('a'), down('b', 61)], { current: { a: 2, b: 2 } });
    assert.deepEqual(r.targets, { a: 4, b: 0 });
    assert.deepEqual(r.failedOver, ['b']);
  });

  it('never moves the last copy: with nowhere to go, the dead cluster keeps its replicas', async () => {
    const r = await place([ready('a', 3600, { cordoned: true }), down('b', 600)], {
      current: { a: 0, b: 4 },
    });
    assert.equal(r.targets.b, 4);
    assert.equal(r.targets.a, 0);
    assert.deepEqual(r.failedOver, []);
  });

  it('gives a recovered cluster its share back only after the stability window', async () => {
    const early = await place([ready('a'), ready('b', 30)], { current: { a: 4 } });
    assert.deepEqual(early.targets, { a: 4, b: 0 }, 'not yet: b is ready for 30 s of 120');
    const late = await place([ready('a'), ready('b', 121)], { current: { a: 4 } });
    assert.deepEqual(late.targets, { a: 2, b: 2 });
  });

  it('does not move capacity-divided replicas back (free memory changes all the time)', async () => {
    const r = await place([ready('a'), ready('b', 3600)], {
      current: { a: 4 },
      placement: { clusters: even.clusters, division: 'capacity' },
    });
    assert.deepEqual(r.targets, { a: 4, b: 0 });
  });

  it('puts no new replica on a cluster whose engine did not answer this pass', async () => {
    const r = await place([ready('a'), ready('b')], { current: { a: 1, b: 1 }, blind: new Set(['b']) });
    assert.deepEqual(r.targets, { a: 3, b: 1 });
  });

  it('moves services off a failed cluster at the failover rate, a burst first', async () => {
    let t = now;
    const catalog: ClusterCatalog = {
      forEnv: () => Promise.resolve([ready('a'), down('b', 600)]),
      names: () => Promise.resolve(['a', 'b']),
    };
    const fleet = new FleetPlacement(catalog, () => Promise.resolve(60), {
      stableSeconds: 120,
      rate: { perSecond: 0.5, burst: 2 },
      now: () => t,
    });
    const ask = (service: string) =>
      fleet.place({
        project: 'p',
        env: 'e',
        service,
        placement: even,
        replicas: 2,
        memoryMiB: null,
        current: { a: 1, b: 1 },
        blind: new Set(),
        listed: new Set(),
        pass: (pass += 1),
      });
    const first = await Promise.all(['s1', 's2', 's3'].map(ask));
    assert.deepEqual(
      first.map((r) => r.targets.b),
      [0, 0, 1],
      'two move at once, the third keeps its replica on b for now',
    );
    assert.deepEqual(first[2]!.failedOver, []);
    t += 1000;
    assert.equal((await ask('s3')).targets.b, 1, 'half a token a second: not yet');
    t += 1000;
    assert.equal((await ask('s3')).targets.b, 0, 'two seconds later it moves');
    assert.equal((await ask('s1')).targets.b, 0, 'one that moved keeps moving without a new token');
  });

  it('does not move replicas back to a cluster only listed again, before the checker finds it ready', async () => {
    const r = await place([ready('a'), down('b', 600)], { current: { a: 4 }, listed: new Set(['a', 'b']) });
    assert.deepEqual(r.targets, { a: 4, b: 0 });
  });

  it('trusts a cluster the controller just listed over a health check that timed out', async () => {
    // the checker said unreachable long ago, but this pass listed b's containers: b answers
    const r = await place([ready('a'), down('b', 600)], {
      current: { a: 1, b: 1 },
      replicas: 4,
      listed: new Set(['a', 'b']),
    });
    assert.deepEqual(r.targets, { a: 2, b: 2 });
    assert.deepEqual(r.failedOver, []);
  });

  it('places nothing in an environment that does not exist', async () => {
    const catalog: ClusterCatalog = { forEnv: () => Promise.resolve(null), names: () => Promise.resolve([]) };
    const fleet = new FleetPlacement(catalog, () => Promise.resolve(60), { stableSeconds: 120 });
    const r = await fleet.place({
      project: 'p',
      env: 'gone',
      service: 's',
      placement: undefined,
      replicas: 2,
      memoryMiB: null,
      current: {},
      blind: new Set(),
      listed: new Set(),
      pass: 1,
    });
    assert.deepEqual(r.targets, {});
    assert.equal(r.unplaced, 2);
  });
});

describe('fleet placement: the fleet view of services on the move', () => {
  it('writes a service while it moves, only when something changed, and removes it once settled', async () => {
    const saved: Array<{ targets: string; current: string; failed_over: string }> = [];
    const removed: string[] = [];
    let clusters = [ready('a'), down('b', 61)];
    const fleet = new FleetPlacement(
      { forEnv: () => Promise.resolve(clusters), names: () => Promise.resolve(['a', 'b']) },
      () => Promise.resolve(60),
      {
        stableSeconds: 120,
        now: () => now,
        moves: {
          save: (row) => Promise.resolve(void saved.push(row)),
          remove: (project, env, service) =>
            Promise.resolve(void removed.push(`${project}/${env}/${service}`)),
        },
      },
    );
    let n = 1000;
    const at = (current: Record<string, number>) =>
      fleet.place({
        project: 'p',
        env: 'e',
        service: 's',
        placement: even,
        replicas: 4,
        memoryMiB: 64,
        current,
        blind: new Set(),
        listed: new Set(['a']),
        pass: (n += 1),
      });
    // b is dead past the grace: moving, with b failed over
    await at({ a: 2, b: 2 });
    await at({ a: 2, b: 2 }); // nothing changed: nothing written
    assert.equal(saved.length, 1);
    assert.deepEqual(JSON.parse(saved[0]!.failed_over), ['b']);
    assert.deepEqual(JSON.parse(saved[0]!.targets), { a: 4, b: 0 });
    assert.deepEqual(JSON.parse(saved[0]!.current), { a: 2, b: 2 });
    await at({ a: 4, b: 0 }); // moved, but b is still failed over: still listed, counts updated
    assert.equal(saved.length, 2);
    assert.deepEqual(JSON.parse(saved[1]!.current), { a: 4, b: 0 });
    assert.deepEqual(removed, []);
    // b back and stable: the division returns; a runs more than its share, so it moves back
    clusters = [ready('a'), ready('b', 600)];
    await at({ a: 4, b: 0 });
    assert.equal(saved.length, 3, 'restoring is a move: a runs two more than its share');
    assert.deepEqual(JSON.parse(saved[2]!.targets), { a: 2, b: 2 });
    assert.deepEqual(JSON.parse(saved[2]!.failed_over), []);
    await at({ a: 4, b: 2 }); // replacements ready on b, a's extra not drained yet
    assert.equal(saved.length, 4);
    await at({ a: 2, b: 2 });
    assert.deepEqual(removed, ['p/e/s'], 'settled: removed from the view');
    await at({ a: 2, b: 2 });
    assert.equal(removed.length, 1, 'removed once');
  });
});

describe('fleet placement: what counts as a move', () => {
  const placed = (
    targets: Record<string, number>,
    extra: { failedOver?: string[]; unplaced?: number } = {},
  ) => ({
    targets,
    unplaced: extra.unplaced ?? 0,
    failedOver: extra.failedOver ?? [],
    notes: [],
  });
  it('a rolling update or scale-up on the same clusters is not; replicas beyond a share, a failover or unplaced ones are', () => {
    assert.equal(isMoving(placed({ a: 3 }), { a: 1 }), false, 'rolling update: the new release grows');
    assert.equal(isMoving(placed({ a: 2, b: 2 }), { a: 2, b: 1 }), false, 'scale-up');
    assert.equal(isMoving(placed({ a: 2, b: 2 }), { a: 3, b: 1 }), true, 'a holds one more than its share');
    assert.equal(isMoving(placed({ a: 4 }), { a: 4, b: 0 }), false);
    assert.equal(isMoving(placed({ a: 4 }, { failedOver: ['b'] }), { a: 4 }), true, 'b failed over');
    assert.equal(isMoving(placed({ a: 2 }, { unplaced: 2 }), { a: 2 }), true, 'no cluster takes two');
  });
});
