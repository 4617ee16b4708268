import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, formatPercent, linePath, linear, niceCeil, rates } from './chart-math';

describe('chart math', () => {
  it('rounds an axis up to a nice number', () => {
    assert.equal(niceCeil(0), 1);
    assert.equal(niceCeil(0.3), 0.5);
    assert.equal(niceCeil(7), 10);
    assert.equal(niceCeil(21), 25);
    assert.equal(niceCeil(1900), 2000);
  });

  it('draws a path with gaps where a value is missing', () => {
    const x = linear(0, 10, 0, 100);
    const y = linear(0, 1, 50, 0);
    assert.equal(
      linePath(
        [
          [0, 0],
          [5, 1],
          [6, Number.NaN],
          [10, 0.5],
        ],
        x,
        y,
      ),
      'M0.0,50.0L50.0,0.0M100.0,25.0',
    );
  });

  it('turns byte counters into per-second rates; a counter reset leaves a gap', () => {
    const r = rates([
      [0, 100],
      [2000, 300],
      [4000, 50],
      [6000, 150],
    ]);
    assert.deepEqual(
      r.map(([t]) => t),
      [2000, 4000, 6000],
    );
    assert.equal(r[0]![1], 100);
    assert.ok(Number.isNaN(r[1]![1]));
    assert.equal(r[2]![1], 50);
  });

  it('formats bytes and percentages for people', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(64 * 1024 * 1024), '64.0 MiB');
    assert.equal(formatPercent(3.14159), '3.1%');
    assert.equal(formatPercent(42.4), '42%');
  });
});
