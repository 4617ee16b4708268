import { readFile } from 'node:fs/promises';
import { placementSchema, type PlacementPreview } from '@berth/shared';
import { servicePath } from '../api-client';
import { parseInteger } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';

/** `--placement` as inline JSON (starts with "{" or is "all") or a file holding it. */
async function readPlacement(value: string): Promise<unknown> {
  const trimmed = value.trim();
  let text = trimmed;
  if (!trimmed.startsWith('{')) {
    try {
      text = await readFile(value, 'utf8');
    } catch (err) {
      throw new CliError(
        `--placement: cannot read ${value}: ${(err as Error).message} (give a file or inline JSON such as '{"clusters": "all"}')`,
      );
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`--placement is not valid JSON: ${(err as Error).message}`);
  }
}

function printPreview(ctx: CommandContext, preview: PlacementPreview): void {
  ctx.out.table(
    preview.items,
    [
      { header: 'CLUSTER', value: (i) => i.cluster },
      { header: 'REPLICAS', value: (i) => String(i.replicas) },
      { header: 'CURRENT', value: (i) => String(i.current) },
      { header: 'REASON', value: (i) => i.reason ?? '' },
    ],
    'no clusters',
  );
  if (preview.unplaced > 0) ctx.out.line(`unplaced: ${preview.unplaced} replicas fit on no cluster`);
  if (preview.refused) ctx.out.line(`refused today: ${preview.refused}`);
}

/** services placement-preview: where a service's replicas would run. */
export const placementCommands: CommandDef[] = [
  {
    name: 'services placement-preview',
    usage: 'NAME -p PROJECT [-e ENV] [--replicas N] [--placement FILE|JSON]',
    summary: "where a service's replicas would run per cluster (its own placement and count by default)",
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: [
      {
        name: 'replicas',
        kind: 'string',
        value: 'N',
        description: 'the replica count to divide (default: the service’s)',
      },
      {
        name: 'placement',
        kind: 'string',
        value: 'FILE|JSON',
        description:
          'a placement such as \'{"clusters":[{"name":"local","weight":1}],"division":"weighted"}\'',
      },
    ],
    async run(ctx) {
      const replicasFlag = ctx.args.string('replicas');
      const placementFlag = ctx.args.string('placement');
      const body: { replicas?: number; placement?: unknown } = {};
      if (replicasFlag !== undefined) body.replicas = parseInteger(replicasFlag, '--replicas', 0, 100);
      if (placementFlag !== undefined)
        body.placement = validate(placementSchema, await readPlacement(placementFlag), 'placement');
      const preview = await (
        await ctx.client()
      ).post<PlacementPreview>(servicePath(ctx.project(), ctx.env(), ctx.arg(0), '/placement-preview'), body);
      if (ctx.out.json) ctx.out.printJson(preview);
      else printPreview(ctx, preview);
      return 0;
    },
  },
];
