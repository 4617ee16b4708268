import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatsSample } from '@berth/shared';
import { byContainer, perContainer, thin, totalRate } from './stats-series';

const sample = (at: number, container: string, rx: number, cpu = 1): StatsSample => ({
  at: new Date(at * 1000).toISOString(),
  container,
  cpuPercent: cpu,
  memoryBytes: 1000,
  memoryLimitBytes: 0,
  netRxBytes: rx,
  netTxBytes: 0,
  blockReadBytes: 0,
  blockWriteBytes: 0,
});

describe('stats series', () => {
  const samples = [sample(0, 'a', 0), sample(0, 'b', 0), sample(10, 'a', 1000), sample(10, 'b', 500, 3)];

  it('groups samples per container, one CPU line each', () => {
    const groups = byContainer(samples);
    assert.deepEqual([...groups.keys()], ['a', 'b']);
    assert.deepEqual(
      perContainer(groups, 'cpuPercent').map((s) => [s.name, s.points.map((p) => p[1])]),
      [
        ['a', [1, 1]],
        ['b', [1, 3]],
      ],
    );
  });

  it('sums the network rate of all containers per sampling time', () => {
    assert.deepEqual(totalRate(byContainer(samples), 'netRxBytes'), [[10_000, 150]]);
  });

  it('thins long series, keeping the newest point', () => {
    const points = Array.from({ length: 1000 }, (_, i) => [i, i] as const);
    const out = thin(points, 100);
    assert.ok(out.length <= 100);
    assert.deepEqual(out[out.length - 1], [999, 999]);
  });
});
