import type { Readable, Writable } from 'node:stream';
import { ApiClient } from './api-client';
import type { OptionSpec, ParsedArgs } from './args';
import { ConfigStore, configPath, resolveConnection } from './config-store';
import { CliError, UsageError } from './errors';
import { Output, type OutputMode } from './output';

/**
 * The process around a command, passed in so that tests can drive the CLI: streams and the
 * environment. Nothing in the CLI reads `process.env` or `process.stdin` directly.
 */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  env: Readonly<Record<string, string | undefined>>;
}

/** A command of the `berth` CLI. */
export interface CommandDef {
  /** The command words, e.g. `services create`. */
  name: string;
  /** What follows the command words in the usage line, e.g. `NAME --image IMG [options]`. */
  usage: string;
  summary: string;
  /** Positional arguments allowed (after the command words). */
  positionals: { min: number; max: number };
  options?: OptionSpec[];
  /** Keeps what follows `--` apart (in `args.rest`) instead of adding it to the positionals. */
  takesRest?: boolean;
  /** Adds -p/--project and -e/--env. */
  scoped?: boolean;
  /** The command starts a task: adds --no-wait and --reason. */
  startsTask?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

/** Everything a command needs: parsed arguments, output, config and the API client. */
export class CommandContext {
  readonly out: Output;
  readonly store: ConfigStore;

  constructor(
    readonly io: CliIo,
    readonly args: ParsedArgs,
    readonly command: CommandDef,
  ) {
    this.out = new Output(outputMode(args.string('output')), io.stdout, io.stderr);
    this.store = new ConfigStore(configPath(io.env));
  }

  /** The positional argument at `index` (the command declares how many it takes). */
  arg(index: number): string {
    const value = this.args.positionals[index];
    if (value === undefined) throw this.usageError('missing argument');
    return value;
  }

  /** The positional argument at `index`, or undefined. */
  optionalArg(index: number): string | undefined {
    return this.args.positionals[index];
  }

  /** The project from -p/--project or BERTH_PROJECT. */
  project(): string {
    const project = this.args.string('project') ?? this.io.env.BERTH_PROJECT;
    if (!project) throw this.usageError('a project is needed: pass -p/--project NAME or set BERTH_PROJECT');
    return project;
  }

  /** The environment from -e/--env (--environment) or BERTH_ENV; `test` by default. */
  env(): string {
    return this.args.string('environment') ?? this.args.string('env') ?? this.io.env.BERTH_ENV ?? 'test';
  }

  /** Whether to wait for the task a command starts (`--no-wait` says no). */
  get wait(): boolean {
    return this.args.bool('wait', true);
  }

  /** A client for the configured server; CliError when there is no server or token. */
  async client(): Promise<ApiClient> {
    const conn = resolveConnection(await this.store.load(), this.io.env, this.store.file);
    if (!conn.url || !conn.token) {
      throw new CliError(
        'not logged in: run "berth login <url> --username NAME" or set BERTH_URL and BERTH_TOKEN',
      );
    }
    return new ApiClient({ baseUrl: conn.url, token: conn.token });
  }

  /** The usage line of this command. */
  usage(): string {
    return usageLine(this.command);
  }

  /** A UsageError carrying this command's usage line. */
  usageError(message: string): UsageError {
    return new UsageError(message, this.usage());
  }
}

/** `berth <name> <usage>` */
export function usageLine(command: CommandDef): string {
  return `berth ${command.name}${command.usage ? ` ${command.usage}` : ''}`;
}

function outputMode(value: string | undefined): OutputMode {
  if (value === undefined || value === 'text' || value === 'table') return 'text';
  if (value === 'json') return 'json';
  throw new UsageError(`--output must be json or text, got "${value}"`);
}
