/**
 * Autoscaling on rps under a real load generator (issue 15; docs/autoscaling.md): a paced load on
 * 127.0.0.1 through the local gateway's Nginx, counted by its metrics listener, scraped by a real
 * Prometheus every second. Per round, from the load's start: the first decision that saw it, the
 * decision that scaled 1 → N, and N replicas ready; judged against "1 → N within two intervals"
 * of Prometheus seeing the load. Between rounds the load stops and the service goes back to 1
 * after the stabilisation window.
 *
 *   node --import tsx bench/autoscale.bench.ts
 *   BENCH_AS_RATE=10 BENCH_AS_TARGET=4 BENCH_AS_INTERVAL=5 BENCH_AS_WINDOW=10 BENCH_AS_ROUNDS=3
 */
import { loadavg } from 'node:os';
import type { AutoscaleDecision } from '@berth/shared';
import { startPacedGatewayLoad } from '../packages/server/test/helpers/gateway-load';
import { startRpsStack } from '../packages/server/test/helpers/rps-stack';

const rate = Number(process.env.BENCH_AS_RATE ?? 10);
const target = Number(process.env.BENCH_AS_TARGET ?? 4);
const intervalSeconds = Number(process.env.BENCH_AS_INTERVAL ?? 5);
const windowSeconds = Number(process.env.BENCH_AS_WINDOW ?? 10);
const rounds = Number(process.env.BENCH_AS_ROUNDS ?? 3);
const max = 10;
const n = Math.min(max, Math.ceil(rate / target));

/** Polls every 100 ms until `check` answers a value. */
async function until<T>(what: string, check: () => Promise<T | null | undefined>, ms = 180_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`autoscale bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const [l1, l5] = loadavg();
  console.log(
    `autoscale bench: ${new Date().toISOString()}, load ${l1!.toFixed(2)} ${l5!.toFixed(2)}; ${rate} rps, target ${target} per replica (N = ${n}), interval ${intervalSeconds} s, scale-down window ${windowSeconds} s; ${rounds} rounds`,
  );
  const stack = await startRpsStack('bench', intervalSeconds);
  const { p, svc } = stack;
  const decisions = async (since: string) =>
    (
      await p.api.get<{ items: AutoscaleDecision[] }>(
        `${svc}/autoscale/decisions?limit=2000&since=${encodeURIComponent(since)}`,
      )
    ).body.items;
  const service = async () => (await p.api.get<{ replicas: number; readyReplicas: number }>(svc)).body;
  try {
    const put = await p.api.put(`${svc}/autoscale`, {
      autoscale: {
        min: 1,
        max,
        metric: 'rps',
        target,
        intervalSeconds,
        behavior: { scaleDown: { stabilizationWindowSeconds: windowSeconds } },
      },
    });
    if (put.status !== 200) throw new Error(`autoscale: ${put.status} ${JSON.stringify(put.body)}`);
    const results: Array<{ seen: number; decided: number; ready: number }> = [];
    for (let i = 0; i < rounds; i += 1) {
      const idleSince = new Date().toISOString();
      await until('an idle decision at 1 replica', async () => {
        const s = await service();
        const idle = (await decisions(idleSince)).some((d) => d.metricValue !== null && d.metricValue < 1);
        return s.replicas === 1 && s.readyReplicas === 1 && idle ? true : null;
      });
      const load = startPacedGatewayLoad(stack.listen, stack.host, rate);
      const from = new Date(load.startedAt).toISOString();
      let readyAt = 0;
      try {
        await until(`${n} ready replicas`, async () => ((await service()).readyReplicas >= n ? true : null));
        readyAt = Date.now();
      } finally {
        const r = await load.stop();
        console.log(
          `  round ${i + 1}: load ${r.achievedRps.toFixed(2)} rps over ${r.seconds.toFixed(1)} s, ${r.ok} ok, ${r.failed} failed${r.failed ? ` (${r.errors.slice(0, 3).join('; ')})` : ''}`,
        );
      }
      const log = await decisions(from);
      const seen = log.find((d) => (d.metricValue ?? 0) > 0);
      const decided = log.find((d) => d.outcome === 'scaled' && d.desiredReplicas >= n);
      if (!seen || !decided)
        throw new Error(`round ${i + 1}: no decision saw the load: ${JSON.stringify(log)}`);
      const at = (d: AutoscaleDecision) => Date.parse(d.at) - load.startedAt;
      results.push({ seen: at(seen), decided: at(decided), ready: readyAt - load.startedAt });
      console.log(
        `  round ${i + 1}: from the load's start: seen ${at(seen)} ms, 1 → ${decided.desiredReplicas} decided ${at(decided)} ms (${at(decided) - at(seen)} ms after seen; bound ${2 * intervalSeconds * 1000} ms), ${n} ready ${readyAt - load.startedAt} ms`,
      );
    }
    const afterSeen = results.map((r) => r.decided - r.seen);
    const worst = Math.max(...afterSeen);
    console.log(
      `rps scale-up 1 → ${n}: load start → ${n} ready median ${median(results.map((r) => r.ready))} ms, worst ${Math.max(...results.map((r) => r.ready))} ms; decided after Prometheus saw the load: median ${median(afterSeen)} ms, worst ${worst} ms — bound two intervals = ${2 * intervalSeconds * 1000} ms (${worst <= 2 * intervalSeconds * 1000 ? 'meets' : 'MISSES'})`,
    );
  } finally {
    await stack.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
