import type { EntryPointView, PortAssignmentView } from '@berth/shared';
import { parseInteger, type OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { formatAge, type Column } from '../output';

/*
 * berth entry-points: TCP/UDP entry points of a project's env (docs/gateway.md), and the port
 * assignments platform admins make (`berth entry-ports …`).
 */

const env = (ctx: CommandContext) => encodeURIComponent(ctx.env());
const pointsPath = (ctx: CommandContext) =>
  `/api/v1/projects/${encodeURIComponent(ctx.project())}/envs/${env(ctx)}/entry-points`;
const protocol = (ctx: CommandContext) => (ctx.args.bool('udp') ? 'udp' : 'tcp');
const port = (ctx: CommandContext, i = 0) => parseInteger(ctx.args.positionals[i] ?? '', 'PORT', 1, 65535);

const udpOption: OptionSpec = { name: 'udp', kind: 'boolean', description: 'a UDP port (default TCP)' };
const settingOptions: OptionSpec[] = [
  { name: 'service', kind: 'string', value: 'NAME', description: "the project's service to forward to" },
  { name: 'service-port', kind: 'string', value: 'PORT', description: 'the container port of the service' },
  {
    name: 'max-fails',
    kind: 'string',
    value: 'N',
    description: 'failures that take a container out (0-100)',
  },
  { name: 'fail-timeout', kind: 'string', value: 'SECONDS', description: 'how long it stays out (1-3600)' },
  { name: 'connect-timeout', kind: 'string', value: 'SECONDS', description: 'TCP: connect timeout (1-600)' },
  { name: 'timeout', kind: 'string', value: 'SECONDS', description: 'idle timeout of a session (1-86400)' },
  { name: 'udp-responses', kind: 'string', value: 'N', description: 'UDP: datagrams back per datagram' },
];

/** The settings given as flags, as API fields. */
function settings(ctx: CommandContext): Record<string, unknown> {
  const a = ctx.args;
  const num = (flag: string, field: string, min: number, max: number, out: Record<string, unknown>) => {
    const v = a.string(flag);
    if (v !== undefined) out[field] = parseInteger(v, `--${flag}`, min, max);
  };
  const out: Record<string, unknown> = {};
  const svc = a.string('service');
  if (svc !== undefined) out.serviceName = svc;
  num('service-port', 'servicePort', 1, 65535, out);
  num('max-fails', 'maxFails', 0, 100, out);
  num('fail-timeout', 'failTimeoutSeconds', 1, 3600, out);
  num('connect-timeout', 'connectTimeoutSeconds', 1, 600, out);
  num('timeout', 'timeoutSeconds', 1, 86400, out);
  num('udp-responses', 'udpResponses', 0, 1000, out);
  return out;
}

const pointColumns: Column<EntryPointView>[] = [
  { header: 'PORT', value: (e) => `${e.port}/${e.protocol}` },
  { header: 'SERVICE', value: (e) => `${e.serviceName}:${e.servicePort}` },
  { header: 'HEALTH', value: (e) => `max_fails=${e.maxFails} fail_timeout=${e.failTimeoutSeconds}s` },
  { header: 'TIMEOUT', value: (e) => (e.timeoutSeconds === null ? 'default' : `${e.timeoutSeconds}s`) },
  { header: 'VERSION', value: (e) => e.version, align: 'right' },
  { header: 'AGE', value: (e) => formatAge(e.createdAt) },
];
const portColumns: Column<PortAssignmentView>[] = [
  { header: 'PORT', value: (p) => `${p.port}/${p.protocol}` },
  { header: 'PROJECT', value: (p) => p.project },
  { header: 'IN USE', value: (p) => (p.inUse ? 'yes' : 'no') },
  { header: 'BY', value: (p) => p.createdBy },
  { header: 'AGE', value: (p) => formatAge(p.createdAt) },
];

function showPoint(ctx: CommandContext, e: EntryPointView, verb: string): number {
  if (ctx.out.json) ctx.out.printJson(e);
  else
    ctx.out.line(
      `entry point ${e.port}/${e.protocol} → ${e.serviceName}:${e.servicePort} ${verb} (version ${e.version})`,
    );
  return 0;
}

export const entryPointCommands: CommandDef[] = [
  {
    name: 'entry-points list',
    usage: '-p PROJECT [-e ENV]',
    summary: "list a project's TCP/UDP entry points and its assigned ports in an environment",
    positionals: { min: 0, max: 0 },
    scoped: true,
    async run(ctx) {
      const client = await ctx.client();
      const points = await client.get<{ items: EntryPointView[] }>(pointsPath(ctx));
      const ports = await client.get<{ items: PortAssignmentView[] }>(
        `/api/v1/projects/${encodeURIComponent(ctx.project())}/envs/${env(ctx)}/entry-ports`,
      );
      if (ctx.out.json) {
        ctx.out.printJson({ entryPoints: points.items, ports: ports.items });
        return 0;
      }
      ctx.out.table(points.items, pointColumns, 'no entry points');
      const free = ports.items.filter((p) => !p.inUse).map((p) => `${p.port}/${p.protocol}`);
      ctx.out.line(`assigned ports not in use: ${free.length ? free.join(' ') : 'none'}`);
      return 0;
    },
  },
  {
    name: 'entry-points create',
    usage: 'PORT --service NAME --service-port PORT [--udp] [options] -p PROJECT [-e ENV]',
    summary: "forward one of the project's assigned ports to a port of one of its services",
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [udpOption, ...settingOptions],
    async run(ctx) {
      const body: Record<string, unknown> = { protocol: protocol(ctx), port: port(ctx), ...settings(ctx) };
      if (body.serviceName === undefined) throw ctx.usageError('--service NAME is required');
      if (body.servicePort === undefined) throw ctx.usageError('--service-port PORT is required');
      const e = await (await ctx.client()).post<EntryPointView>(pointsPath(ctx), body);
      return showPoint(ctx, e, 'created');
    },
  },
  {
    name: 'entry-points update',
    usage: 'PORT [--udp] [--service NAME] [--service-port PORT] [options] -p PROJECT [-e ENV]',
    summary:
      'change the service, port or health settings of an entry point; flags not given keep their value',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [udpOption, ...settingOptions],
    async run(ctx) {
      const client = await ctx.client();
      const url = `${pointsPath(ctx)}/${protocol(ctx)}/${port(ctx)}`;
      const current = await client.get<EntryPointView>(url);
      const e = await client.put<EntryPointView>(url, { version: current.version, ...settings(ctx) });
      return showPoint(ctx, e, 'updated');
    },
  },
  {
    name: 'entry-points delete',
    usage: 'PORT [--udp] -p PROJECT [-e ENV]',
    summary: 'delete an entry point (the port stays assigned to the project)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [udpOption],
    async run(ctx) {
      await (await ctx.client()).delete(`${pointsPath(ctx)}/${protocol(ctx)}/${port(ctx)}`);
      ctx.out.line(`entry point ${port(ctx)}/${protocol(ctx)} deleted`);
      return 0;
    },
  },
  {
    name: 'entry-ports assign',
    usage: 'PORT|FROM-TO -p PROJECT [-e ENV] [--udp] [--allow-privileged]',
    summary: 'assign a port or a range (at most 1000) of an environment to a project (platform admins)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      udpOption,
      { name: 'allow-privileged', kind: 'boolean', description: 'allow ports below 1024' },
    ],
    async run(ctx) {
      const spec = ctx.args.positionals[0] ?? '';
      const m = /^(\d+)-(\d+)$/.exec(spec);
      const range = m
        ? { from: parseInteger(m[1] ?? '', 'FROM', 1, 65535), to: parseInteger(m[2] ?? '', 'TO', 1, 65535) }
        : { port: port(ctx) };
      const res = await (
        await ctx.client()
      ).post<{ items: PortAssignmentView[] }>(`/api/v1/envs/${env(ctx)}/entry-ports`, {
        project: ctx.project(),
        protocol: protocol(ctx),
        ...range,
        ...(ctx.args.bool('allow-privileged') ? { allowPrivileged: true } : {}),
      });
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.line(
          `assigned ${res.items.length} ${protocol(ctx)} port${res.items.length === 1 ? '' : 's'} of ${ctx.env()} to ${ctx.project()}`,
        );
      return 0;
    },
  },
  {
    name: 'entry-ports list',
    usage: '[-e ENV]',
    summary: "list an environment's port assignments (platform admins)",
    positionals: { min: 0, max: 0 },
    scoped: true,
    async run(ctx) {
      const res = await (
        await ctx.client()
      ).get<{ items: PortAssignmentView[] }>(`/api/v1/envs/${env(ctx)}/entry-ports`);
      if (ctx.out.json) ctx.out.printJson(res.items);
      else ctx.out.table(res.items, portColumns, 'no ports assigned');
      return 0;
    },
  },
  {
    name: 'entry-ports release',
    usage: 'PORT [--udp] [-e ENV]',
    summary: 'release a port assignment (refused while an entry point uses it; platform admins)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [udpOption],
    async run(ctx) {
      await (await ctx.client()).delete(`/api/v1/envs/${env(ctx)}/entry-ports/${protocol(ctx)}/${port(ctx)}`);
      ctx.out.line(`port ${port(ctx)}/${protocol(ctx)} of ${ctx.env()} released`);
      return 0;
    },
  },
];
