/**
 * Placement: dividing the replicas of 10,000 services over 20 clusters (mixed weights, divisions,
 * minPerCluster, replica counts 1–50; one cluster cordoned, one unhealthy), from scratch, then a
 * scale-up pass from those counts (existing replicas must not move) and a scale-down pass.
 * Pure computation (the function admission, the preview and the fleet controller share).
 * Prints Karmada's documented failover defaults beside it, the reference for the failover
 * benchmark that comes with the fleet controller.
 */
import { cpus, loadavg } from 'node:os';
import {
  divide,
  type CandidateCluster,
  type DivisionRequest,
  type PlacementSpec,
} from '../packages/server/src/modules/placement/division';

const services = Number(process.env.BENCH_SERVICES ?? 10_000);
const clusterCount = Number(process.env.BENCH_CLUSTERS ?? 20);
/** Budget per service placement, µs (a fleet controller pass over 10,000 services in 0.5 s). */
const budgetUs = Number(process.env.BENCH_PLACEMENT_BUDGET_US ?? 50);
const GiB = 1024 ** 3;

/** mulberry32: a small seeded PRNG, so every run places the same services. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(11);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

const clusters: CandidateCluster[] = Array.from({ length: clusterCount }, (_, i) => ({
  name: `dc${Math.floor(i / 5) + 1}-${String.fromCharCode(97 + (i % 5))}`,
  freeMemoryBytes: int(4, 256) * GiB,
  cordoned: i === 3,
  healthy: i !== 7,
}));

function somePlacement(): PlacementSpec {
  const roll = rand();
  const division = roll < 0.7 ? 'weighted' : roll < 0.9 ? 'capacity' : 'duplicated';
  const minPerCluster = rand() < 0.2 ? int(1, 2) : undefined;
  if (rand() < 0.15) return { clusters: 'all', division, minPerCluster };
  const n = division === 'duplicated' ? int(2, 3) : int(2, 8);
  const picked = [...clusters].sort(() => rand() - 0.5).slice(0, n);
  return {
    clusters: picked.map((c) => ({ name: c.name, weight: int(1, 10) })),
    division,
    minPerCluster,
  };
}

const requests: DivisionRequest[] = Array.from({ length: services }, (_, i) => ({
  clusters,
  placement: somePlacement(),
  replicas: int(1, 50),
  memoryPerReplicaBytes: int(1, 8) * 128 * 1024 * 1024,
  seed: `bench/prod/svc-${i}`,
}));

function countsOf(items: { cluster: string; replicas: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) if (i.replicas > 0) out[i.cluster] = i.replicas;
  return out;
}

function pass(label: string, reqs: DivisionRequest[]): Record<string, number>[] {
  // warm-up, so the JIT has compiled divide() before the clock starts
  for (let i = 0; i < Math.min(500, reqs.length); i++) divide(reqs[i]!);
  const out: Record<string, number>[] = new Array(reqs.length);
  const start = performance.now();
  let replicas = 0;
  for (let i = 0; i < reqs.length; i++) {
    const r = divide(reqs[i]!);
    out[i] = countsOf(r.items);
    replicas += r.placed;
  }
  const ms = performance.now() - start;
  const perUs = (ms * 1000) / reqs.length;
  console.log(
    `placement ${label.padEnd(28)} ${reqs.length} services over ${clusterCount} clusters (${replicas} replicas placed): ` +
      `${ms.toFixed(1)} ms total, ${perUs.toFixed(2)} µs/service, budget ${budgetUs} µs -> ${(budgetUs / perUs).toFixed(1)}x under budget` +
      (perUs > budgetUs ? '  OVER BUDGET' : ''),
  );
  return out;
}

console.log(
  `placement: ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (times grow with the load of the machine)`,
);
const first = pass('from scratch', requests);

// scale-up: 1–10 more replicas each, from where they run
const upReqs = requests.map((r, i) => ({ ...r, replicas: r.replicas + int(1, 10), current: first[i] }));
const grown = pass('scale-up (stable)', upReqs);
let moved = 0;
let lost = 0;
for (let i = 0; i < services; i++) {
  const before = first[i]!;
  const after = grown[i]!;
  for (const [c, n] of Object.entries(before)) if ((after[c] ?? 0) < n) moved++;
  if (requests[i]!.placement.division === 'duplicated') continue;
  const r = divide(upReqs[i]!);
  if (r.placed + r.unplaced !== upReqs[i]!.replicas) lost++;
}
console.log(
  `placement scale-up check: ${moved} existing replicas moved (must be 0), ${lost} services whose placed + unplaced is not the count (must be 0)`,
);

// scale-down back to the first counts: the division returns to the first one
const downReqs = requests.map((r, i) => ({ ...r, current: grown[i] }));
const shrunk = pass('scale-down (stable)', downReqs);
const differ: Record<string, number> = { weighted: 0, capacity: 0, duplicated: 0 };
for (let i = 0; i < services; i++)
  if (JSON.stringify(shrunk[i]) !== JSON.stringify(first[i])) differ[requests[i]!.placement.division]!++;
console.log(
  `placement scale-down check: services not back where they were before the scale-up: weighted ${differ.weighted} (must be 0), ` +
    `duplicated ${differ.duplicated} (must be 0), capacity ${differ.capacity} (not guaranteed: free memory weighs only the new replicas)`,
);

console.log(`
Karmada's documented failover defaults (karmada-io/karmada at f8fdd02, Aug 2026), the reference
for Berth's failover benchmark (Berth: failover on by default, grace 60 s per environment):
  feature gate Failover                          off (Beta)           pkg/features/features.go
  feature gate GracefulEviction                  on (Beta)
  --enable-no-execute-taint-eviction             false                cmd/controller-manager/app/options/cluster_failover.go
  --no-execute-taint-eviction-purge-mode         Gracefully
  --resource-eviction-rate                       0.5 resources/s
  ClusterTaintPolicy (taints from conditions)    none by default (v1.14+)
  --cluster-status-update-frequency              10 s (agent and controller-manager)
  --cluster-monitor-period                       5 s
  --cluster-monitor-grace-period                 40 s
  --cluster-startup-grace-period                 60 s
  --cluster-failure-threshold                    30 s
  --cluster-lease-duration (agent)               40 s
  --graceful-eviction-timeout                    10 min
  --failover-eviction-timeout                    5 min (v1.2–v1.14; removed in v1.15)`);
