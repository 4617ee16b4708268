import { readFile } from 'node:fs/promises';
import {
  canaryRequestSchema,
  canaryTargetText,
  createGatewayRequestSchema,
  createRouteRequestSchema,
  gatewayRolloutRequestSchema,
  gatewaySnippetsRequestSchema,
  updateGatewayRequestSchema,
  updateRouteRequestSchema,
  type Gateway,
  type GatewayNode,
  type GatewayVersion,
  type Route,
} from '@berth/shared';
import { parseInteger, type OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';
import { formatAge, formatTime, type Column } from '../output';
import { limitOf, limitOption } from './common';

type Obj = Record<string, unknown>;
const gw = (name: string) => `/api/v1/gateways/${encodeURIComponent(name)}`;
const routesPath = (ctx: CommandContext) =>
  `/api/v1/projects/${encodeURIComponent(ctx.project())}/envs/${encodeURIComponent(ctx.env())}/routes`;

const gatewayColumns: Column<Gateway>[] = [
  { header: 'NAME', value: (g) => g.name },
  { header: 'ENV', value: (g) => g.env },
  { header: 'LISTEN', value: (g) => g.listen },
  { header: 'TLS', value: (g) => g.tlsListen ?? '' },
  { header: 'VERSION', value: (g) => g.appliedVersion, align: 'right' },
  { header: 'ROLLOUT', value: (g) => g.rolloutMode ?? 'auto' },
  { header: 'AGE', value: (g) => formatAge(g.createdAt) },
];
const nodeColumns: Column<GatewayNode>[] = [
  { header: 'NAME', value: (n) => n.name },
  { header: 'STATE', value: (n) => n.state },
  { header: 'APPLIED', value: (n) => n.appliedVersion ?? '-', align: 'right' },
  { header: 'WANTED', value: (n) => n.wantedVersion, align: 'right' },
  { header: 'ADDRESS', value: (n) => n.address ?? '' },
  { header: 'LAST SEEN', value: (n) => (n.lastSeenAt ? formatAge(n.lastSeenAt) : 'never') },
  { header: 'ERROR', value: (n) => (n.error ?? '').split('\n')[0] ?? '' },
];
const versionColumns: Column<GatewayVersion>[] = [
  { header: 'VERSION', value: (v) => v.number, align: 'right' },
  { header: 'KIND', value: (v) => v.kind },
  { header: 'STATE', value: (v) => v.state },
  { header: 'AUTHOR', value: (v) => v.author },
  { header: 'TIME', value: (v) => formatTime(v.createdAt) },
  { header: 'REASON', value: (v) => v.reason },
];
const routeColumns: Column<Route>[] = [
  { header: 'NAME', value: (r) => r.name },
  { header: 'HOST', value: (r) => `${r.spec.host}${r.spec.pathPrefix === '/' ? '' : r.spec.pathPrefix}` },
  {
    header: 'BACKENDS',
    value: (r) =>
      [
        ...(r.spec.backends.service
          ? [
              `svc:${r.spec.backends.service.name}${r.spec.backends.service.port ? `:${r.spec.backends.service.port}` : ''}`,
            ]
          : []),
        ...r.spec.backends.servers.map((s) => `${s.address}*${s.weight}`),
      ].join(' '),
  },
  {
    header: 'CANARY',
    value: (r) =>
      !r.canary
        ? ''
        : `${r.canary.percent !== undefined ? `${r.canary.percent}%` : r.canary.header ? `header ${r.canary.header.name}` : `cookie ${r.canary.cookie?.name ?? ''}`} → ${canaryTargetText(r.canary.to)}${r.canary.promoting ? ' (promoting)' : ''}`,
  },
  { header: 'VERSION', value: (r) => r.version, align: 'right' },
  // routes stored before a tenancy rule existed (or whose zone was removed) are flagged, not deleted
  {
    header: 'RULES',
    value: (r) => ((r.violations ?? []).length > 0 ? `! ${r.violations.map((v) => v.rule).join(',')}` : ''),
  },
];

/** Prints JSON, or a text line / table. */
function show(ctx: CommandContext, value: unknown, text: () => void): number {
  if (ctx.out.json) ctx.out.printJson(value);
  else text();
  return 0;
}

async function readJsonFile(ctx: CommandContext, what: string): Promise<Obj | null> {
  const file = ctx.args.string('file');
  if (file === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read ${file} as JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CliError(`${file} must hold a JSON object (${what})`);
  return parsed as Obj;
}

function keyValue(ctx: CommandContext, value: string, flag: string): { name: string; value: string } {
  const i = value.indexOf('=');
  if (i <= 0) throw ctx.usageError(`${flag} must be NAME=VALUE, got "${value}"`);
  return { name: value.slice(0, i), value: value.slice(i + 1) };
}

const fileOption: OptionSpec = {
  name: 'file',
  short: 'f',
  kind: 'string',
  value: 'FILE',
  description: 'read the JSON body from FILE',
};
const reasonOption: OptionSpec = {
  name: 'reason',
  kind: 'string',
  value: 'TEXT',
  description: 'why (kept with the version)',
};
const routeOptions: OptionSpec[] = [
  { name: 'host', kind: 'string', value: 'HOST', description: 'the host name, e.g. api.example.com' },
  { name: 'path', kind: 'string', value: 'PREFIX', description: 'a path prefix (default /)' },
  { name: 'service', kind: 'string', value: 'NAME', description: 'send traffic to this service of the env' },
  { name: 'port', kind: 'string', value: 'PORT', description: 'the service port (default: its first)' },
  {
    name: 'vm',
    kind: 'list',
    value: 'ADDR[:W]',
    description: 'a VM backend IPV4:PORT with an optional weight (repeat)',
  },
  { name: 'timeout', kind: 'string', value: 'SECONDS', description: 'read timeout towards the backends' },
  { name: 'max-body', kind: 'string', value: 'MIB', description: 'largest request body in MiB' },
  { name: 'websocket', kind: 'boolean', description: 'pass WebSocket upgrades' },
  { name: 'header', kind: 'list', value: 'NAME=VALUE', description: 'add a response header (repeat)' },
  { name: 'allow', kind: 'list', value: 'CIDR', description: 'allow only these clients (repeat)' },
  { name: 'deny', kind: 'list', value: 'CIDR', description: 'refuse these clients (repeat)' },
  {
    name: 'tls-cert',
    kind: 'string',
    value: 'NAME',
    description: 'serve TLS with this certificate of the project (`berth certificates list`)',
  },
  fileOption,
  reasonOption,
];

/** The route spec from flags on top of `base` (an existing spec, -f, or nothing). */
function routeSpec(ctx: CommandContext, base: Obj): Obj {
  const spec: Obj = { ...base };
  const a = ctx.args;
  if (a.string('host') !== undefined) spec.host = a.string('host');
  if (a.string('path') !== undefined) spec.pathPrefix = a.string('path');
  const backends = { ...((spec.backends as Obj | undefined) ?? {}) };
  if (a.string('service') !== undefined)
    backends.service = {
      name: a.string('service'),
      ...(a.string('port') !== undefined
        ? { port: parseInteger(a.string('port')!, '--port', 1, 65535) }
        : {}),
    };
  if (a.list('vm').length > 0)
    backends.servers = a.list('vm').map((v) => {
      const m = /^(\d{1,3}(?:\.\d{1,3}){3}:\d{1,5})(?::(\d{1,3}))?$/.exec(v);
      if (!m?.[1]) throw ctx.usageError(`--vm must be IPV4:PORT[:WEIGHT], got "${v}"`);
      return { address: m[1], weight: m[2] ? parseInteger(m[2], '--vm weight', 1, 100) : 1 };
    });
  spec.backends = backends;
  if (a.string('timeout') !== undefined)
    spec.timeouts = {
      ...(spec.timeouts ?? {}),
      readSeconds: parseInteger(a.string('timeout')!, '--timeout', 1, 3600),
    };
  if (a.string('max-body') !== undefined)
    spec.maxBodyMiB = parseInteger(a.string('max-body')!, '--max-body', 0, 10240);
  if (a.has('websocket')) spec.websocket = a.bool('websocket');
  if (a.list('header').length > 0) spec.headers = a.list('header').map((h) => keyValue(ctx, h, '--header'));
  if (a.list('allow').length > 0) spec.allow = a.list('allow');
  if (a.list('deny').length > 0) spec.deny = a.list('deny');
  if (a.string('tls-cert') !== undefined) spec.tls = { certificate: a.string('tls-cert') };
  return spec;
}

const routeText = (r: { route: Route; gatewayVersion: { number: number } | null }, verb: string) =>
  `route ${r.route.project}/${r.route.name} ${verb}${r.gatewayVersion ? ` (gateway version ${r.gatewayVersion.number})` : ''}`;

async function routeCanary(ctx: CommandContext): Promise<number> {
  const a = ctx.args;
  const service = a.string('to-service');
  const release = a.string('to-release');
  const replicas = a.string('replicas');
  if ((service === undefined) === (release === undefined))
    throw ctx.usageError('give exactly one of --to-service NAME or --to-release N');
  if (replicas !== undefined && release === undefined)
    throw ctx.usageError('--replicas applies only with --to-release');
  const to = service
    ? { service }
    : {
        release: parseInteger(release!, '--to-release', 1, Number.MAX_SAFE_INTEGER),
        ...(replicas !== undefined ? { replicas: parseInteger(replicas, '--replicas', 1, 10) } : {}),
      };
  const body: Obj = { to, ...(a.string('reason') ? { reason: a.string('reason') } : {}) };
  if (a.string('percent') !== undefined) body.percent = Number(a.string('percent'));
  if (a.string('header') !== undefined) body.header = keyValue(ctx, a.string('header')!, '--header');
  if (a.string('cookie') !== undefined) body.cookie = keyValue(ctx, a.string('cookie')!, '--cookie');
  const req = validate(canaryRequestSchema, body, 'canary');
  const r = await (
    await ctx.client()
  ).post<{ route: Route; gatewayVersion: { number: number } | null }>(
    `${routesPath(ctx)}/${encodeURIComponent(ctx.arg(0))}/canary`,
    req,
  );
  return show(ctx, r, () => ctx.out.line(routeText(r, 'has a canary')));
}

function canaryAction(action: 'promote' | 'abort'): CommandDef {
  return {
    name: `routes ${action}`,
    usage: 'ROUTE [-p PROJECT] [-e ENV]',
    summary:
      action === 'promote'
        ? 'make the canary the route’s backend and end it (a release: roll the service to it first)'
        : 'end the canary; all traffic to the main backend',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [reasonOption],
    async run(ctx) {
      const r = await (
        await ctx.client()
      ).post<{ route: Route; gatewayVersion: { number: number } | null }>(
        `${routesPath(ctx)}/${encodeURIComponent(ctx.arg(0))}/canary/${action}`,
        ctx.args.string('reason') ? { reason: ctx.args.string('reason') } : {},
      );
      return show(ctx, r, () =>
        ctx.out.line(
          routeText(
            r,
            action === 'abort'
              ? 'canary aborted'
              : r.route.canary?.promoting
                ? `promoting: the service rolls to ${canaryTargetText(r.route.canary.to)}; the canary ends when it is done`
                : 'promoted',
          ),
        ),
      );
    },
  };
}

/** gateways (admin, nodes, rollout, versions) and routes (with canaries). */
export const gatewayCommands: CommandDef[] = [
  {
    name: 'gateways list',
    usage: '',
    summary: 'list gateways',
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const page = await (await ctx.client()).get<{ items: Gateway[] }>('/api/v1/gateways');
      return show(ctx, page, () => ctx.out.table(page.items, gatewayColumns, 'no gateways'));
    },
  },
  {
    name: 'gateways get',
    usage: 'GATEWAY',
    summary: 'show a gateway',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      const g = await (await ctx.client()).get<Gateway>(gw(ctx.arg(0)));
      return show(ctx, g, () => ctx.out.table([g], gatewayColumns, ''));
    },
  },
  {
    name: 'gateways create',
    usage: 'NAME --env ENV [--listen HOST:PORT] [--tls-listen HOST:PORT] [--description TEXT] [--staged]',
    summary: 'create a gateway (an Nginx cluster) for an environment',
    positionals: { min: 1, max: 1 },
    options: [
      { name: 'env', kind: 'string', value: 'ENV', description: 'the environment it serves' },
      { name: 'listen', kind: 'string', value: 'HOST:PORT', description: 'the rendered HTTP listener' },
      { name: 'tls-listen', kind: 'string', value: 'HOST:PORT', description: 'the rendered TLS listener' },
      { name: 'description', kind: 'string', value: 'TEXT', description: 'what it is for' },
      { name: 'staged', kind: 'boolean', description: 'nodes get new versions only through rollout' },
    ],
    async run(ctx) {
      const a = ctx.args;
      if (!a.string('env')) throw ctx.usageError('--env ENV is required');
      const body = validate(
        createGatewayRequestSchema,
        {
          name: ctx.arg(0),
          env: a.string('env'),
          ...(a.string('listen') ? { listen: a.string('listen') } : {}),
          ...(a.string('tls-listen') ? { tlsListen: a.string('tls-listen') } : {}),
          ...(a.string('description') !== undefined ? { description: a.string('description') } : {}),
          ...(a.bool('staged') ? { rolloutMode: 'staged' } : {}),
        },
        'gateway',
      );
      const g = await (await ctx.client()).post<Gateway>('/api/v1/gateways', body);
      return show(ctx, g, () => ctx.out.line(`gateway ${g.name} created (version ${g.appliedVersion})`));
    },
  },
  {
    name: 'gateways update',
    usage:
      'GATEWAY [--listen HOST:PORT] [--tls-listen HOST:PORT|off] [--description TEXT] [--rollout auto|staged]',
    summary: 'change a gateway',
    positionals: { min: 1, max: 1 },
    options: [
      { name: 'listen', kind: 'string', value: 'HOST:PORT', description: 'the rendered HTTP listener' },
      { name: 'tls-listen', kind: 'string', value: 'HOST:PORT', description: 'the TLS listener, or off' },
      { name: 'description', kind: 'string', value: 'TEXT', description: 'what it is for' },
      { name: 'rollout', kind: 'string', value: 'MODE', description: 'auto (nodes follow) or staged' },
    ],
    async run(ctx) {
      const c = await ctx.client();
      const a = ctx.args;
      const cur = await c.get<Gateway>(gw(ctx.arg(0)));
      const tls = a.string('tls-listen');
      const body = validate(
        updateGatewayRequestSchema,
        {
          version: cur.version,
          ...(a.string('listen') ? { listen: a.string('listen') } : {}),
          ...(tls !== undefined ? { tlsListen: tls === 'off' ? null : tls } : {}),
          ...(a.string('description') !== undefined ? { description: a.string('description') } : {}),
          ...(a.string('rollout') !== undefined ? { rolloutMode: a.string('rollout') } : {}),
        },
        'gateway',
      );
      const g = await c.put<Gateway>(gw(cur.name), body);
      return show(ctx, g, () => ctx.out.line(`gateway ${g.name} updated`));
    },
  },
  {
    name: 'gateways delete',
    usage: 'GATEWAY',
    summary: 'delete a gateway (refused while its environment has routes)',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      await (await ctx.client()).delete(gw(ctx.arg(0)));
      return show(ctx, { deleted: ctx.arg(0) }, () => ctx.out.line(`gateway ${ctx.arg(0)} deleted`));
    },
  },
  {
    name: 'gateways snippets',
    usage: 'GATEWAY -f snippets.json',
    summary: 'set the vetted admin directives of a gateway ({"http": [...], "server": [...]})',
    positionals: { min: 1, max: 1 },
    options: [fileOption, reasonOption],
    async run(ctx) {
      const file = await readJsonFile(ctx, '{"http": [{"directive": "gzip", "args": ["on"]}], "server": []}');
      if (!file) throw ctx.usageError('-f FILE is required');
      const body = validate(
        gatewaySnippetsRequestSchema,
        { ...file, ...(ctx.args.string('reason') ? { reason: ctx.args.string('reason') } : {}) },
        'snippets',
      );
      const r = await (
        await ctx.client()
      ).put<{ gatewayVersion: { number: number } | null }>(`${gw(ctx.arg(0))}/snippets`, body);
      return show(ctx, r, () =>
        ctx.out.line(`snippets set${r.gatewayVersion ? ` (version ${r.gatewayVersion.number})` : ''}`),
      );
    },
  },
  {
    name: 'gateways nodes',
    usage: 'GATEWAY',
    summary: 'nodes of a gateway and their state (in-sync, behind, failed, offline)',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      const page = await (await ctx.client()).get<{ items: GatewayNode[] }>(`${gw(ctx.arg(0))}/nodes`);
      return show(ctx, page, () => ctx.out.table(page.items, nodeColumns, 'no nodes'));
    },
  },
  {
    name: 'gateways node-add',
    usage: 'GATEWAY NAME',
    summary: 'add a node; prints its agent token once',
    positionals: { min: 2, max: 2 },
    async run(ctx) {
      const r = await (
        await ctx.client()
      ).post<{ node: GatewayNode; token: string }>(`${gw(ctx.arg(0))}/nodes`, {
        name: ctx.arg(1),
      });
      return show(ctx, r, () =>
        ctx.out.line(
          `node ${r.node.name} added. Its token (shown once):\n${r.token}\n` +
            `set up its host (Nginx; keepalived if it carries the virtual IP): scripts/setup-gateway-node.sh [--keepalived ${r.node.name}]\n` +
            `run: berth-gateway-agent --server URL --token ${r.token} --prefix DIR --manage-nginx`,
        ),
      );
    },
  },
  {
    name: 'gateways node-remove',
    usage: 'GATEWAY NAME',
    summary: 'remove a node; its token stops working',
    positionals: { min: 2, max: 2 },
    async run(ctx) {
      await (await ctx.client()).delete(`${gw(ctx.arg(0))}/nodes/${encodeURIComponent(ctx.arg(1))}`);
      return show(ctx, { deleted: ctx.arg(1) }, () => ctx.out.line(`node ${ctx.arg(1)} removed`));
    },
  },
  {
    name: 'gateways rollout',
    usage: 'GATEWAY VERSION [--node NAME ...]',
    summary: 'roll a version out to some nodes first (--node), or to every node',
    positionals: { min: 2, max: 2 },
    options: [{ name: 'node', kind: 'list', value: 'NAME', description: 'only this node (repeat)' }],
    async run(ctx) {
      const nodes = ctx.args.list('node');
      const body = validate(
        gatewayRolloutRequestSchema,
        {
          version: parseInteger(ctx.arg(1), 'VERSION', 1, Number.MAX_SAFE_INTEGER),
          ...(nodes.length > 0 ? { nodes } : {}),
        },
        'rollout',
      );
      const r = await (
        await ctx.client()
      ).post<{ version: number; nodes: string[] | null }>(`${gw(ctx.arg(0))}/rollout`, body);
      return show(ctx, r, () =>
        ctx.out.line(
          `version ${r.version} rolled out to ${r.nodes ? `node(s) ${r.nodes.join(', ')}` : 'every node'}`,
        ),
      );
    },
  },
  {
    name: 'gateways versions',
    usage: 'GATEWAY [--kind config|endpoints] [--limit N]',
    summary: 'configuration versions of a gateway, newest first',
    positionals: { min: 1, max: 1 },
    options: [
      { name: 'kind', kind: 'string', value: 'KIND', description: 'config or endpoints' },
      limitOption,
    ],
    async run(ctx) {
      const page = await (
        await ctx.client()
      ).list<GatewayVersion>(
        `${gw(ctx.arg(0))}/versions`,
        { kind: ctx.args.string('kind') },
        limitOf(ctx) ?? 50,
      );
      return show(ctx, page, () => ctx.out.table(page.items, versionColumns, 'no versions'));
    },
  },
  {
    name: 'gateways diff',
    usage: 'GATEWAY A B',
    summary: 'line diff between two versions',
    positionals: { min: 3, max: 3 },
    async run(ctx) {
      const n = (i: number) => parseInteger(ctx.arg(i), 'version', 1, Number.MAX_SAFE_INTEGER);
      const r = await (
        await ctx.client()
      ).get<{ diff: string }>(`${gw(ctx.arg(0))}/versions/${n(1)}/diff/${n(2)}`);
      return show(ctx, r, () => ctx.out.line(r.diff || '(no difference)'));
    },
  },
  {
    name: 'gateways rollback',
    usage: 'GATEWAY VERSION [--reason TEXT]',
    summary: 'apply the routes of an older version again (recorded as a new version)',
    positionals: { min: 2, max: 2 },
    options: [reasonOption],
    async run(ctx) {
      const n = parseInteger(ctx.arg(1), 'VERSION', 1, Number.MAX_SAFE_INTEGER);
      const r = await (
        await ctx.client()
      ).post<{ gatewayVersion: { number: number } | null }>(
        `${gw(ctx.arg(0))}/versions/${n}/rollback`,
        ctx.args.string('reason') ? { reason: ctx.args.string('reason') } : {},
      );
      return show(ctx, r, () =>
        ctx.out.line(
          `rolled back to version ${n}${r.gatewayVersion ? ` as version ${r.gatewayVersion.number}` : ''}`,
        ),
      );
    },
  },
  {
    name: 'routes list',
    usage: '[-p PROJECT] [-e ENV] [--limit N]',
    summary: 'list the routes of a project in an environment',
    positionals: { min: 0, max: 0 },
    scoped: true,
    options: [limitOption],
    async run(ctx) {
      const page = await (await ctx.client()).list<Route>(routesPath(ctx), {}, limitOf(ctx));
      return show(ctx, page, () => {
        ctx.out.table(page.items, routeColumns, 'no routes');
        for (const r of page.items)
          for (const v of r.violations ?? []) ctx.out.warn(`route ${r.name}: ${v.message}`);
      });
    },
  },
  {
    name: 'routes get',
    usage: 'ROUTE [-p PROJECT] [-e ENV]',
    summary: 'show a route',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const r = await (await ctx.client()).get<Route>(`${routesPath(ctx)}/${encodeURIComponent(ctx.arg(0))}`);
      return show(ctx, r, () => ctx.out.printJson(r));
    },
  },
  {
    name: 'routes create',
    usage: 'ROUTE --host HOST (--service NAME [--port P] | --vm ADDR[:W] ...) [options] | -f route.json',
    summary: 'create a route (validated by Nginx before it is stored)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: routeOptions,
    async run(ctx) {
      const spec = routeSpec(ctx, (await readJsonFile(ctx, 'a route spec')) ?? {});
      const body = validate(
        createRouteRequestSchema,
        {
          name: ctx.arg(0),
          spec,
          ...(ctx.args.string('reason') ? { reason: ctx.args.string('reason') } : {}),
        },
        'route',
      );
      const r = await (
        await ctx.client()
      ).post<{ route: Route; gatewayVersion: { number: number } | null }>(routesPath(ctx), body);
      return show(ctx, r, () => ctx.out.line(routeText(r, 'created')));
    },
  },
  {
    name: 'routes update',
    usage: 'ROUTE [route options] [-f route.json]',
    summary: 'change a route (flags change the fields they name; -f replaces the spec)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: routeOptions,
    async run(ctx) {
      const c = await ctx.client();
      const path = `${routesPath(ctx)}/${encodeURIComponent(ctx.arg(0))}`;
      const cur = await c.get<Route>(path);
      const spec = routeSpec(ctx, (await readJsonFile(ctx, 'a route spec')) ?? cur.spec);
      const body = validate(
        updateRouteRequestSchema,
        {
          version: cur.version,
          spec,
          ...(ctx.args.string('reason') ? { reason: ctx.args.string('reason') } : {}),
        },
        'route',
      );
      const r = await c.put<{ route: Route; gatewayVersion: { number: number } | null }>(path, body);
      return show(ctx, r, () => ctx.out.line(routeText(r, 'updated')));
    },
  },
  {
    name: 'routes delete',
    usage: 'ROUTE [-p PROJECT] [-e ENV]',
    summary: 'delete a route',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      await (await ctx.client()).delete(`${routesPath(ctx)}/${encodeURIComponent(ctx.arg(0))}`);
      return show(ctx, { deleted: ctx.arg(0) }, () => ctx.out.line(`route ${ctx.arg(0)} deleted`));
    },
  },
  {
    name: 'routes canary',
    usage:
      'ROUTE (--percent P | --header NAME=VALUE | --cookie NAME=VALUE) (--to-service NAME | --to-release N [--replicas K])',
    summary: 'send a share of a route’s requests, or matching ones, to another service or release',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      { name: 'percent', kind: 'string', value: 'P', description: 'share of requests, 0-100' },
      { name: 'header', kind: 'string', value: 'NAME=VALUE', description: 'requests with this header value' },
      { name: 'cookie', kind: 'string', value: 'NAME=VALUE', description: 'requests with this cookie value' },
      { name: 'to-service', kind: 'string', value: 'NAME', description: 'the canary service' },
      {
        name: 'to-release',
        kind: 'string',
        value: 'N',
        description: 'another release of the route’s service; Berth runs its containers beside',
      },
      {
        name: 'replicas',
        kind: 'string',
        value: 'K',
        description: 'canary containers of that release, 1-10 (1)',
      },
      reasonOption,
    ],
    run: routeCanary,
  },
  canaryAction('promote'),
  canaryAction('abort'),
];
