import type { OptionSpec } from './args';
import { usageLine, type CommandDef } from './context';

/** Options every command takes. */
export const globalOptions: OptionSpec[] = [
  {
    name: 'output',
    short: 'o',
    kind: 'string',
    value: 'json|text',
    description: 'print the API JSON (json) or tables (text, the default)',
  },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show help' },
];

/** -p/--project and -e/--env, for commands that act on a project's services. */
export const scopeOptions: OptionSpec[] = [
  {
    name: 'project',
    short: 'p',
    kind: 'string',
    value: 'PROJECT',
    description: 'the project (or BERTH_PROJECT)',
  },
  {
    name: 'env',
    short: 'e',
    kind: 'string',
    value: 'ENV',
    description: 'the environment (or BERTH_ENV; default test)',
  },
];

/** --no-wait, for commands that start a task. */
export const waitOptions: OptionSpec[] = [
  {
    name: 'wait',
    kind: 'boolean',
    negatable: true,
    description: 'wait for the task (default); --no-wait prints the task id and returns',
  },
];

/**
 * Every option a command accepts, its own first. Where a command has its own `--env` (the
 * variables of a service spec), the environment is `-e` or `--environment`.
 */
export function optionsOf(command: CommandDef): OptionSpec[] {
  const own = command.options ?? [];
  const scope = own.some((o) => o.name === 'env')
    ? scopeOptions.map((o) => (o.name === 'env' ? { ...o, name: 'environment' } : o))
    : scopeOptions;
  return [
    ...own,
    ...(command.scoped ? scope : []),
    ...(command.startsTask ? waitOptions : []),
    ...globalOptions,
  ];
}

function optionLabel(o: OptionSpec): string {
  const long = o.negatable ? `--[no-]${o.name}` : `--${o.name}`;
  return `${o.short ? `-${o.short}, ` : '    '}${long}${o.value ? ` ${o.value}` : ''}`;
}

/** `berth <command> --help` */
export function commandHelp(command: CommandDef): string {
  const options = optionsOf(command);
  const width = Math.max(...options.map((o) => optionLabel(o).length));
  return [
    `usage: ${usageLine(command)}`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    '',
    'options:',
    ...options.map((o) => `  ${optionLabel(o).padEnd(width)}  ${o.description}`),
    '',
  ].join('\n');
}

/** `berth --help`, or the subcommands of a group (`berth services --help`). */
export function overviewHelp(commands: readonly CommandDef[], group?: string): string {
  const shown = group ? commands.filter((c) => c.name.startsWith(`${group} `)) : commands;
  const width = Math.max(...shown.map((c) => c.name.length));
  return [
    `usage: berth ${group ?? '<command>'} ${group ? '<subcommand> ' : ''}[options]`,
    '',
    group ? 'subcommands:' : 'commands:',
    ...shown.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run "berth ${group ? `${group} <subcommand>` : '<command>'} --help" for its options. Every command takes -o json.`,
    ...(group
      ? []
      : [
          'Environment: BERTH_URL, BERTH_TOKEN (override the login), BERTH_PROJECT, BERTH_ENV, BERTH_CLI_CONFIG (config file).',
        ]),
    '',
  ].join('\n');
}
