import { autoscaleSpecSchema, type AutoscaleDecision, type AutoscaleState } from '@berth/shared';
import { servicePath } from '../api-client';
import { parseInteger } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';

const one = { min: 1, max: 1 };

function printState(ctx: CommandContext, state: AutoscaleState, decisions: AutoscaleDecision[]): void {
  const a = state.autoscale;
  if (!a) ctx.out.line('autoscaling: off');
  else {
    const metric = typeof a.metric === 'object' ? `promql ${a.metric.promql}` : a.metric;
    ctx.out.line(
      `autoscaling: ${a.min}–${a.max} replicas on ${metric} at ${a.target}, every ${a.intervalSeconds} s`,
    );
    ctx.out.line(
      `scale-down window: ${state.behavior?.scaleDown.stabilizationWindowSeconds} s; scale-up window: ${state.behavior?.scaleUp.stabilizationWindowSeconds} s`,
    );
  }
  ctx.out.line(`replicas: ${state.currentReplicas} now, ${state.desiredReplicas ?? '-'} desired`);
  if (state.held) ctx.out.line(`HELD: ${state.held}`);
  ctx.out.table(
    decisions,
    [
      { header: 'AT', value: (d) => d.at },
      { header: 'OUTCOME', value: (d) => d.outcome },
      { header: 'REPLICAS', value: (d) => `${d.currentReplicas}→${d.desiredReplicas}` },
      {
        header: 'METRIC',
        value: (d) => (d.metricValue === null ? '-' : String(Math.round(d.metricValue * 100) / 100)),
      },
      { header: 'REASON', value: (d) => d.reason },
    ],
    'no decisions yet',
  );
}

/** services autoscale (show), autoscale-set, autoscale-off (docs/autoscaling.md). */
export const autoscaleCommands: CommandDef[] = [
  {
    name: 'services autoscale',
    usage: 'NAME -p PROJECT [-e ENV] [--limit N]',
    summary: "a service's autoscaling: settings, replicas now and desired, why it holds, recent decisions",
    positionals: one,
    scoped: true,
    options: [{ name: 'limit', kind: 'string', value: 'N', description: 'decisions to show (default 10)' }],
    async run(ctx) {
      const limitFlag = ctx.args.string('limit');
      const limit = limitFlag === undefined ? 10 : parseInteger(limitFlag, '--limit', 1, 2000);
      const client = await ctx.client();
      const path = servicePath(ctx.project(), ctx.env(), ctx.arg(0), '/autoscale');
      const state = await client.get<AutoscaleState>(path);
      const decisions = (await client.get<{ items: AutoscaleDecision[] }>(`${path}/decisions?limit=${limit}`))
        .items;
      if (ctx.out.json) ctx.out.printJson({ ...state, decisions });
      else printState(ctx, state, decisions);
      return 0;
    },
  },
  {
    name: 'services autoscale-set',
    usage:
      'NAME -p PROJECT --min N --max N --metric cpu|memory|rps --target T [--promql EXPR] [--interval S] [--scale-down-window S] [--scale-up-window S]',
    summary:
      'autoscale a service on cpu or memory (% of the limit), rps (per replica) or a PromQL total (platform admins)',
    positionals: one,
    scoped: true,
    options: [
      { name: 'min', kind: 'string', value: 'N', description: 'fewest replicas (1 or more)' },
      { name: 'max', kind: 'string', value: 'N', description: 'most replicas' },
      { name: 'metric', kind: 'string', value: 'M', description: 'cpu, memory or rps (or use --promql)' },
      {
        name: 'promql',
        kind: 'string',
        value: 'EXPR',
        description: 'a PromQL expression whose value is the total',
      },
      {
        name: 'target',
        kind: 'string',
        value: 'T',
        description: 'per replica: percent (cpu, memory), rps, or PromQL value',
      },
      {
        name: 'interval',
        kind: 'string',
        value: 'S',
        description: 'seconds between decisions (default 30, at least 5)',
      },
      {
        name: 'scale-down-window',
        kind: 'string',
        value: 'S',
        description: 'scale-down stabilisation window (default 300)',
      },
      {
        name: 'scale-up-window',
        kind: 'string',
        value: 'S',
        description: 'scale-up stabilisation window (default 0)',
      },
    ],
    async run(ctx) {
      const need = (name: string) => {
        const v = ctx.args.string(name);
        if (v === undefined) throw new CliError(`--${name} is required`);
        return v;
      };
      const promql = ctx.args.string('promql');
      const metric = promql !== undefined ? { promql } : need('metric');
      const target = Number(need('target'));
      if (!Number.isFinite(target)) throw new CliError('--target must be a number such as 70');
      const num = (name: string) => {
        const v = ctx.args.string(name);
        return v === undefined ? undefined : parseInteger(v, `--${name}`, 0, 3600);
      };
      const down = num('scale-down-window');
      const up = num('scale-up-window');
      const body = {
        min: parseInteger(need('min'), '--min', 1, 100),
        max: parseInteger(need('max'), '--max', 1, 100),
        metric,
        target,
        ...(num('interval') !== undefined ? { intervalSeconds: num('interval') } : {}),
        ...(down !== undefined || up !== undefined
          ? {
              behavior: {
                ...(down !== undefined ? { scaleDown: { stabilizationWindowSeconds: down } } : {}),
                ...(up !== undefined ? { scaleUp: { stabilizationWindowSeconds: up } } : {}),
              },
            }
          : {}),
      };
      validate(autoscaleSpecSchema, body, 'autoscale');
      const client = await ctx.client();
      const path = servicePath(ctx.project(), ctx.env(), ctx.arg(0), '/autoscale');
      const state = await client.put<AutoscaleState>(path, { autoscale: body });
      if (ctx.out.json) ctx.out.printJson(state);
      else printState(ctx, state, []);
      return 0;
    },
  },
  {
    name: 'services autoscale-off',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: 'turn autoscaling off (the replicas stay as they are; the decision log is kept)',
    positionals: one,
    scoped: true,
    async run(ctx) {
      const path = servicePath(ctx.project(), ctx.env(), ctx.arg(0), '/autoscale');
      await (await ctx.client()).put<AutoscaleState>(path, { autoscale: null });
      ctx.out.line(`autoscaling of ${ctx.arg(0)} is off`);
      return 0;
    },
  },
];
