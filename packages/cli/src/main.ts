import { parseArgs, splitCommandWords } from './args';
import { commands } from './commands/index';
import { CommandContext, usageLine, type CliIo, type CommandDef } from './context';
import { CliError, UsageError } from './errors';
import { commandHelp, globalOptions, optionsOf, overviewHelp, scopeOptions } from './help';
import { sanitize } from './output';

export type { CliIo } from './context';

const generalUsage = 'berth <command> [options]   (berth --help lists the commands)';

type Lookup = { command: CommandDef; words: number } | { group: string } | null;

function lookup(words: readonly string[]): Lookup {
  const [first, second] = words;
  const two = commands.find((c) => c.name === `${first} ${second}`);
  if (two) return { command: two, words: 2 };
  const one = commands.find((c) => c.name === first);
  if (one) return { command: one, words: 1 };
  if (commands.some((c) => c.name.startsWith(`${first} `))) return { group: first! };
  return null;
}

function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Prints a failure: `error: <message>`, field errors indented, and the usage line for usage errors. */
function report(err: unknown, io: CliIo): number {
  if (err instanceof CliError) {
    io.stderr.write(`error: ${sanitize(err.message)}\n`);
    for (const f of err.fields) io.stderr.write(`  ${sanitize(f.path)}: ${sanitize(f.message)}\n`);
    if (err instanceof UsageError) io.stderr.write(`usage: ${err.usage ?? generalUsage}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  io.stderr.write(`error: ${sanitize(e.message)}\n`);
  if (io.env.BERTH_DEBUG) io.stderr.write(`${e.stack ?? ''}\n`);
  return 1;
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const valueOptions = [
    ...globalOptions,
    ...scopeOptions,
    { name: 'environment', kind: 'string' as const, description: '' },
  ];
  const { words } = splitCommandWords(argv, valueOptions, 2);
  if (words.length === 0) {
    if (wantsHelp(argv)) {
      io.stdout.write(overviewHelp(commands));
      return 0;
    }
    io.stderr.write(overviewHelp(commands));
    return 2;
  }
  const found = lookup(words);
  if (found === null) throw new UsageError(`unknown command "${words[0]}"`);
  if ('group' in found) {
    if (wantsHelp(argv) && words.length === 1) {
      io.stdout.write(overviewHelp(commands, found.group));
      return 0;
    }
    const subs = commands
      .filter((c) => c.name.startsWith(`${found.group} `))
      .map((c) => c.name.split(' ')[1]);
    const problem = words[1] === undefined ? 'needs a subcommand' : `has no subcommand "${words[1]}"`;
    throw new UsageError(
      `berth ${found.group} ${problem}: ${subs.join(', ')}`,
      `berth ${found.group} <subcommand> [options]`,
    );
  }
  const { command } = found;
  if (wantsHelp(argv)) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  const rest = splitCommandWords(argv, valueOptions, found.words).argv;
  let args;
  try {
    args = parseArgs(rest, optionsOf(command));
  } catch (err) {
    if (err instanceof UsageError) err.usage = usageLine(command);
    throw err;
  }
  if (!command.takesRest) args = args.withRestAsPositionals();
  const count = args.positionals.length;
  if (count < command.positionals.min) throw new UsageError('missing arguments', usageLine(command));
  if (count > command.positionals.max) {
    throw new UsageError(
      `unexpected argument "${args.positionals[command.positionals.max]}"`,
      usageLine(command),
    );
  }
  const ctx = new CommandContext(io, args, command);
  try {
    return await command.run(ctx);
  } catch (err) {
    if (err instanceof UsageError && err.usage === undefined) err.usage = usageLine(command);
    throw err;
  }
}

/**
 * Runs the CLI with `argv` (without the program name) against `io`; resolves with the exit code:
 * 0 on success, 1 on failure, 2 on a usage error, or the remote exit code of `exec`. Never calls
 * `process.exit` and reads nothing of the process but what `io` holds, so tests can drive it.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    return report(err, io);
  }
}
