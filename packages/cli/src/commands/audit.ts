import type { AuditEvent } from '@berth/shared';
import type { CommandContext, CommandDef } from '../context';
import { UsageError } from '../errors';
import { formatTime, type Column } from '../output';
import { limitOf, limitOption, notePaging } from './common';

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time for the audit filters, which take RFC 3339: passes RFC 3339 through and turns
 * a duration (`10m`, `1h30m`, `2d`) into the time that long before `now`.
 */
export function auditTime(value: string, flag: string, now: number = Date.now()): string {
  if (/^(\d+(ms|s|m|h|d))+$/.test(value)) {
    let ms = 0;
    for (const m of value.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(m[1]) * unitMs[m[2]!]!;
    return new Date(now - ms).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) return value;
  throw new UsageError(`${flag}: "${value}" must be a duration such as 10m, 2d or an RFC 3339 time`);
}

const auditColumns: Column<AuditEvent>[] = [
  { header: 'TIME', value: (e) => formatTime(e.at) },
  { header: 'ACTOR', value: (e) => e.actor },
  { header: 'ACTION', value: (e) => e.action },
  { header: 'TARGET', value: (e) => e.target },
  { header: 'RESULT', value: (e) => e.result },
  { header: 'STATUS', value: (e) => e.statusCode, align: 'right' },
  { header: 'MESSAGE', value: (e) => e.message },
];

async function audit(ctx: CommandContext): Promise<number> {
  const time = (flag: string) => {
    const v = ctx.args.string(flag);
    return v === undefined ? undefined : auditTime(v, `--${flag}`);
  };
  const query = {
    actor: ctx.args.string('actor'),
    action: ctx.args.string('action'),
    target: ctx.args.string('target'),
    result: ctx.args.string('result'),
    project: ctx.args.string('project'),
    since: time('since'),
    until: time('until'),
    cursor: ctx.args.string('cursor'),
    limit: limitOf(ctx) ?? 50,
  };
  const page = await (
    await ctx.client()
  ).get<{ items: AuditEvent[]; nextCursor: string | null }>('/api/v1/audit', query);
  if (ctx.out.json) {
    ctx.out.printJson(page);
    return 0;
  }
  ctx.out.table(page.items, auditColumns, 'no audit events');
  notePaging(ctx, page.nextCursor);
  return 0;
}

/** audit */
export const auditCommands: CommandDef[] = [
  {
    name: 'audit',
    usage: '[--actor NAME] [--action ACTION] [--target TARGET] [--since 1h] [--until TIME] [--limit N]',
    summary: 'list audit events, newest first (a trailing * in a filter matches a prefix)',
    positionals: { min: 0, max: 0 },
    options: [
      { name: 'actor', kind: 'string', value: 'NAME', description: 'who did it' },
      {
        name: 'action',
        kind: 'string',
        value: 'ACTION',
        description: 'e.g. services.scale, or services. for all service actions',
      },
      {
        name: 'target',
        kind: 'string',
        value: 'TARGET',
        description: 'e.g. shop/test/web, or shop/ for a whole project',
      },
      { name: 'result', kind: 'string', value: 'RESULT', description: 'success, denied or failure' },
      { name: 'project', short: 'p', kind: 'string', value: 'PROJECT', description: 'events of one project' },
      {
        name: 'since',
        kind: 'string',
        value: 'WHEN',
        description: 'from a duration ago (1h) or an RFC 3339 time',
      },
      {
        name: 'until',
        kind: 'string',
        value: 'WHEN',
        description: 'before a duration ago or an RFC 3339 time',
      },
      { name: 'cursor', kind: 'string', value: 'CURSOR', description: 'continue a previous listing' },
      limitOption,
    ],
    run: audit,
  },
];
