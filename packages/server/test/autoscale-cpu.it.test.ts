import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AutoscaleDecision, AutoscaleState } from '@berth/shared';
import { metricsToken } from '../src/modules/containers/metrics';
import {
  eventually,
  makeProject,
  startPlatform,
  testImage,
  waitTask,
  type TestPlatform,
} from './helpers/platform';
import { startMonitoring, type TestMonitoring } from './helpers/monitoring';

/**
 * Autoscaling on the cpu metric end to end (docs/autoscaling.md): a CPU-burning container's usage
 * goes from the engine's stats through Berth's /metrics, scraped by a real Prometheus, to the
 * autoscaler, which scales the service up. Waited for, never slept on.
 */
describe('autoscaling on cpu scraped from Berth by a real Prometheus', () => {
  let mon: TestMonitoring;
  let p: TestPlatform;
  let monDir = '';
  let svc = '';

  before(async () => {
    monDir = mkdtempSync(path.join(tmpdir(), 'berth-autoscale-cpu-'));
    mon = await startMonitoring({ dir: monDir });
    p = await startPlatform({ BERTH_GATEWAY_LISTEN: 'off' }, { monitoring: mon.module });
    await mon.connectBerth(p.url, metricsToken(p.dataDir, null));
    svc = `${await makeProject(p.api, 'cpu')}/burn`;
    const created = await p.api.post<{ task: { id: string } }>(`/api/v1/projects/cpu/envs/test/services`, {
      name: 'burn',
      spec: {
        image: testImage,
        command: ['sh', '-c', 'while :; do :; done'],
        // a tenth of a core: the burner uses all of it even with both cores busy
        resources: { cpu: 0.1 },
        replicas: 1,
        rollout: { stopGraceSeconds: 1, progressDeadlineSeconds: 300 },
      },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal((await waitTask(p.api, created.body.task.id)).state, 'succeeded');
  });
  after(async () => {
    await p?.close();
    await mon?.stop();
    if (monDir) rmSync(monDir, { recursive: true, force: true });
  });

  const decisions = async () =>
    (await p.api.get<{ items: AutoscaleDecision[] }>(`${svc}/autoscale/decisions?limit=2000`)).body.items;

  it('scales a CPU burner up on its percent of the CPU limit, from per-container values', async () => {
    // Prometheus has the burner's CPU and its limit from Berth's /metrics before autoscaling starts
    await eventually(
      async () => {
        const r = await mon.module.prometheus.query(
          'berth_container_cpu_percent{project="cpu",service="burn"} / on(container) berth_container_cpu_limit_cores{project="cpu",service="burn"}',
        );
        return r.ok && r.samples.some((s) => s.value > 50);
      },
      'the burner over half its CPU limit in Prometheus',
      60_000,
    );

    const put = await p.api.put<AutoscaleState>(`${svc}/autoscale`, {
      autoscale: { min: 1, max: 3, metric: 'cpu', target: 25, intervalSeconds: 5 },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));

    const up = await eventually(
      async () => (await decisions()).find((d) => d.outcome === 'scaled'),
      'a scale-up decision on cpu',
      60_000,
    );
    assert.equal(up.currentReplicas, 1);
    // ceil(value / 25) replicas, bounded by max (3); the scale-up policies allow 1 → 5 at once
    assert.ok(up.rawRecommendation! >= 2, JSON.stringify(up));
    assert.equal(up.desiredReplicas, Math.min(3, up.rawRecommendation!), JSON.stringify(up));
    // the value is the burner's percent of its limit, read per container
    assert.equal(up.inputs.containers.length, 1);
    const [burner] = up.inputs.containers;
    assert.match(burner!.name, /^cpu-test-burn-/);
    assert.ok(burner!.value !== null && burner!.value > 25 * 1.1, JSON.stringify(up.inputs));
    assert.equal(up.metricValue, burner!.value);
    assert.match(up.formula, new RegExp(`^ceil\\(1 × [0-9.]+ / 25\\) = ${up.rawRecommendation}$`));
    assert.match(up.reason, new RegExp(`vs target 25; .*scale 1 → ${up.desiredReplicas}$`));

    await eventually(
      async () => (await p.api.get<{ replicas: number }>(svc)).body.replicas >= 2,
      'the service scaled to 2 or more',
      30_000,
    );
    // every replica burns: the autoscaler never takes the count back down while they do
    const later = await eventually(
      async () => {
        const after = (await decisions()).filter((d) => d.at > up.at && d.outcome !== 'held');
        return after.length >= 2 ? after : null;
      },
      'two more decisions',
      60_000,
    );
    for (const d of later) assert.ok(d.desiredReplicas >= up.desiredReplicas, JSON.stringify(d));
  });
});
