import { fleetMovesQuerySchema, type FleetMovesQuery, type PlacementMove } from '@berth/shared';
import type { CommandContext, CommandDef } from '../context';
import { formatAge, type Column } from '../output';

/** The clusters of a move, each as `c7 2→0` (running now → wanted), in the division's order. */
export function movedReplicas(m: PlacementMove): string {
  const names: string[] = [];
  for (const name of [...Object.keys(m.targets), ...Object.keys(m.current), ...m.failedOver])
    if (!names.includes(name)) names.push(name);
  return names.map((c) => `${c} ${m.current[c] ?? 0}→${m.targets[c] ?? 0}`).join(', ');
}

export const moveColumns: Column<PlacementMove>[] = [
  { header: 'SERVICE', value: (m) => `${m.project}/${m.service}` },
  { header: 'ENV', value: (m) => m.env },
  { header: 'REPLICAS (NOW→WANTED)', value: movedReplicas },
  { header: 'FAILED OVER', value: (m) => m.failedOver.join(',') },
  { header: 'UNPLACED', value: (m) => m.unplaced, align: 'right' },
  { header: 'SINCE', value: (m) => formatAge(m.since) },
  { header: 'NOTES', value: (m) => m.notes.join('; ') },
];

/**
 * The filters of `fleet moves` (`--project`, `--env`, `--cluster`), checked with the API's own
 * schema so that a bad name is a usage error naming its flag before anything is sent. Only what
 * is given narrows: the fleet view does not take BERTH_PROJECT or BERTH_ENV.
 */
export function moveFilters(ctx: CommandContext): FleetMovesQuery {
  const given = {
    project: ctx.args.string('project'),
    env: ctx.args.string('env'),
    cluster: ctx.args.string('cluster'),
  };
  const parsed = fleetMovesQuerySchema.safeParse(given);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const flag = String(issue?.path[0] ?? 'project') as keyof typeof given;
  throw ctx.usageError(`--${flag}: "${given[flag] ?? ''}" ${issue?.message ?? 'is not a valid name'}`);
}

/** What the empty list says: nothing moves, or nothing moves where the filters look. */
export function noMovesText(filters: FleetMovesQuery): string {
  const where = (['project', 'env', 'cluster'] as const)
    .filter((k) => filters[k] !== undefined)
    .map((k) => `${k} ${filters[k]}`);
  return where.length ? `No replicas are moving (${where.join(', ')}).` : 'No replicas are moving.';
}

/** fleet …: what the fleet controller is doing across clusters. */
export const fleetCommands: CommandDef[] = [
  {
    name: 'fleet moves',
    usage: '[--project P] [--env E] [--cluster C]',
    summary:
      'services whose replicas are moving between clusters: failover, move back, drain, placement change',
    positionals: { min: 0, max: 0 },
    options: [
      {
        name: 'project',
        short: 'p',
        kind: 'string',
        value: 'PROJECT',
        description: 'only services of this project',
      },
      {
        name: 'env',
        short: 'e',
        kind: 'string',
        value: 'ENV',
        description: 'only services of this environment',
      },
      {
        name: 'cluster',
        kind: 'string',
        value: 'NAME',
        description: 'only services with replicas wanted, running or failed over on this cluster',
      },
    ],
    async run(ctx) {
      const filters = moveFilters(ctx);
      const moves = await (
        await ctx.client()
      ).get<{ items: PlacementMove[] }>('/api/v1/fleet/moves', filters);
      if (ctx.out.json) ctx.out.printJson(moves);
      else ctx.out.table(moves.items, moveColumns, noMovesText(filters));
      return 0;
    },
  },
];
