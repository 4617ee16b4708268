import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AutoscaleDecision, AutoscaleState } from '@berth/shared';
import { eventually, type TestPlatform } from './helpers/platform';
import { startPacedGatewayLoad } from './helpers/gateway-load';
import type { TestMonitoring } from './helpers/monitoring';
import { startRpsStack, type RpsStack } from './helpers/rps-stack';

type Obj = Record<string, unknown>;

// target 4 rps per replica under 10 rps: ceil(10 / 4) = 3, and 10 / 4 = 2.5 is half-way between
// two counts, so Prometheus' estimate of the rate (a few percent off) still asks for 3
const target = 4;
const rate = 10;
const max = 4;
const intervalSeconds = 5;
const windowSeconds = 15;

/**
 * Autoscaling on rps end to end (docs/autoscaling.md, issue 15): a paced load generator on
 * 127.0.0.1 sends requests through the local gateway's Nginx, whose per-route counters a real
 * Prometheus scrapes; the autoscaler scales the service up within two intervals of Prometheus
 * seeing the rate, with no lost request, and back down only after the stabilisation window; with
 * Prometheus stopped it holds past the window, with one event saying why.
 * Times come from the decision log; nothing is slept on.
 */
describe('autoscaling on rps through the local gateway and a real Prometheus', () => {
  let stack: RpsStack;
  let mon: TestMonitoring;
  let p: TestPlatform;
  let listen = '';
  let host = '';
  let svc = '';

  before(async () => {
    stack = await startRpsStack('rps', intervalSeconds);
    ({ mon, p, listen, host, svc } = stack);
  });
  after(async () => {
    await stack?.close();
  });

  const decisions = async (since?: string) =>
    (
      await p.api.get<{ items: AutoscaleDecision[] }>(
        `${svc}/autoscale/decisions?limit=2000${since ? `&since=${encodeURIComponent(since)}` : ''}`,
      )
    ).body.items;
  const service = async () => (await p.api.get<Obj>(svc)).body;
  const t = (d: AutoscaleDecision, from: number) => `${((Date.parse(d.at) - from) / 1000).toFixed(1)} s`;

  it('scales 1 → ceil(rate / target) within two intervals under paced load, losing no request, and down after the window', async () => {
    const put = await p.api.put<AutoscaleState>(`${svc}/autoscale`, {
      autoscale: {
        min: 1,
        max,
        metric: 'rps',
        target,
        intervalSeconds,
        behavior: { scaleDown: { stabilizationWindowSeconds: windowSeconds } },
      },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    // idle: the rate is read (0), and 1 replica is kept
    const idle = await eventually(
      async () => (await decisions()).find((d) => d.metricValue !== null),
      'a decision on the idle rate',
      30_000,
    );
    assert.equal(idle.desiredReplicas, 1, JSON.stringify(idle));
    assert.ok(idle.metricValue! < 1, JSON.stringify(idle));

    const load = startPacedGatewayLoad(listen, host, rate);
    const loadAt = new Date(load.startedAt).toISOString();
    let stopped = false;
    try {
      // the first decision that saw the load, and the one that scaled to its final count
      const up = await eventually(
        async () => {
          const log = await decisions(loadAt);
          const top = log.filter((d) => d.outcome === 'scaled').at(-1);
          return top && top.desiredReplicas >= 3 ? log : null;
        },
        'a scale-up to 3 under load',
        90_000,
      );
      const seen = up.find((d) => (d.metricValue ?? 0) > 0)!;
      const top = up.filter((d) => d.outcome === 'scaled').at(-1)!;
      await eventually(
        async () => (await service()).readyReplicas === top.desiredReplicas,
        `${top.desiredReplicas} ready replicas`,
        120_000,
      );
      // two more decisions at the full count: the rate read after the scale-up still asks for it
      const held = await eventually(
        async () => {
          const later = (await decisions(top.at)).filter((d) => d.at > top.at);
          return later.length >= 2 ? later : null;
        },
        'two decisions after the scale-up',
        60_000,
      );
      const result = await load.stop();
      stopped = true;
      const readyAt = Date.now();
      console.log(
        `# load: ${result.sent} requests in ${result.seconds.toFixed(1)} s = ${result.achievedRps.toFixed(2)} rps ` +
          `(asked ${rate}); ok ${result.ok}, failed ${result.failed}`,
      );
      for (const d of up)
        console.log(`#   ${t(d, load.startedAt)} after load start: ${d.outcome} ${d.reason}`);
      console.log(
        `# Prometheus saw the load ${t(seen, load.startedAt)} after it started; ${top.desiredReplicas} replicas decided ` +
          `${((Date.parse(top.at) - Date.parse(seen.at)) / 1000).toFixed(1)} s later, ready ${((readyAt - load.startedAt) / 1000).toFixed(1)} s after the start`,
      );

      assert.equal(result.failed, 0, result.errors.slice(0, 5).join('\n'));
      assert.ok(Math.abs(result.achievedRps - rate) / rate < 0.05, `achieved ${result.achievedRps} rps`);
      // N from the measured rate, clamped by max; 1 → N is within the scale-up policies (up to 5)
      const expected = Math.min(max, Math.ceil(result.achievedRps / target));
      assert.equal(top.desiredReplicas, expected, JSON.stringify(top));
      assert.equal(top.rawRecommendation, Math.ceil(top.metricValue! / target), JSON.stringify(top));
      // within two intervals of the first decision that saw the load (a pass is due every
      // interval and the loop ticks each second: up to a second late per pass)
      assert.ok(
        Date.parse(top.at) - Date.parse(seen.at) <= 2 * intervalSeconds * 1000 + 2000,
        `${seen.at} → ${top.at}`,
      );
      for (const d of held) {
        assert.equal(d.desiredReplicas, expected, JSON.stringify(d));
        assert.notEqual(d.outcome, 'held', JSON.stringify(d));
      }
    } finally {
      if (!stopped) await load.stop();
    }

    // no load: down to min, but only once no recommendation above the new count is in the window
    await eventually(async () => (await service()).replicas === 1, 'the scale-down to 1', 120_000);
    const log = await decisions(loadAt);
    const downs = log.filter((d) => d.outcome === 'scaled' && d.desiredReplicas < d.currentReplicas);
    assert.ok(downs.length >= 1);
    for (const down of downs) {
      const inWindow = log.filter(
        (d) =>
          d.rawRecommendation !== null &&
          Date.parse(d.at) > Date.parse(down.at) - windowSeconds * 1000 &&
          d.at <= down.at,
      );
      for (const d of inWindow) assert.ok(d.rawRecommendation! <= down.desiredReplicas, JSON.stringify(d));
    }
    const first = downs[0]!;
    const lastHigh = log
      .filter((d) => (d.rawRecommendation ?? 0) > first.desiredReplicas && d.at < first.at)
      .at(-1)!;
    console.log(
      `# last recommendation above ${first.desiredReplicas} at ${lastHigh.at}; scale ${first.currentReplicas} → ${first.desiredReplicas} at ${first.at}`,
    );
    assert.ok(lastHigh.rawRecommendation! > first.desiredReplicas);
    assert.ok(
      Date.parse(first.at) - Date.parse(lastHigh.at) >= windowSeconds * 1000,
      `${lastHigh.at} → ${first.at}`,
    );
    assert.equal(downs.at(-1)!.desiredReplicas, 1);
  });

  it('with Prometheus stopped after the load, holds at the count past the window, with one event saying why', async () => {
    const load = startPacedGatewayLoad(listen, host, rate);
    const loadAt = new Date(load.startedAt).toISOString();
    let result;
    try {
      await eventually(
        async () => (await decisions(loadAt)).some((d) => d.outcome === 'scaled' && d.desiredReplicas === 3),
        'the scale-up to 3 under load again',
        90_000,
      );
    } finally {
      result = await load.stop();
    }
    assert.equal(result.failed, 0, result.errors.slice(0, 5).join('\n'));
    // the load is gone and would let the service down to 1 after the window; Prometheus is not there to say so
    await mon.prometheus.stop();
    const stoppedAt = new Date().toISOString();
    const past = await eventually(
      async () => {
        const log = await decisions(stoppedAt);
        const last = log.at(-1);
        return last && Date.parse(last.at) - Date.parse(stoppedAt) > (windowSeconds + intervalSeconds) * 1000
          ? log
          : null;
      },
      'decisions past the stabilisation window',
      90_000,
    );
    console.log(
      `# Prometheus stopped: ${past.length} decisions in ${windowSeconds + intervalSeconds} s, none scaled`,
    );
    for (const d of past) {
      assert.equal(d.outcome, 'held', JSON.stringify(d));
      assert.equal(d.desiredReplicas, 3, JSON.stringify(d));
      assert.match(d.reason, /held at 3: Prometheus is unreachable/);
    }
    assert.equal((await service()).replicas, 3);
    const events = (await p.api.get<{ items: Obj[] }>(`${svc}/events`)).body.items;
    const held = events.filter((e) => e.type === 'AutoscaleHeld' && String(e.at) >= stoppedAt);
    assert.equal(held.length, 1, JSON.stringify(held));
    assert.match(String(held[0]!.message), /Prometheus is unreachable/);
  });
});
