import { parseInteger, type OptionSpec } from '../args';
import type { CommandContext } from '../context';

/** `--limit N`: how many items to read (default: all, or the API's default page). */
export const limitOption: OptionSpec = {
  name: 'limit',
  kind: 'string',
  value: 'N',
  description: 'read at most N items',
};

/** The value of `--limit`, checked against the API's range. */
export function limitOf(ctx: CommandContext): number | undefined {
  const value = ctx.args.string('limit');
  return value === undefined ? undefined : parseInteger(value, '--limit', 1, 500);
}

/** `--display-name TEXT` */
export const displayNameOption: OptionSpec = {
  name: 'display-name',
  kind: 'string',
  value: 'TEXT',
  description: 'a human-readable name (any text)',
};

/** Prints where the next page starts when a list was cut short. */
export function notePaging(ctx: CommandContext, nextCursor: string | null): void {
  if (nextCursor && !ctx.out.json) ctx.io.stderr.write(`(more: repeat with --cursor ${nextCursor})\n`);
}
