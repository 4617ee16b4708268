import type { PlacementMove } from '@berth/shared';
import type { CommandDef } from '../context';
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

/** fleet …: what the fleet controller is doing across clusters. */
export const fleetCommands: CommandDef[] = [
  {
    name: 'fleet moves',
    usage: '',
    summary:
      'services whose replicas are moving between clusters: failover, move back, drain, placement change',
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const moves = await (await ctx.client()).get<{ items: PlacementMove[] }>('/api/v1/fleet/moves');
      if (ctx.out.json) ctx.out.printJson(moves);
      else ctx.out.table(moves.items, moveColumns, 'No replicas are moving.');
      return 0;
    },
  },
];
