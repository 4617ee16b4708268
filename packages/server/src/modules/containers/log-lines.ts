import type { LogLine } from '@berth/engine-api';

/** A log line of a service-level read: which container wrote it. */
export type TaggedLogLine = LogLine & { container: string };

/** Hard limits of one log read (api: `tail` default 200, at most 10000). */
export const defaultTail = 200;
export const maxTail = 10_000;

/** Collects a finite log read, keeping at most the last `max` lines in case the engine sends more. */
export async function collectLines(lines: AsyncIterable<LogLine>, max = maxTail): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const line of lines) {
    out.push(line);
    if (out.length >= 2 * max) out.splice(0, out.length - max);
  }
  return out.length > max ? out.slice(-max) : out;
}

/**
 * Orders lines by their engine timestamps. Date.parse keeps milliseconds only, so the
 * sub-millisecond digits of RFC 3339 nano timestamps break ties; equal times keep input order.
 */
export function byTime<T extends LogLine>(lines: T[]): T[] {
  const key = (at: string): [number, string] => {
    const frac = /\.(\d+)/.exec(at)?.[1] ?? '';
    return [Date.parse(at) || 0, frac.slice(3).padEnd(6, '0')];
  };
  return lines
    .map((line, i) => ({ line, i, k: key(line.at) }))
    .sort((a, b) => a.k[0] - b.k[0] || (a.k[1] < b.k[1] ? -1 : a.k[1] > b.k[1] ? 1 : a.i - b.i))
    .map((x) => x.line);
}

/** The text of a log download: one `<time> <stream> [<container>] <text>` line per log line. */
export function formatLines(lines: Array<LogLine & { container?: string }>): string {
  return lines
    .map(
      (l) => `${l.at} ${l.stream}${l.container ? ` ${l.container}` : ''} ${l.text.replace(/\r?\n$/, '')}\n`,
    )
    .join('');
}

/** Headers that make a browser save the log as a file. The name is a validated container or service name. */
export function downloadHeaders(name: string): Record<string, string> {
  return {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Disposition': `attachment; filename="${name}.log"`,
  };
}
