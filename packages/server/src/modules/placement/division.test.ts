import { test } from 'node:test';
import assert from 'node:assert/strict';
import { divide, type CandidateCluster, type DivisionRequest, type PlacementSpec } from './division';

const up = (name: string, extra: Partial<CandidateCluster> = {}): CandidateCluster => ({
  name,
  cordoned: false,
  healthy: true,
  ...extra,
});
const three = [up('a'), up('b'), up('c')];
const w211: PlacementSpec = {
  clusters: [
    { name: 'a', weight: 2 },
    { name: 'b', weight: 1 },
    { name: 'c', weight: 1 },
  ],
  division: 'weighted',
};

/** The division as {cluster: replicas}, clusters with none left out. */
function counts(req: DivisionRequest): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of divide(req).items) if (i.replicas > 0) out[i.cluster] = i.replicas;
  return out;
}

test('weights 2:1:1 with 8 replicas give 4/2/2', () => {
  assert.deepEqual(counts({ clusters: three, placement: w211, replicas: 8 }), { a: 4, b: 2, c: 2 });
});

test('scaling 4/2/2 to 9 adds the one replica where Webster says and moves none of the 8', () => {
  const current = { a: 4, b: 2, c: 2 };
  const r = divide({ clusters: three, placement: w211, replicas: 9, current });
  // priorities: a 2/9 = 0.222, b 1/5 = 0.2, c 1/5 = 0.2 -> a
  assert.deepEqual(
    r.items.map((i) => [i.cluster, i.replicas, i.current]),
    [
      ['a', 5, 4],
      ['b', 2, 2],
      ['c', 2, 2],
    ],
  );
  // the stable answer equals the fresh one here, so the preview and a re-plan agree
  assert.deepEqual(counts({ clusters: three, placement: w211, replicas: 9, fresh: true }), {
    a: 5,
    b: 2,
    c: 2,
  });
  // one more: a 2/11 = 0.18 < b 0.2 -> b wins the b/c tie by name
  assert.deepEqual(
    counts({ clusters: three, placement: w211, replicas: 10, current: { a: 5, b: 2, c: 2 } }),
    {
      a: 5,
      b: 3,
      c: 2,
    },
  );
});

test('scale-up from an uneven layout spreads only the new replicas; existing ones never move', () => {
  // 6 run on b (a failover left them there); weights 2:1:1, scale to 10
  const current = { a: 0, b: 6, c: 0 };
  const r = counts({ clusters: three, placement: w211, replicas: 10, current });
  assert.equal(r.b, 6, 'the 6 on b stay');
  assert.equal((r.a ?? 0) + (r.c ?? 0), 4, 'the 4 new ones go to a and c');
  assert.ok((r.a ?? 0) >= (r.c ?? 0), 'a (weight 2) gets at least as many as c');
});

test('scale-down removes from the most over-represented cluster and reverses a scale-up', () => {
  assert.deepEqual(counts({ clusters: three, placement: w211, replicas: 8, current: { a: 5, b: 2, c: 2 } }), {
    a: 4,
    b: 2,
    c: 2,
  });
  // an uneven layout shrinks where it is over-represented first
  assert.deepEqual(counts({ clusters: three, placement: w211, replicas: 6, current: { a: 2, b: 5, c: 1 } }), {
    a: 2,
    b: 3,
    c: 1,
  });
  // up by k then down by k gives back the same division, for many starting points
  for (let n = 0; n <= 30; n++) {
    const base = counts({ clusters: three, placement: w211, replicas: n });
    for (let k = 1; k <= 7; k++) {
      const grown = counts({ clusters: three, placement: w211, replicas: n + k, current: base });
      assert.deepEqual(counts({ clusters: three, placement: w211, replicas: n, current: grown }), base);
    }
  }
  // also with minPerCluster above what the count allows
  const five = ['a', 'b', 'c', 'd', 'e'].map((n) => up(n));
  const mins: PlacementSpec = {
    clusters: five.map((c, i) => ({ name: c.name, weight: [4, 8, 2, 10, 6][i]! })),
    division: 'weighted',
    minPerCluster: 2,
  };
  for (let n = 1; n <= 20; n++) {
    const base = counts({ clusters: five, placement: mins, replicas: n });
    for (let k = 1; k <= 9; k++) {
      const grown = counts({ clusters: five, placement: mins, replicas: n + k, current: base });
      assert.deepEqual(
        counts({ clusters: five, placement: mins, replicas: n, current: grown }),
        base,
        `n=${n} k=${k}`,
      );
    }
  }
  // to zero
  assert.deepEqual(
    counts({ clusters: three, placement: w211, replicas: 0, current: { a: 4, b: 2, c: 2 } }),
    {},
  );
});

test('incremental scale-up one at a time matches the division from scratch', () => {
  let current: Record<string, number> = {};
  for (let n = 1; n <= 40; n++) {
    current = counts({ clusters: three, placement: w211, replicas: n, current });
    assert.deepEqual(
      current,
      counts({ clusters: three, placement: w211, replicas: n, fresh: true }),
      `n=${n}`,
    );
  }
});

test('ties are deterministic: fewer replicas first, then the seed hash, then the name', () => {
  const even: PlacementSpec = { clusters: 'all', division: 'weighted' };
  const four = [up('d'), up('b'), up('a'), up('c')];
  // without a seed, names decide: 2 replicas over 4 equal clusters go to a and b
  assert.deepEqual(counts({ clusters: four, placement: even, replicas: 2 }), { a: 1, b: 1 });
  // the order the clusters are listed in does not matter
  assert.deepEqual(counts({ clusters: [...four].reverse(), placement: even, replicas: 2 }), { a: 1, b: 1 });
  // weights 3:1 and 2 replicas: priorities tie (3/3 = 1/1); the cluster with fewer replicas wins
  const w31: PlacementSpec = {
    clusters: [
      { name: 'a', weight: 3 },
      { name: 'b', weight: 1 },
    ],
    division: 'weighted',
  };
  assert.deepEqual(counts({ clusters: three, placement: w31, replicas: 2 }), { a: 1, b: 1 });
  // with a seed the same service always gets the same answer, and services spread over equal clusters
  const a1 = counts({ clusters: four, placement: even, replicas: 1, seed: 'shop/prod/web' });
  assert.deepEqual(counts({ clusters: four, placement: even, replicas: 1, seed: 'shop/prod/web' }), a1);
  const used = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const one = counts({ clusters: four, placement: even, replicas: 1, seed: `shop/prod/svc-${i}` });
    used.add(Object.keys(one)[0]!);
  }
  assert.equal(used.size, 4, 'single-replica services of many names land on all four clusters');
});

test('capacity division follows free memory and never places more than fits', () => {
  const GiB = 1024 ** 3;
  const clusters = [
    up('a', { freeMemoryBytes: 6 * GiB }),
    up('b', { freeMemoryBytes: 3 * GiB }),
    up('c', { freeMemoryBytes: 1 * GiB }),
  ];
  const placement: PlacementSpec = { clusters: 'all', division: 'capacity' };
  // 10 replicas of 256 MiB: 6:3:1
  assert.deepEqual(counts({ clusters, placement, replicas: 10, memoryPerReplicaBytes: GiB / 4 }), {
    a: 6,
    b: 3,
    c: 1,
  });
  // 1 GiB each: 6 + 3 + 1 = 10 fit; 12 asked -> 10 placed, 2 unplaced, reasons say why
  const r = divide({ clusters, placement, replicas: 12, memoryPerReplicaBytes: GiB });
  assert.deepEqual(
    r.items.map((i) => [i.cluster, i.replicas]),
    [
      ['a', 6],
      ['b', 3],
      ['c', 1],
    ],
  );
  assert.equal(r.unplaced, 2);
  assert.match(r.items[2]!.reason ?? '', /no capacity/);
  // free memory counts only new replicas: the 2 running on c stay, the 3 new ones follow free memory
  const s = counts({ clusters, placement, replicas: 5, memoryPerReplicaBytes: GiB, current: { c: 2 } });
  assert.deepEqual(s, { a: 2, b: 1, c: 2 });
  // and c, with room for one more, never gets two
  const full = divide({ clusters, placement, replicas: 14, memoryPerReplicaBytes: GiB, current: { c: 2 } });
  assert.deepEqual(
    full.items.map((i) => [i.cluster, i.replicas]),
    [
      ['a', 6],
      ['b', 3],
      ['c', 3],
    ],
  );
  assert.equal(full.unplaced, 2);
  // a cluster whose free memory is unknown gets none
  const unknown = divide({
    clusters: [up('a', { freeMemoryBytes: GiB }), up('b')],
    placement,
    replicas: 2,
    memoryPerReplicaBytes: GiB / 4,
  });
  assert.deepEqual(
    unknown.items.map((i) => [i.cluster, i.replicas]),
    [
      ['a', 2],
      ['b', 0],
    ],
  );
  assert.match(unknown.items[1]!.reason ?? '', /not known/);
});

test('minPerCluster is honoured before the weights', () => {
  const placement: PlacementSpec = {
    clusters: [
      { name: 'a', weight: 10 },
      { name: 'b', weight: 1 },
      { name: 'c', weight: 1 },
    ],
    division: 'weighted',
    minPerCluster: 2,
  };
  const r = counts({ clusters: three, placement, replicas: 8 });
  assert.equal(r.b, 2);
  assert.equal(r.c, 2);
  assert.equal(r.a, 4);
  // without the minimum, weight 10:1:1 gives b and c at most one each
  const plain = counts({ clusters: three, placement: { ...placement, minPerCluster: 0 }, replicas: 8 });
  assert.ok((plain.b ?? 0) <= 1 && (plain.c ?? 0) <= 1, JSON.stringify(plain));
  // fewer replicas than minimums: one each first, then again
  assert.deepEqual(counts({ clusters: three, placement, replicas: 4 }), { a: 2, b: 1, c: 1 });
  // scale-down keeps clusters at their minimum while others are above it
  assert.deepEqual(counts({ clusters: three, placement, replicas: 6, current: { a: 4, b: 2, c: 2 } }), {
    a: 2,
    b: 2,
    c: 2,
  });
});

test('cordoned and unhealthy clusters get no new replicas, keep the ones they run, and lose them first', () => {
  const clusters = [up('a'), up('b', { cordoned: true }), up('c', { healthy: false })];
  const r = divide({ clusters, placement: w211, replicas: 8 });
  assert.deepEqual(
    r.items.map((i) => [i.cluster, i.replicas, i.reason]),
    [
      ['a', 8, null],
      ['b', 0, 'cordoned: gets no new replicas'],
      ['c', 0, 'unhealthy: gets no new replicas'],
    ],
  );
  // scale-up: the existing stay, the new all go to a
  assert.deepEqual(counts({ clusters, placement: w211, replicas: 10, current: { a: 4, b: 2, c: 2 } }), {
    a: 6,
    b: 2,
    c: 2,
  });
  // scale-down takes from the unhealthy cluster first, then the cordoned one
  assert.deepEqual(counts({ clusters, placement: w211, replicas: 5, current: { a: 4, b: 2, c: 2 } }), {
    a: 4,
    b: 1,
  });
  // nothing eligible: all unplaced
  const none = divide({
    clusters: [up('b', { cordoned: true })],
    placement: { clusters: 'all', division: 'weighted' },
    replicas: 3,
  });
  assert.equal(none.unplaced, 3);
  // draining clusters and clusters no longer in the environment give their replicas away
  const moved = divide({
    clusters: [up('a'), up('b', { draining: true })],
    placement: {
      clusters: [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 1 },
        { name: 'gone', weight: 1 },
      ],
      division: 'weighted',
    },
    replicas: 6,
    current: { a: 2, b: 2, gone: 2 },
  });
  assert.deepEqual(
    moved.items.map((i) => [i.cluster, i.replicas, i.current]),
    [
      ['a', 6, 2],
      ['b', 0, 2],
      ['gone', 0, 2],
    ],
  );
  assert.match(moved.items[2]!.reason ?? '', /not one of the environment's clusters/);
});

test('"all" divides over every cluster of the environment with weight 1', () => {
  const five = ['e', 'd', 'c', 'b', 'a'].map((n) => up(n));
  assert.deepEqual(
    counts({ clusters: five, placement: { clusters: 'all', division: 'weighted' }, replicas: 7 }),
    {
      a: 2,
      b: 2,
      c: 1,
      d: 1,
      e: 1,
    },
  );
});

test('duplicated gives every eligible cluster the full count', () => {
  const clusters = [up('a'), up('b'), up('c', { cordoned: true })];
  const r = divide({
    clusters,
    placement: { clusters: 'all', division: 'duplicated' },
    replicas: 3,
    current: { c: 1 },
  });
  assert.deepEqual(
    r.items.map((i) => [i.cluster, i.replicas]),
    [
      ['a', 3],
      ['b', 3],
      ['c', 1],
    ],
  );
  assert.equal(r.placed, 7);
  assert.equal(r.unplaced, 2);
});

test('a changed placement is computed from scratch', () => {
  const current = { a: 8 };
  const stable = counts({ clusters: three, placement: w211, replicas: 8, current });
  assert.deepEqual(stable, { a: 8 }, 'same count, stable: nothing moves');
  assert.deepEqual(counts({ clusters: three, placement: w211, replicas: 8, current, fresh: true }), {
    a: 4,
    b: 2,
    c: 2,
  });
  // replicas on a cluster that left the placement are removed first on scale-down
  assert.deepEqual(
    counts({
      clusters: three,
      placement: { clusters: [{ name: 'a', weight: 1 }], division: 'weighted' },
      replicas: 3,
      current: { a: 2, b: 2 },
    }),
    { a: 2, b: 1 },
  );
});
