/**
 * A pod's log through `pods/log` (container `app`), with `timestamps=true` so every line starts
 * with its RFC 3339 time. Kubernetes keeps one log per container with stdout and stderr merged
 * (the kubelet's CRI log records the stream, but `pods/log` does not pass it on), so every line is
 * reported as `stdout` — the one difference from Podman's logs, written in docs/kubernetes.md.
 */
import { createInterface } from 'node:readline';
import type { LogLine, LogOptions } from '@berth/engine-api';
import type { KubeClient } from './client';
import { appContainer } from './observation';

/** `since` as Berth passes it (RFC 3339 or unix seconds) → RFC 3339 for `sinceTime`. */
export function sinceTime(since: string | undefined): string | undefined {
  if (!since) return undefined;
  if (/^\d+(\.\d+)?$/.test(since)) return new Date(Number(since) * 1000).toISOString();
  const d = new Date(since);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Splits `<RFC 3339> <text>`; a line without a time gets the previous line's. */
export function parseLogLine(line: string, previousAt: string): LogLine {
  const sp = line.indexOf(' ');
  const head = sp > 0 ? line.slice(0, sp) : line;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(head)) {
    return { stream: 'stdout', at: head, text: sp > 0 ? line.slice(sp + 1) : '' };
  }
  return { stream: 'stdout', at: previousAt, text: line };
}

/** The lines of a pod's log; following ends when the pod's container ends or `signal` aborts. */
export async function* podLogs(
  client: KubeClient,
  namespace: string,
  pod: string,
  opts: LogOptions,
): AsyncIterable<LogLine> {
  const { signal } = opts;
  if (signal?.aborted) return;
  try {
    const res = await client.open(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
      {
        query: {
          container: appContainer,
          timestamps: true,
          follow: opts.follow ?? false,
          tailLines: opts.tail,
          sinceTime: sinceTime(opts.since),
        },
        signal,
        ctx: { verb: 'get', resource: 'pods/log', namespace, name: pod },
      },
    );
    let at = new Date().toISOString();
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        const parsed = parseLogLine(line, at);
        at = parsed.at;
        yield parsed;
      }
    } finally {
      res.destroy();
    }
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}
