import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoscaleSpecSchema } from '@berth/shared';
import { fieldFor, heldKey, initialValues, toSpec } from './autoscale-form';

describe('autoscaling form', () => {
  it('puts each API error path on its field; the rest go to the alert', () => {
    assert.equal(fieldFor('autoscale.min'), 'min');
    assert.equal(fieldFor('autoscale.max'), 'max');
    assert.equal(fieldFor('autoscale.target'), 'target');
    assert.equal(fieldFor('autoscale.metric'), 'metric');
    assert.equal(fieldFor('autoscale.metric.promql'), 'promql');
    assert.equal(fieldFor('autoscale.intervalSeconds'), 'interval');
    assert.equal(fieldFor('autoscale.behavior.scaleDown.stabilizationWindowSeconds'), 'window');
    assert.equal(fieldFor('autoscale.behavior.scaleUp.policies'), null);
    assert.equal(fieldFor('autoscale'), null);
  });

  it('makes a body the shared schema accepts, PromQL as {promql}, the window as behavior.scaleDown', () => {
    const promql = toSpec({
      ...initialValues(undefined, 1),
      metric: 'promql',
      promql: 'vector(3)',
      target: 1,
      window: 60,
    });
    assert.deepEqual(promql, {
      min: 1,
      max: 2,
      metric: { promql: 'vector(3)' },
      target: 1,
      intervalSeconds: 30,
      behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
    });
    assert.equal(autoscaleSpecSchema.safeParse(promql).success, true);
    const cpu = toSpec({ ...initialValues(undefined, 4), interval: null, window: null });
    assert.deepEqual(cpu, { min: 4, max: 8, metric: 'cpu', target: 70 });
  });

  it('fills the form from the current settings', () => {
    const v = initialValues(
      {
        autoscale: { min: 2, max: 5, metric: { promql: 'up' }, target: 9, intervalSeconds: 10 },
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 0, policies: [], selectPolicy: 'Max' },
          scaleDown: { stabilizationWindowSeconds: 120, policies: [], selectPolicy: 'Max' },
        },
        currentReplicas: 2,
        desiredReplicas: 2,
        held: null,
        lastDecision: null,
      },
      2,
    );
    assert.deepEqual(v, {
      min: 2,
      max: 5,
      metric: 'promql',
      promql: 'up',
      target: 9,
      interval: 10,
      window: 120,
    });
  });

  it("names a hold's cause in plain words from the autoscaler's reasons", () => {
    const cases: Array<[string, string]> = [
      [
        'held at 3: monitoring is off (BERTH_MONITORING=off): the autoscaler cannot read metrics',
        'as.held.off',
      ],
      ['held at 3: Prometheus is unreachable: connect ECONNREFUSED 127.0.0.1:9090', 'as.held.down'],
      ['held at 3: Prometheus did not answer in time: timeout after 5000 ms', 'as.held.down'],
      ['held at 2: Prometheus refused the query: parse error', 'as.held.query'],
      ['held at 2: the PromQL expression answered no value', 'as.held.noData'],
      [
        "held at 1: Prometheus has no cpu samples for the service's containers (is Berth's /metrics scraped?)",
        'as.held.noData',
      ],
      ['held at 1: the service has no containers to measure', 'as.held.noData'],
      ['the scale to 4 was refused: the project quota allows 3 replicas', 'as.held.quota'],
      ['something new', 'as.held.other'],
    ];
    for (const [reason, key] of cases) assert.equal(heldKey(reason), key, reason);
  });
});
