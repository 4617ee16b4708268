import {
  emptyActionSchema,
  promoteRequestSchema,
  rollbackRequestSchema,
  scaleRequestSchema,
} from '@berth/shared';
import { servicePath } from '../api-client';
import { parseInteger } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { validate, type SchemaLike } from '../errors';
import { finishServiceTask, reasonOption, updateService, type ServiceTaskResponse } from './services';

/** Validates an action body, POSTs it to `…/services/NAME/<action>` and waits for the task. */
async function act(
  ctx: CommandContext,
  action: string,
  schema: SchemaLike<unknown>,
  body: Record<string, unknown>,
  done: string,
): Promise<number> {
  validate(schema, body, `${action} request`);
  const path = servicePath(ctx.project(), ctx.env(), ctx.arg(0), `/${action}`);
  const response = await (await ctx.client()).post<ServiceTaskResponse>(path, body);
  return finishServiceTask(ctx, response, done);
}

function releaseOf(ctx: CommandContext): number | undefined {
  const value = ctx.args.string('release');
  return value === undefined ? undefined : parseInteger(value, '--release', 1, Number.MAX_SAFE_INTEGER);
}

const releaseOption = {
  name: 'release',
  kind: 'string' as const,
  value: 'N',
  description: 'the release number',
};
const one = { min: 1, max: 1 };
const base = { positionals: one, scoped: true, startsTask: true };

/** A plain action without a body but an optional reason. */
function simple(name: string, summary: string, done: (service: string) => string): CommandDef {
  return {
    ...base,
    name,
    usage: 'NAME',
    summary,
    options: [reasonOption],
    run: (ctx) => act(ctx, name, emptyActionSchema, { reason: ctx.args.string('reason') }, done(ctx.arg(0))),
  };
}

/** deploy, scale, restart, stop, start, rollback, promote */
export const actionCommands: CommandDef[] = [
  {
    ...base,
    name: 'deploy',
    usage: 'NAME --image IMG',
    summary: 'roll a service to a new image (a new release)',
    options: [{ name: 'image', kind: 'string', value: 'IMG', description: 'the new image' }, reasonOption],
    run: (ctx) => {
      if (!ctx.args.has('image')) throw ctx.usageError('--image is required');
      return updateService(ctx, ctx.arg(0));
    },
  },
  {
    ...base,
    name: 'scale',
    usage: 'NAME REPLICAS',
    summary: 'set the number of containers',
    positionals: { min: 2, max: 2 },
    run: (ctx) => {
      const replicas = parseInteger(ctx.arg(1), 'REPLICAS', 0, 100);
      return act(
        ctx,
        'scale',
        scaleRequestSchema,
        { replicas },
        `service ${ctx.arg(0)} scaled to ${replicas}`,
      );
    },
  },
  simple('restart', 'restart every container, one batch at a time', (s) => `service ${s} restarted`),
  simple('stop', 'stop every container (the replica count is kept)', (s) => `service ${s} stopped`),
  simple('start', 'start a stopped service', (s) => `service ${s} started`),
  {
    ...base,
    name: 'rollback',
    usage: 'NAME [--release N]',
    summary: 'roll back to an earlier release (default: the previous good one)',
    options: [releaseOption, reasonOption],
    run: (ctx) =>
      act(
        ctx,
        'rollback',
        rollbackRequestSchema,
        { release: releaseOf(ctx), reason: ctx.args.string('reason') },
        `service ${ctx.arg(0)} rolled back`,
      ),
  },
  {
    ...base,
    name: 'promote',
    usage: 'NAME [--release N] [--to ENV]',
    summary: 'deploy a release of the service to another environment (default prod)',
    options: [
      releaseOption,
      { name: 'to', kind: 'string', value: 'ENV', description: 'target environment (default prod)' },
      reasonOption,
    ],
    run: (ctx) => {
      const toEnv = ctx.args.string('to') ?? 'prod';
      const body = { release: releaseOf(ctx), toEnv, reason: ctx.args.string('reason') };
      return act(ctx, 'promote', promoteRequestSchema, body, `service ${ctx.arg(0)} promoted to ${toEnv}`);
    },
  },
];
