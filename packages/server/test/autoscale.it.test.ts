import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AutoscaleDecision, AutoscaleState } from '@berth/shared';
import {
  eventually,
  makeProject,
  startPlatform,
  testImage,
  userWithRole,
  type TestPlatform,
} from './helpers/platform';
import { startMonitoring, type TestMonitoring } from './helpers/monitoring';

type Obj = Record<string, unknown>;

/**
 * Autoscaling on a real Prometheus and Podman (docs/autoscaling.md). The metric is a PromQL
 * `vector(N)`, so the numbers are exact; the decisions are waited for, never slept on.
 */
describe('autoscaling on a real Prometheus', () => {
  let mon: TestMonitoring;
  let p: TestPlatform;
  let base: string;
  let svc: string;

  before(async () => {
    mon = await startMonitoring({ dir: mkdtempSync(path.join(tmpdir(), 'berth-autoscale-')) });
    p = await startPlatform({}, { monitoring: mon.module });
    base = await makeProject(p.api, 'scale');
    await makeProject(p.api, 'other');
    svc = `${base}/api`;
    const r = await p.api.post(base, {
      name: 'api',
      spec: { image: testImage, command: ['sleep', '3600'], replicas: 1 },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  });
  after(async () => {
    await p?.close();
    await mon?.stop();
  });

  const decisions = async (since?: string) =>
    (
      await p.api.get<{ items: AutoscaleDecision[] }>(
        `${svc}/autoscale/decisions${since ? `?since=${encodeURIComponent(since)}` : ''}`,
      )
    ).body.items;
  const replicas = async () => (await p.api.get<Obj>(svc)).body.replicas as number;
  const setMetric = async (expr: string, extra: Obj = {}) => {
    const r = await p.api.put<AutoscaleState>(`${svc}/autoscale`, {
      autoscale: {
        min: 1,
        max: 4,
        metric: { promql: expr },
        target: 100,
        intervalSeconds: 5,
        behavior: { scaleDown: { stabilizationWindowSeconds: 12 } },
        ...extra,
      },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };

  it('refuses bad settings at the field, and PromQL from a developer, changing nothing', async () => {
    const bad = await p.api.put<Obj>(`${svc}/autoscale`, {
      autoscale: { min: 5, max: 2, metric: 'cpu', target: 70 },
    });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /autoscale\.min.*must be at most max \(2\)/);
    const dev = await userWithRole(p, 'dev', 'developer', 'scale');
    const promql = await dev.put<Obj>(`${svc}/autoscale`, {
      autoscale: { min: 1, max: 3, metric: { promql: 'vector(1)' }, target: 1 },
    });
    assert.equal(promql.status, 403, JSON.stringify(promql.body));
    assert.match(JSON.stringify(promql.body), /Only platform admins may autoscale on a PromQL expression/);
    // a developer of another project cannot see the service's autoscaling at all
    const stranger = await userWithRole(p, 'stranger', 'developer', 'other');
    assert.equal((await stranger.get(`${svc}/autoscale`)).status, 404);
    assert.equal((await stranger.get(`${svc}/autoscale/decisions`)).status, 404);
    const put = await stranger.put(`${svc}/autoscale`, {
      autoscale: { min: 1, max: 2, metric: 'cpu', target: 50 },
    });
    assert.equal(put.status, 404);
    const state = await p.api.get<AutoscaleState>(`${svc}/autoscale`);
    assert.equal(state.body.autoscale, null);
  });

  it('scales up at once when the metric is over the target: ceil(300 / 100) = 3, through the scale path', async () => {
    await setMetric('vector(300)');
    const up = await eventually(
      async () => (await decisions()).find((d) => d.outcome === 'scaled' && d.desiredReplicas === 3),
      'a scale-up decision',
      30_000,
    );
    assert.equal(up.currentReplicas, 1);
    assert.equal(up.rawRecommendation, 3);
    assert.equal(up.metricValue, 300);
    assert.match(up.formula, /ceil\(300 \/ 100\) = 3/);
    assert.equal(await replicas(), 3);
    const events = await p.api.get<{ items: Obj[] }>(`${svc}/events`);
    assert.ok(
      events.body.items.some((e) => e.type === 'Scale' && /by autoscaler/.test(String(e.message))),
      JSON.stringify(events.body.items),
    );
  });

  it('scales down only after the stabilisation window', async () => {
    const changed = new Date().toISOString();
    await setMetric('vector(50)');
    const down = await eventually(
      async () => (await decisions(changed)).find((d) => d.outcome === 'scaled' && d.desiredReplicas === 1),
      'a scale-down decision',
      60_000,
    );
    const log = await decisions(changed);
    const before = log.filter((d) => d.at < down.at && d.rawRecommendation !== null);
    assert.ok(before.length >= 1, 'decisions held the count within the window');
    for (const d of before) {
      assert.equal(d.rawRecommendation, 1);
      assert.equal(d.stabilizedRecommendation, 3, JSON.stringify(d));
      assert.equal(d.desiredReplicas, 3);
    }
    // the last recommendation of 3 was at or before the change; the scale-down came a window later
    const all = await decisions();
    const lastThree = all.filter((d) => d.rawRecommendation === 3).at(-1)!;
    assert.ok(Date.parse(down.at) - Date.parse(lastThree.at) >= 12_000, `${lastThree.at} → ${down.at}`);
    assert.equal(await replicas(), 1);
  });

  it('holds with one event when Prometheus is stopped: nothing scales down', async () => {
    await setMetric('vector(300)');
    await eventually(async () => (await replicas()) === 3, 'scaled back up to 3', 30_000);
    // the metric would now ask for 1; with Prometheus down the autoscaler must hold at 3
    await setMetric('vector(0)');
    await mon.prometheus.stop();
    const stoppedAt = new Date().toISOString();
    const held = await eventually(
      async () => {
        const h = (await decisions(stoppedAt)).filter((d) => d.outcome === 'held');
        return h.length >= 2 ? h : null;
      },
      'two held decisions',
      30_000,
    );
    for (const d of held) {
      assert.equal(d.desiredReplicas, 3);
      assert.match(d.reason, /Prometheus is unreachable/);
    }
    assert.ok((await decisions(stoppedAt)).every((d) => d.outcome !== 'scaled'));
    assert.equal(await replicas(), 3);
    const events = await p.api.get<{ items: Obj[] }>(`${svc}/events`);
    const heldEvents = events.body.items.filter((e) => e.type === 'AutoscaleHeld');
    assert.equal(heldEvents.length, 1, JSON.stringify(heldEvents));
    assert.match(String(heldEvents[0]!.message), /Prometheus is unreachable/);
    const state = await p.api.get<AutoscaleState>(`${svc}/autoscale`);
    assert.match(String(state.body.held), /Prometheus is unreachable/);
  });
});
