/** Pure helpers of the SVG charts: scales, ticks, paths and number formats. */

export type Point = readonly [x: number, y: number];

/** The smallest "nice" number (1, 2, 2.5, 5 × 10^n) at or above `v`; 1 for nothing to show. */
export function niceCeil(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const exp = Math.pow(10, Math.floor(Math.log10(v)));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * exp >= v) return step * exp;
  return 10 * exp;
}

/** A linear map from [d0, d1] to [r0, r1]; a zero-width domain maps to the middle. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  return (v) => (span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0));
}

/** An SVG path through the points; a gap (NaN y) starts a new segment. */
export function linePath(
  points: readonly Point[],
  x: (v: number) => number,
  y: (v: number) => number,
): string {
  let d = '';
  let pen = false;
  for (const [px, py] of points) {
    if (!Number.isFinite(py)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(px).toFixed(1)},${y(py).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** `n` evenly spaced values from `from` to `to`, both included. */
export function ticks(from: number, to: number, n: number): number[] {
  if (n < 2) return [from];
  return Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
}

const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  let v = Math.abs(n);
  let unit = 0;
  while (v >= 1024 && unit < byteUnits.length - 1) {
    v /= 1024;
    unit += 1;
  }
  const digits = v >= 100 || unit === 0 ? 0 : v >= 10 ? 1 : 2;
  return `${n < 0 ? '-' : ''}${v.toFixed(digits)} ${byteUnits[unit]}`;
}

export const formatRate = (n: number) => `${formatBytes(n)}/s`;

export function formatPercent(n: number): string {
  return `${n >= 10 ? n.toFixed(0) : n.toFixed(1)}%`;
}

/**
 * Per-second rates of a cumulative counter (network or disk bytes). A counter that went down
 * (the container restarted) has no rate at that point.
 */
export function rates(points: readonly Point[]): Point[] {
  const out: Point[] = [];
  for (let i = 1; i < points.length; i += 1) {
    const [t0, v0] = points[i - 1]!;
    const [t1, v1] = points[i]!;
    const dt = (t1 - t0) / 1000;
    if (dt > 0) out.push([t1, v1 >= v0 ? (v1 - v0) / dt : Number.NaN]);
  }
  return out;
}
