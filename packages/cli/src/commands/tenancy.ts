import {
  createDomainRequestSchema,
  createNetworkRequestSchema,
  ownerText,
  type AllowedNetwork,
  type DomainZone,
  type Owner,
} from '@berth/shared';
import type { OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { validate } from '../errors';
import { formatAge, type Column } from '../output';

const ownerOptions: OptionSpec[] = [
  { name: 'team', kind: 'string', value: 'TEAM', description: 'the owner is this team (all its projects)' },
  { name: 'project', kind: 'string', value: 'PROJECT', description: 'the owner is this project' },
];

const zoneColumns: Column<DomainZone>[] = [
  { header: 'ZONE', value: (z) => z.zone },
  { header: 'OWNER', value: (z) => ownerText(z.owner) },
  { header: 'BY', value: (z) => z.createdBy },
  { header: 'AGE', value: (z) => formatAge(z.createdAt) },
];
const networkColumns: Column<AllowedNetwork>[] = [
  { header: 'CIDR', value: (n) => n.cidr },
  { header: 'OWNER', value: (n) => ownerText(n.owner) },
  { header: 'BY', value: (n) => n.createdBy },
  { header: 'AGE', value: (n) => formatAge(n.createdAt) },
];

/** --team T or --project P (exactly one when `required`). */
function ownerOf(ctx: CommandContext, required: boolean): Owner | null {
  const team = ctx.args.string('team');
  const project = ctx.args.string('project');
  if (team && project) throw ctx.usageError('give --team TEAM or --project PROJECT, not both');
  if (team) return { kind: 'team', name: team };
  if (project) return { kind: 'project', name: project };
  if (required) throw ctx.usageError('an owner is needed: --team TEAM or --project PROJECT');
  return null;
}

function show(ctx: CommandContext, value: unknown, text: () => void): number {
  if (ctx.out.json) ctx.out.printJson(value);
  else text();
  return 0;
}

/** domains (zones route hosts must lie in) and networks (where VM backends may be). */
export const tenancyCommands: CommandDef[] = [
  {
    name: 'domains list',
    usage: '',
    summary: 'list domain zones (platform admins: all; others: their projects’ and teams’)',
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const page = await (await ctx.client()).get<{ items: DomainZone[] }>('/api/v1/domains');
      return show(ctx, page, () => ctx.out.table(page.items, zoneColumns, 'no domain zones'));
    },
  },
  {
    name: 'domains add',
    usage: 'ZONE --team TEAM | --project PROJECT',
    summary: "assign a DNS zone to a team or project (platform admins); its routes' hosts may lie in it",
    positionals: { min: 1, max: 1 },
    options: ownerOptions,
    async run(ctx) {
      const body = validate(
        createDomainRequestSchema,
        { zone: ctx.arg(0), owner: ownerOf(ctx, true) },
        'domain zone',
      );
      const z = await (await ctx.client()).post<DomainZone>('/api/v1/domains', body);
      return show(ctx, z, () => ctx.out.line(`zone ${z.zone} assigned to ${ownerText(z.owner)}`));
    },
  },
  {
    name: 'domains remove',
    usage: 'ZONE',
    summary: 'remove a zone assignment (routes in it stay, flagged)',
    positionals: { min: 1, max: 1 },
    async run(ctx) {
      const zone = ctx.arg(0);
      await (await ctx.client()).delete(`/api/v1/domains/${encodeURIComponent(zone)}`);
      return show(ctx, { removed: zone }, () => ctx.out.line(`zone ${zone} removed`));
    },
  },
  {
    name: 'networks list',
    usage: '',
    summary: 'list networks allowed for route VM backends',
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const page = await (await ctx.client()).get<{ items: AllowedNetwork[] }>('/api/v1/networks');
      return show(ctx, page, () => ctx.out.table(page.items, networkColumns, 'no allowed networks'));
    },
  },
  {
    name: 'networks add',
    usage: 'CIDR --team TEAM | --project PROJECT',
    summary: "allow a network for a team's or project's route VM backends (platform admins)",
    positionals: { min: 1, max: 1 },
    options: ownerOptions,
    async run(ctx) {
      const body = validate(
        createNetworkRequestSchema,
        { cidr: ctx.arg(0), owner: ownerOf(ctx, true) },
        'allowed network',
      );
      const n = await (await ctx.client()).post<AllowedNetwork>('/api/v1/networks', body);
      return show(ctx, n, () => ctx.out.line(`network ${n.cidr} allowed for ${ownerText(n.owner)}`));
    },
  },
  {
    name: 'networks remove',
    usage: 'CIDR [--team TEAM | --project PROJECT]',
    summary: "remove an allowed network (every owner's grant, or only the given owner's)",
    positionals: { min: 1, max: 1 },
    options: ownerOptions,
    async run(ctx) {
      const cidr = ctx.arg(0);
      const owner = ownerOf(ctx, false);
      const query = owner ? `?${owner.kind}=${encodeURIComponent(owner.name)}` : '';
      await (await ctx.client()).delete(`/api/v1/networks/${encodeURIComponent(cidr)}${query}`);
      return show(ctx, { removed: cidr }, () => ctx.out.line(`network ${cidr} removed`));
    },
  },
];
