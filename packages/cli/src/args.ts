import { UsageError } from './errors';

/** `boolean` takes no value; `string` takes one (the last one wins); `list` may repeat. */
export type OptionKind = 'boolean' | 'string' | 'list';

/** One command-line option. */
export interface OptionSpec {
  /** Long name, without the leading `--`. */
  name: string;
  /** One-letter alias, without the leading `-`. */
  short?: string;
  kind: OptionKind;
  /** Placeholder of the value in help output, e.g. `N` or `IMG`. */
  value?: string;
  description: string;
  /** A boolean that also accepts `--no-<name>` (which sets it to false). */
  negatable?: boolean;
}

/** The result of parsing: positionals, option values and what followed `--`. */
export class ParsedArgs {
  constructor(
    readonly positionals: string[],
    private readonly values: ReadonlyMap<string, string | boolean | string[]>,
    /** Tokens after a `--` separator, or null when there was none. */
    readonly rest: string[] | null,
  ) {}

  /** Whether the option was given at all. */
  has(name: string): boolean {
    return this.values.has(name);
  }

  /** A boolean option; `fallback` when absent. */
  bool(name: string, fallback = false): boolean {
    const v = this.values.get(name);
    return typeof v === 'boolean' ? v : fallback;
  }

  /** A string option, or undefined when absent. */
  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  /** The same arguments with whatever followed `--` appended to the positionals. */
  withRestAsPositionals(): ParsedArgs {
    return this.rest === null ? this : new ParsedArgs([...this.positionals, ...this.rest], this.values, null);
  }

  /** Every value of a list option, in order; empty when absent. */
  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }
}

/**
 * Parses `argv` against `specs`. Rules: `--name value` and `--name=value`; `-x value`, `-xvalue`
 * and clusters of boolean short options (`-it`); `--no-name` for negatable booleans; a value is
 * taken as is even when it starts with `-` (`--command -c`); `--` ends options.
 * Throws UsageError for unknown options, missing values and values given to booleans.
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const values = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  let rest: string[] | null = null;

  const set = (spec: OptionSpec, value: string | boolean) => {
    if (spec.kind === 'list')
      values.set(spec.name, [...((values.get(spec.name) as string[] | undefined) ?? []), String(value)]);
    else values.set(spec.name, value);
  };

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const nextValue = (shown: string): string => {
      if (i + 1 >= argv.length) throw new UsageError(`option ${shown} needs a value`);
      i += 1;
      return argv[i]!;
    };

    if (token === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = token.slice(2, eq < 0 ? undefined : eq);
      const inline = eq < 0 ? undefined : token.slice(eq + 1);
      const spec = byLong.get(name);
      if (!spec) {
        const negated = name.startsWith('no-') ? byLong.get(name.slice(3)) : undefined;
        if (negated?.negatable && inline === undefined) {
          values.set(negated.name, false);
          continue;
        }
        throw new UsageError(`unknown option --${name}`);
      }
      if (spec.kind === 'boolean') {
        if (inline !== undefined) throw new UsageError(`option --${name} takes no value`);
        set(spec, true);
      } else {
        set(spec, inline ?? nextValue(`--${name}`));
      }
      continue;
    }
    if (token.startsWith('-') && token.length > 1) {
      for (let j = 1; j < token.length; j++) {
        const letter = token[j]!;
        const spec = byShort.get(letter);
        if (!spec)
          throw new UsageError(`unknown option -${letter}${token.length > 2 ? ` (in ${token})` : ''}`);
        if (spec.kind === 'boolean') {
          set(spec, true);
          continue;
        }
        const attached = token.slice(j + 1);
        set(spec, attached !== '' ? attached : nextValue(`-${letter}`));
        break;
      }
      continue;
    }
    positionals.push(token);
  }
  return new ParsedArgs(positionals, values, rest);
}

/**
 * Finds the command words (the first positionals) in a full command line, skipping the values
 * of the given global value-taking options, and returns them with the argv left without them.
 */
export function splitCommandWords(
  argv: readonly string[],
  valueOptions: readonly OptionSpec[],
  maxWords: number,
): { words: string[]; argv: string[] } {
  const takesValue = new Set<string>();
  for (const s of valueOptions) {
    if (s.kind === 'boolean') continue;
    takesValue.add(`--${s.name}`);
    if (s.short) takesValue.add(`-${s.short}`);
  }
  const wordIndexes: number[] = [];
  for (let i = 0; i < argv.length && wordIndexes.length < maxWords; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    if (token.startsWith('-') && token.length > 1) {
      if (takesValue.has(token)) i += 1;
      continue;
    }
    wordIndexes.push(i);
  }
  return {
    words: wordIndexes.map((i) => argv[i]!),
    argv: argv.filter((_, i) => !wordIndexes.includes(i)),
  };
}

/** Parses a whole number option or positional, with a usage error naming it. */
export function parseInteger(value: string, what: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${what} must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${what} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Parses a decimal number option, with a usage error naming it. */
export function parseDecimal(value: string, what: string): number {
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(value.trim()))
    throw new UsageError(`${what} must be a number such as 0.5, got "${value}"`);
  return Number(value);
}
