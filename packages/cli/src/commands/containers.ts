import { clusterNameSchema, rotationRequestSchema, type Container, type StatsSample } from '@berth/shared';
import { containerPath, servicePath } from '../api-client';
import type { CommandContext, CommandDef } from '../context';
import { validate } from '../errors';
import { formatAge, formatBytes, formatTime, type Column } from '../output';
import { limitOf, limitOption } from './common';

/** `--cluster NAME`: only what runs (or ran) on that cluster (docs/fleet.md, "Containers across clusters"). */
export const clusterOption = {
  name: 'cluster',
  kind: 'string' as const,
  value: 'NAME',
  description: 'only containers on this cluster (berth clusters list)',
};

/** The value of `--cluster`, checked as a cluster name (the API says whether it is registered). */
export function clusterOf(ctx: CommandContext): string | undefined {
  const value = ctx.args.string('cluster');
  if (value === undefined) return undefined;
  const parsed = clusterNameSchema.safeParse(value);
  if (!parsed.success)
    throw ctx.usageError(
      `--cluster: "${value}" ${parsed.error.issues[0]?.message ?? 'is not a cluster name'}`,
    );
  return parsed.data;
}

const containerColumns: Column<Container>[] = [
  { header: 'NAME', value: (c) => c.name },
  { header: 'STATE', value: (c) => c.state },
  { header: 'READY', value: (c) => (c.ready ? 'yes' : 'no') },
  { header: 'ROTATION', value: (c) => (c.inRotation ? 'in' : 'out') },
  { header: 'RELEASE', value: (c) => c.release, align: 'right' },
  { header: 'CLUSTER', value: (c) => c.cluster },
  { header: 'IP', value: (c) => c.ip },
  { header: 'NODE', value: (c) => c.node },
  { header: 'RESTARTS', value: (c) => c.restarts, align: 'right' },
  { header: 'AGE', value: (c) => formatAge(c.createdAt) },
];

const historyColumns: Column<Container>[] = [
  { header: 'NAME', value: (c) => c.name },
  { header: 'STATE', value: (c) => c.state },
  { header: 'RELEASE', value: (c) => c.release, align: 'right' },
  { header: 'CLUSTER', value: (c) => c.cluster },
  { header: 'IP', value: (c) => c.ip },
  { header: 'NODE', value: (c) => c.node },
  { header: 'CREATED', value: (c) => formatTime(c.createdAt) },
  { header: 'STOPPED', value: (c) => formatTime(c.stoppedAt) },
  {
    header: 'EXIT',
    value: (c) => (c.exitCode === null ? '' : `${c.exitCode}${c.exitReason ? ` (${c.exitReason})` : ''}`),
  },
];

const statsColumns: Column<StatsSample>[] = [
  { header: 'CONTAINER', value: (s) => s.container },
  { header: 'CPU %', value: (s) => s.cpuPercent.toFixed(1), align: 'right' },
  { header: 'MEMORY', value: (s) => formatBytes(s.memoryBytes), align: 'right' },
  {
    header: 'LIMIT',
    value: (s) => (s.memoryLimitBytes > 0 ? formatBytes(s.memoryLimitBytes) : '-'),
    align: 'right',
  },
  { header: 'NET RX', value: (s) => formatBytes(s.netRxBytes), align: 'right' },
  { header: 'NET TX', value: (s) => formatBytes(s.netTxBytes), align: 'right' },
  { header: 'BLOCK R', value: (s) => formatBytes(s.blockReadBytes), align: 'right' },
  { header: 'BLOCK W', value: (s) => formatBytes(s.blockWriteBytes), align: 'right' },
  { header: 'AT', value: (s) => formatTime(s.at) },
];

/** The newest sample of each container, in container name order. */
export function latestSamples(samples: readonly StatsSample[]): StatsSample[] {
  const latest = new Map<string, StatsSample>();
  for (const s of samples) {
    const seen = latest.get(s.container);
    if (!seen || Date.parse(s.at) >= Date.parse(seen.at)) latest.set(s.container, s);
  }
  return [...latest.values()].sort((a, b) => a.container.localeCompare(b.container));
}

async function listContainers(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const history = ctx.args.bool('history');
  const path = servicePath(
    ctx.project(),
    ctx.env(),
    ctx.arg(0),
    history ? '/containers/history' : '/containers',
  );
  const page = await client.list<Container>(
    path,
    { cluster: clusterOf(ctx) },
    history ? (limitOf(ctx) ?? 50) : undefined,
  );
  if (ctx.out.json) {
    ctx.out.printJson(page);
    return 0;
  }
  ctx.out.clusterErrors(page.errors);
  ctx.out.table(
    page.items,
    history ? historyColumns : containerColumns,
    history ? 'no containers ever' : 'no containers',
  );
  return 0;
}

async function destroy(ctx: CommandContext): Promise<number> {
  const [service, container] = [ctx.arg(0), ctx.arg(1)];
  const path = containerPath(ctx.project(), ctx.env(), service, container, '/destroy');
  const result = await (await ctx.client()).post<Container>(path, {});
  if (ctx.out.json) ctx.out.printJson(result);
  else ctx.out.line(`container ${container} destroyed; the service gets a new one`);
  return 0;
}

async function rotation(ctx: CommandContext): Promise<number> {
  const [service, container, state] = [ctx.arg(0), ctx.arg(1), ctx.arg(2)];
  if (state !== 'on' && state !== 'off')
    throw ctx.usageError(`the rotation must be "on" or "off", got "${state}"`);
  const body = validate(rotationRequestSchema, { inRotation: state === 'on' }, 'rotation request');
  const result = await (
    await ctx.client()
  ).post<Container>(containerPath(ctx.project(), ctx.env(), service, container, '/rotation'), body);
  if (ctx.out.json) ctx.out.printJson(result);
  else
    ctx.out.line(
      state === 'on'
        ? `container ${container} is back in rotation`
        : `container ${container} is out of rotation (it keeps running, without traffic)`,
    );
  return 0;
}

async function stats(ctx: CommandContext): Promise<number> {
  const query = {
    since: ctx.args.string('since') ?? '5m',
    container: ctx.args.string('container'),
    cluster: clusterOf(ctx),
  };
  const page = await (
    await ctx.client()
  ).get<{ items: StatsSample[]; nextCursor: string | null }>(
    servicePath(ctx.project(), ctx.env(), ctx.arg(0), '/stats'),
    query,
  );
  if (ctx.out.json) ctx.out.printJson(page);
  else ctx.out.table(latestSamples(page.items), statsColumns, `no samples since ${query.since}`);
  return 0;
}

/** containers, destroy, rotation, stats */
export const containerCommands: CommandDef[] = [
  {
    name: 'containers',
    usage: 'NAME [--history [--limit N]] [--cluster NAME]',
    summary: 'list the containers of a service (or all it ever had)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      { name: 'history', kind: 'boolean', description: 'the container history, newest first' },
      limitOption,
      clusterOption,
    ],
    run: listContainers,
  },
  {
    name: 'destroy',
    usage: 'NAME CONTAINER',
    summary: 'destroy one container now; the service replaces it',
    positionals: { min: 2, max: 2 },
    scoped: true,
    run: destroy,
  },
  {
    name: 'rotation',
    usage: 'NAME CONTAINER on|off',
    summary: 'put a container in or take it out of rotation (no traffic, keeps running)',
    positionals: { min: 3, max: 3 },
    scoped: true,
    run: rotation,
  },
  {
    name: 'stats',
    usage: 'NAME [--container C] [--cluster NAME] [--since 5m]',
    summary: 'the latest resource use of each container (-o json: every sample)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      { name: 'container', short: 'c', kind: 'string', value: 'C', description: 'one container only' },
      clusterOption,
      {
        name: 'since',
        kind: 'string',
        value: 'WHEN',
        description: 'samples since a duration ago (5m) or an RFC 3339 time',
      },
    ],
    run: stats,
  },
];
