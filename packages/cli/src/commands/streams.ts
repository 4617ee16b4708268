import type { ServiceEvent } from '@berth/shared';
import { containerPath, servicePath, type ApiClient } from '../api-client';
import { parseInteger } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, UsageError } from '../errors';
import { formatTime, sanitize, type Column } from '../output';
import type { SseEvent } from '../sse';
import { limitOf, limitOption } from './common';
import { clusterOf, clusterOption } from './containers';

/** A log line as the API sends it; service-level reads name the container. */
export interface ApiLogLine {
  stream: 'stdout' | 'stderr';
  at: string;
  text: string;
  container?: string;
}

const durationPattern = /^(\d+(ms|s|m|h|d))+$/;
const rfc3339Pattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Checks `--since`: a duration ago (`10m`, `1h30m`) or an RFC 3339 time. */
export function checkSince(value: string): string {
  if (durationPattern.test(value) || rfc3339Pattern.test(value)) return value;
  throw new UsageError(`--since: "${value}" must be a duration such as 10m, 1h30m, 2d or an RFC 3339 time`);
}

/** A log line as printed: `[container] ` when tagged, the timestamp with --timestamps, the text. */
export function formatLogLine(line: ApiLogLine, timestamps: boolean): string {
  const prefix = `${line.container ? `[${line.container}] ` : ''}${timestamps ? `${line.at} ` : ''}`;
  return `${prefix}${line.text}${line.text.endsWith('\n') ? '' : '\n'}`;
}

/** Throws the API error an SSE `error` event carries. */
function streamError(event: SseEvent): CliError {
  try {
    const body = JSON.parse(event.data) as { error?: { message?: string } };
    return new CliError(body.error?.message ?? event.data);
  } catch {
    return new CliError(event.data);
  }
}

async function followLogs(
  ctx: CommandContext,
  client: ApiClient,
  path: string,
  query: Record<string, string | number | undefined>,
): Promise<number> {
  const timestamps = ctx.args.bool('timestamps');
  for await (const event of client.stream(path, { ...query, follow: true })) {
    if (event.event === 'error') throw streamError(event);
    if (event.event === 'end') break;
    if (event.event !== 'line') continue;
    const line = JSON.parse(event.data) as ApiLogLine;
    if (ctx.out.json) ctx.out.raw(`${JSON.stringify(line)}\n`);
    else ctx.out.raw(formatLogLine(line, timestamps));
  }
  return 0;
}

async function logs(ctx: CommandContext): Promise<number> {
  const [service, container] = [ctx.arg(0), ctx.optionalArg(1)];
  const tail = ctx.args.string('tail');
  const since = ctx.args.string('since');
  const query = {
    tail: tail === undefined ? undefined : parseInteger(tail, '--tail', 1, 10_000),
    since: since === undefined ? undefined : checkSince(since),
    cluster: clusterOf(ctx),
  };
  const path = container
    ? containerPath(ctx.project(), ctx.env(), service, container, '/logs')
    : servicePath(ctx.project(), ctx.env(), service, '/logs');
  const client = await ctx.client();
  if (ctx.args.bool('follow')) return followLogs(ctx, client, path, query);
  const page = await client.get<{
    items: ApiLogLine[];
    errors?: Array<{ cluster?: string; message?: string }>;
  }>(path, query);
  if (ctx.out.json) {
    ctx.out.printJson(page);
    return 0;
  }
  ctx.out.clusterErrors(page.errors);
  for (const line of page.items) ctx.out.raw(formatLogLine(line, ctx.args.bool('timestamps')));
  return 0;
}

const eventColumns: Column<ServiceEvent>[] = [
  { header: 'TIME', value: (e) => formatTime(e.at) },
  { header: 'SEVERITY', value: (e) => e.severity },
  { header: 'TYPE', value: (e) => e.type },
  { header: 'CONTAINER', value: (e) => e.container },
  { header: 'CLUSTER', value: (e) => e.cluster },
  { header: 'SOURCE', value: (e) => eventSource(e) },
  { header: 'MESSAGE', value: (e) => eventMessage(e) },
];

/** `k8s` for the cluster's own (core) events, `berth` for Berth's. */
function eventSource(e: ServiceEvent): string {
  return e.source === 'kubernetes' ? 'k8s' : 'berth';
}

/** A Kubernetes event's message names its object and how many times it happened. */
function eventMessage(e: ServiceEvent): string {
  if (e.source !== 'kubernetes') return e.message;
  const times = (e.count ?? 1) > 1 ? ` (x${e.count})` : '';
  return `${e.object ? `${e.object}: ` : ''}${e.message}${times}`;
}

/** One event on one line, for `events -f`. */
export function formatEvent(e: ServiceEvent): string {
  return `${formatTime(e.at)}  ${e.severity === 'warning' ? 'warning ' : ''}${e.source === 'kubernetes' ? 'k8s ' : ''}${sanitize(e.type)}  ${sanitize(e.container ?? '-')}  ${sanitize(eventMessage(e))}`;
}

async function events(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const path = servicePath(ctx.project(), ctx.env(), ctx.arg(0), '/events');
  const filter = {
    container: ctx.args.string('container'),
    type: ctx.args.string('type'),
    cluster: clusterOf(ctx),
  };
  const follow = ctx.args.bool('follow');
  const page = await client.get<{ items: ServiceEvent[]; nextCursor: string | null }>(path, {
    ...filter,
    limit: limitOf(ctx) ?? (follow ? 20 : 50),
  });
  if (ctx.out.json && !follow) {
    ctx.out.printJson(page);
    return 0;
  }
  // The API lists newest first; people read (and a follow continues) oldest first.
  const recent = [...page.items].reverse();
  if (ctx.out.json) recent.forEach((e) => ctx.out.raw(`${JSON.stringify(e)}\n`));
  else if (follow) recent.forEach((e) => ctx.out.line(formatEvent(e)));
  else ctx.out.table(recent, eventColumns, 'no events');
  if (!follow) return 0;
  // Resume after the newest event listed, so nothing written in between is missed.
  const newest = page.items[0]?.id;
  const headers = newest ? { 'Last-Event-ID': newest } : undefined;
  for await (const event of client.stream(path, { ...filter, follow: true }, { headers })) {
    if (event.event === 'error') throw streamError(event);
    if (event.event !== 'event') continue;
    const e = JSON.parse(event.data) as ServiceEvent;
    if (ctx.out.json) ctx.out.raw(`${JSON.stringify(e)}\n`);
    else ctx.out.line(formatEvent(e));
  }
  return 0;
}

interface Endpoint {
  container: string;
  release: number;
  containerPort: number;
  address: string;
}

const endpointColumns: Column<Endpoint>[] = [
  { header: 'CONTAINER', value: (e) => e.container },
  { header: 'RELEASE', value: (e) => String(e.release) },
  { header: 'PORT', value: (e) => String(e.containerPort) },
  { header: 'ADDRESS', value: (e) => e.address },
];

/**
 * The addresses that should receive traffic; with -f, the list again each time it changes (the
 * API's SSE watch), one JSON line per change in JSON mode. A removal arrives when it is committed,
 * and the container's drain period counts from then (docs/gateway.md).
 */
async function endpoints(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const path = servicePath(ctx.project(), ctx.env(), ctx.arg(0), '/endpoints');
  if (!ctx.args.bool('follow')) {
    const page = await client.get<{ items: Endpoint[] }>(path);
    if (ctx.out.json) ctx.out.printJson(page);
    else ctx.out.table(page.items, endpointColumns, 'no endpoints');
    return 0;
  }
  for await (const event of client.stream(path, { follow: true })) {
    if (event.event === 'error') throw streamError(event);
    if (event.event !== 'endpoints') continue;
    const list = JSON.parse(event.data) as { items: Endpoint[] };
    if (ctx.out.json) ctx.out.raw(`${JSON.stringify(list)}\n`);
    else {
      ctx.out.line(`${formatTime(new Date().toISOString())}  ${list.items.length} endpoint(s)`);
      ctx.out.table(list.items, endpointColumns, 'no endpoints');
    }
  }
  return 0;
}

const followOption = {
  name: 'follow',
  short: 'f',
  kind: 'boolean' as const,
  description: 'keep printing new output until interrupted',
};

/** logs, events, endpoints */
export const streamCommands: CommandDef[] = [
  {
    name: 'logs',
    usage: 'NAME [CONTAINER] [--tail N] [--since 10m] [-f] [--timestamps] [--cluster NAME]',
    summary: 'print the logs of a service (all its containers) or of one container',
    positionals: { min: 1, max: 2 },
    scoped: true,
    options: [
      { name: 'tail', short: 'n', kind: 'string', value: 'N', description: 'the last N lines (default 200)' },
      {
        name: 'since',
        kind: 'string',
        value: 'WHEN',
        description: 'lines since a duration ago (10m) or an RFC 3339 time',
      },
      { name: 'timestamps', short: 't', kind: 'boolean', description: 'print the time of each line' },
      followOption,
      { ...clusterOption, description: 'service logs: only the containers on this cluster' },
    ],
    run: logs,
  },
  {
    name: 'events',
    usage: 'NAME [-f] [--container C] [--type TYPE] [--cluster NAME] [--limit N]',
    summary: 'print the events of a service and its containers',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      followOption,
      limitOption,
      { name: 'container', short: 'c', kind: 'string', value: 'C', description: 'events of one container' },
      { name: 'type', kind: 'string', value: 'TYPE', description: 'events of one type, e.g. Destroyed' },
      { ...clusterOption, description: 'events of the containers on this cluster' },
    ],
    run: events,
  },
  {
    name: 'endpoints',
    usage: 'NAME [-f]',
    summary: 'print the addresses that receive traffic now; -f prints the list each time it changes',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [followOption],
    run: endpoints,
  },
];
