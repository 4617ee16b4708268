import type { StatsSample } from '@berth/shared';
import { rates, type Point } from '../../components/chart-math';

/** Samples grouped per container, oldest first (the API returns them in time order). */
export function byContainer(samples: readonly StatsSample[]): Map<string, StatsSample[]> {
  const out = new Map<string, StatsSample[]>();
  for (const s of samples) {
    const list = out.get(s.container) ?? [];
    list.push(s);
    out.set(s.container, list);
  }
  return out;
}

type Counter = 'netRxBytes' | 'netTxBytes' | 'blockReadBytes' | 'blockWriteBytes';

/** The per-second rate of a counter summed over all containers, at each sampling time. */
export function totalRate(groups: Map<string, StatsSample[]>, counter: Counter): Point[] {
  const sum = new Map<number, number>();
  for (const list of groups.values()) {
    for (const [t, v] of rates(list.map((s) => [Date.parse(s.at), s[counter]] as const))) {
      if (Number.isFinite(v)) sum.set(t, (sum.get(t) ?? 0) + v);
    }
  }
  return [...sum.entries()].sort((a, b) => a[0] - b[0]);
}

/** One gauge (CPU %, memory bytes) of each container, as chart series named by container. */
export function perContainer(
  groups: Map<string, StatsSample[]>,
  gauge: 'cpuPercent' | 'memoryBytes',
): Array<{ name: string; points: Point[] }> {
  return [...groups.entries()].map(([name, list]) => ({
    name,
    points: list.map((s) => [Date.parse(s.at), s[gauge]] as const),
  }));
}

/** At most `max` points, keeping the newest: charts of hours of samples stay light to draw. */
export function thin(points: readonly Point[], max = 360): Point[] {
  if (points.length <= max) return [...points];
  const step = Math.ceil(points.length / max);
  const out: Point[] = [];
  for (let i = points.length - 1; i >= 0; i -= step) out.push(points[i]!);
  return out.reverse();
}
