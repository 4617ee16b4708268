/**
 * Failover of a dead cluster and the move back, on two Podman clusters of the test fleet, with
 * Berth's default settings (health check every 10 s, grace 60 s, stability window 120 s, rate
 * 1/s after a burst of 10). A number of services run 2 replicas weighted 1:1; the second cluster is
 * killed like a dead host (SIGKILL to its engine and containers) while load runs through Nginx to
 * one of them. Prints, per phase: detection, all replicas ready on the survivor, the return to
 * 1:1 after the cluster comes back, and the requests lost through the gateway; beside the earliest
 * Karmada could do with its failover switched on (it is off by default and never moves back).
 *
 * BENCH_FAILOVER_SERVICES (default 12), BENCH_FAILOVER_GRACE (default 60).
 */
import { PodmanEngine } from '@berth/engine-podman';
import { startCluster, stopCluster } from '../packages/server/test/helpers/clusters';
import { startGatewayLoad, viaGateway } from '../packages/server/test/helpers/gateway-load';
import { startGatewayPlatform } from '../packages/server/test/helpers/gateway-platform';
import {
  eventually,
  makeProject,
  removeInstanceContainers,
  waitTask,
  webSpec,
} from '../packages/server/test/helpers/platform';

const services = Number(process.env.BENCH_FAILOVER_SERVICES ?? 12);
const grace = Number(process.env.BENCH_FAILOVER_GRACE ?? 60);
/** Karmada (f8fdd02) with the Failover gate on: monitor grace 40 s, then the failure threshold 30 s. */
const karmadaTaintS = 40 + 30;
/** …then evictions at --resource-eviction-rate 0.5/s. */
const karmadaEvictPerS = 0.5;

const a = await startCluster('c10');
const b = await startCluster('c11');
const p = await startGatewayPlatform({ BERTH_LOG_LEVEL: 'silent' });
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
try {
  for (const c of [a, b]) {
    const r = await p.api.post('/api/v1/clusters', { name: c.name, kind: 'podman', endpoint: c.endpoint });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  }
  const env = await p.api.call('PATCH', '/api/v1/envs/test', {
    clusters: [a.name, b.name],
    failover: { graceSeconds: grace },
  });
  if (env.status !== 200) throw new Error(JSON.stringify(env.body));
  const base = await makeProject(p.api, 'bench');
  const placement = {
    clusters: [
      { name: a.name, weight: 1 },
      { name: b.name, weight: 1 },
    ],
    division: 'weighted',
  };
  const tasks: string[] = [];
  for (let i = 0; i < services; i += 1) {
    const r = await p.api.post<{ task: { id: string } }>(base, {
      name: `s${i}`,
      spec: webSpec(`v${i}`, 2, { placement }),
    });
    if (r.status !== 202) throw new Error(JSON.stringify(r.body));
    tasks.push(r.body.task.id);
  }
  for (const t of tasks) await waitTask(p.api, t);

  /** Ready replicas per cluster over every service. */
  const perCluster = async () => {
    const out: Record<string, number> = {};
    for (let i = 0; i < services; i += 1) {
      const c = await p.api.get<{ items: { cluster: string; state: string }[] }>(`${base}/s${i}/containers`);
      for (const x of c.body.items) if (x.state === 'ready') out[x.cluster] = (out[x.cluster] ?? 0) + 1;
    }
    return out;
  };
  const state = async (name: string) =>
    (await p.api.get<{ state: string }>(`/api/v1/clusters/${name}`)).body.state;

  const host = 's0.bench.test.localhost';
  await eventually(async () => (await viaGateway(p.listen, host)).body === 'v0', 'served through Nginx');
  const load = startGatewayLoad(p.listen, host);
  const t0 = performance.now();
  await stopCluster(b.name);
  await eventually(async () => (await state(b.name)) === 'unreachable', 'unreachable', 120_000, 100);
  const detected = performance.now() - t0;
  await eventually(
    async () => (await perCluster())[a.name] === services * 2,
    'all on the survivor',
    600_000,
    500,
  );
  const failedOver = performance.now() - t0;
  const during = await load.stop();

  const load2 = startGatewayLoad(p.listen, host);
  const t1 = performance.now();
  await startCluster(b.name);
  await eventually(async () => (await state(b.name)) === 'ready', 'ready', 120_000, 100);
  const back = performance.now() - t1;
  await eventually(
    async () => {
      const n = await perCluster();
      return n[a.name] === services && n[b.name] === services;
    },
    'back to 1:1',
    900_000,
    500,
  );
  const restored = performance.now() - t1;
  const after = await load2.stop();

  const karmada = karmadaTaintS + services / karmadaEvictPerS;
  console.log(`failover of ${services} services × 2 replicas (grace ${grace} s, checks every 10 s):`);
  console.log(`  dead cluster detected (unreachable): ${s(detected)}`);
  console.log(
    `  all ${services * 2} replicas ready on ${a.name}: ${s(failedOver)} after the death; Karmada with Failover on, earliest: ${karmada.toFixed(0)} s (off by default: never); ratio ${(failedOver / 1000 / karmada).toFixed(2)}`,
  );
  // grace excluded: Berth's grace counts from the detected state change; Karmada's 40 s monitor
  // grace + 30 s failure threshold play the same part
  const berthNet = failedOver / 1000 - grace;
  const karmadaNet = services / karmadaEvictPerS;
  console.log(
    `  grace excluded: Berth ${berthNet.toFixed(1)} s (detection ${s(detected)} + moves at ${process.env.BERTH_FAILOVER_RATE ?? 1}/s after a burst of ${process.env.BERTH_FAILOVER_BURST ?? 10}); Karmada ≥ ${karmadaNet.toFixed(0)} s (evictions at ${karmadaEvictPerS}/s, pods not yet started); ratio ${(berthNet / karmadaNet).toFixed(2)}`,
  );
  console.log(
    `  requests through Nginx to s0 meanwhile: ${during.ok + during.failed}, lost ${during.failed}${during.failed ? ` (${during.errors.slice(0, 3).join('; ')})` : ''}`,
  );
  console.log(
    `  recovered cluster ready: ${s(back)}; back to 1:1 (stability window 120 s): ${s(restored)}; Karmada: never`,
  );
  console.log(`  requests during the move back: ${after.ok + after.failed}, lost ${after.failed}`);
} finally {
  await startCluster('c11').catch(() => undefined);
  await p.close();
  for (const c of [a, b])
    await removeInstanceContainers(new PodmanEngine({ socketPath: c.socketPath }), p.instanceId).catch(
      () => undefined,
    );
}
