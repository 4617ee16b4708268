import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readMetric, rpsWindowSeconds } from './metric-reader';

/** A Prometheus that records the expressions it is asked and answers one series of `value`. */
function fakePrometheus(value: number) {
  const asked: string[] = [];
  return {
    asked,
    source: {
      prometheus: {
        query: (expr: string) => {
          asked.push(expr);
          return Promise.resolve({ ok: true as const, samples: [{ metric: {}, value }] });
        },
      },
    },
  };
}

const svc = { project: 'shop', env: 'test', name: 'web' };

describe('rps: the rate window follows the interval and the scrape interval', () => {
  it('is max(interval + scrape, 4 × scrape): 6 s at 5 s / 1 s, 40 s at the defaults (30 s / 10 s)', () => {
    assert.equal(rpsWindowSeconds(5, 1), 6);
    assert.equal(rpsWindowSeconds(30, 10), 40);
    assert.equal(rpsWindowSeconds(5, 10), 40);
    assert.equal(rpsWindowSeconds(120, 10), 130);
  });

  it('queries the service’s gateway counters over that window, summed, as a total', async () => {
    const prom = fakePrometheus(12.5);
    const r = await readMetric(prom.source, svc, { metric: 'rps', intervalSeconds: 5 }, [], 1);
    assert.deepEqual(prom.asked, [
      'sum(rate(berth_gateway_requests_total{project="shop",env="test",service="web"}[6s]))',
    ]);
    assert.equal(r.ok && r.kind === 'total' && r.total, 12.5);
  });
});
