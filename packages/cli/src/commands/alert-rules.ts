import {
  alertRuleCreateSchema,
  alertRulePreviewSchema,
  alertTemplates,
  type AlertRule,
  type AlertRuleVersion,
} from '@berth/shared';
import { parseInteger, type OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';

const base = (ctx: CommandContext) =>
  `/api/v1/projects/${encodeURIComponent(ctx.project())}/envs/${encodeURIComponent(ctx.env())}/alert-rules`;

const ruleOptions: OptionSpec[] = [
  { name: 'template', kind: 'string', value: 'T', description: `one of ${alertTemplates.join(', ')}` },
  { name: 'service', kind: 'string', value: 'NAME', description: 'scope: a service of the environment' },
  { name: 'container', kind: 'string', value: 'NAME', description: 'scope: one container of --service' },
  { name: 'route', kind: 'string', value: 'NAME', description: 'scope: a route (http5xx, latency)' },
  { name: 'certificate', kind: 'string', value: 'NAME', description: 'scope: a certificate of the project' },
  { name: 'probe', kind: 'string', value: 'NAME', description: 'scope: a probe' },
  {
    name: 'threshold',
    kind: 'string',
    value: 'N',
    description: 'the template’s threshold (docs/alert-rules.md)',
  },
  {
    name: 'for',
    kind: 'string',
    value: 'DURATION',
    description: 'how long it must hold, e.g. 5m (default 1m)',
  },
  {
    name: 'window',
    kind: 'string',
    value: 'DURATION',
    description: 'rate window (restarts, oom, http5xx, latency)',
  },
  { name: 'quantile', kind: 'string', value: 'Q', description: 'latency quantile (default 0.95)' },
  { name: 'severity', kind: 'string', value: 'S', description: 'critical, warning (default) or info' },
  { name: 'label', kind: 'list', value: 'KEY=VALUE', description: 'a label of the alert; repeat for more' },
  { name: 'channel', kind: 'list', value: 'NAME', description: 'a channel of the project; repeat for more' },
  {
    name: 'promql',
    kind: 'string',
    value: 'EXPR',
    description: 'custom template: the expression (platform admins)',
  },
  { name: 'summary', kind: 'string', value: 'TEXT', description: 'the alert’s summary' },
  { name: 'disabled', kind: 'boolean', description: 'store the rule without evaluating it' },
];

function number(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new CliError(`${flag} ${raw}: not a number`, { exitCode: 2 });
  return n;
}

/** The rule fields of the flags. */
function ruleBody(ctx: CommandContext): Record<string, unknown> {
  const template = ctx.args.string('template');
  if (!template) throw ctx.usageError(`give --template (${alertTemplates.join(', ')})`);
  const scope: Record<string, string> = {};
  for (const k of ['service', 'container', 'route', 'certificate', 'probe']) {
    const v = ctx.args.string(k);
    if (v !== undefined) scope[k] = v;
  }
  const labels: Record<string, string> = {};
  for (const l of ctx.args.list('label')) {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new CliError(`--label ${l}: give KEY=VALUE`, { exitCode: 2 });
    labels[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return {
    template,
    scope,
    threshold: number(ctx.args.string('threshold'), '--threshold'),
    for: ctx.args.string('for'),
    window: ctx.args.string('window'),
    quantile: number(ctx.args.string('quantile'), '--quantile'),
    severity: ctx.args.string('severity'),
    labels,
    channels: ctx.args.list('channel'),
    enabled: !ctx.args.bool('disabled'),
    promql: ctx.args.string('promql'),
    summary: ctx.args.string('summary'),
  };
}

function scopeText(r: Pick<AlertRule, 'scope'>): string {
  return (
    Object.entries(r.scope)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || '-'
  );
}

/** berth alert-rules …: an environment's alert rules, their preview and versions (docs/alert-rules.md). */
export const alertRuleCommands: CommandDef[] = [
  {
    name: 'alert-rules list',
    usage: '-p PROJECT [-e ENV]',
    summary: "list an environment's alert rules",
    positionals: { min: 0, max: 0 },
    scoped: true,
    async run(ctx) {
      const res = await (await ctx.client()).get<{ items: AlertRule[] }>(base(ctx));
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.table(
          res.items,
          [
            { header: 'NAME', value: (r) => r.name },
            { header: 'TEMPLATE', value: (r) => r.template },
            { header: 'SCOPE', value: scopeText },
            { header: 'THRESHOLD', value: (r) => (r.threshold === null ? '-' : String(r.threshold)) },
            { header: 'FOR', value: (r) => r.for },
            { header: 'SEVERITY', value: (r) => r.severity },
            {
              header: 'ENABLED',
              value: (r) => (r.enabled ? 'yes' : r.endedReason ? `no (${r.endedReason})` : 'no'),
            },
          ],
          'no alert rules',
        );
      return 0;
    },
  },
  {
    name: 'alert-rules add',
    usage:
      'NAME -p PROJECT [-e ENV] --template T [--service S [--container C] | --route R | --certificate C] …',
    summary: 'add an alert rule; Prometheus checks and loads it (a refusal prints promtool’s message)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: ruleOptions,
    async run(ctx) {
      const body = validate(alertRuleCreateSchema, { name: ctx.arg(0), ...ruleBody(ctx) }, 'alert rule');
      const r = await (await ctx.client()).post<AlertRule & { version: number }>(base(ctx), body);
      if (ctx.out.json) ctx.out.printJson(r);
      else {
        ctx.out.line(`alert rule ${r.name} added (version ${r.version} of the rules of ${ctx.env()})`);
        ctx.out.line(`expr: ${r.expr}`);
      }
      return 0;
    },
  },
  {
    name: 'alert-rules rm',
    usage: 'NAME -p PROJECT [-e ENV]',
    summary: 'delete an alert rule',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      await (await ctx.client()).delete(`${base(ctx)}/${encodeURIComponent(ctx.arg(0))}`);
      if (!ctx.out.json) ctx.out.line(`alert rule ${ctx.arg(0)} deleted`);
      return 0;
    },
  },
  {
    name: 'alert-rules preview',
    usage: '-p PROJECT [-e ENV] --template T [scope and threshold flags as for add]',
    summary: "render a draft rule's PromQL and print its current value(s) from Prometheus",
    positionals: { min: 0, max: 0 },
    scoped: true,
    options: ruleOptions,
    async run(ctx) {
      const body = validate(alertRulePreviewSchema, ruleBody(ctx), 'alert rule');
      const res = await (
        await ctx.client()
      ).post<{ expr: string; samples: Array<{ metric: Record<string, string>; value: number | null }> }>(
        `${base(ctx)}/preview`,
        body,
      );
      if (ctx.out.json) ctx.out.printJson(res);
      else {
        ctx.out.line(`expr: ${res.expr}`);
        ctx.out.table(
          res.samples,
          [
            {
              header: 'SERIES',
              value: (s) =>
                ['service', 'container', 'route', 'certificate']
                  .filter((k) => s.metric[k])
                  .map((k) => `${k}=${s.metric[k]}`)
                  .join(',') || '-',
            },
            { header: 'VALUE', value: (s) => (s.value === null ? 'NaN' : String(s.value)) },
          ],
          'no series (nothing to evaluate yet)',
        );
      }
      return 0;
    },
  },
  {
    name: 'alert-rules versions',
    usage: '-p PROJECT [-e ENV] [--diff N]',
    summary: "list the versions of the environment's rule file; --diff N prints version N's diff",
    positionals: { min: 0, max: 0 },
    scoped: true,
    options: [{ name: 'diff', kind: 'string', value: 'N', description: 'print the diff of version N' }],
    async run(ctx) {
      const client = await ctx.client();
      const n = ctx.args.string('diff');
      if (n !== undefined) {
        const v = await client.get<AlertRuleVersion>(
          `${base(ctx)}/versions/${parseInteger(n, '--diff', 1, 1e9)}`,
        );
        if (ctx.out.json) ctx.out.printJson(v);
        else ctx.out.raw(v.diff.endsWith('\n') || !v.diff ? v.diff : `${v.diff}\n`);
        return 0;
      }
      const res = await client.get<{ items: AlertRuleVersion[] }>(`${base(ctx)}/versions`);
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.table(
          res.items,
          [
            { header: 'VERSION', value: (v) => String(v.number) },
            { header: 'CREATED', value: (v) => `${v.createdAt} by ${v.author}` },
            { header: 'RULES', value: (v) => String(v.rules) },
            { header: 'REASON', value: (v) => v.reason },
          ],
          'no versions',
        );
      return 0;
    },
  },
  {
    name: 'alert-rules rollback',
    usage: 'VERSION -p PROJECT [-e ENV]',
    summary: 'a new version of the rules with those of VERSION',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const version = parseInteger(ctx.arg(0), 'VERSION', 1, 1e9);
      const res = await (await ctx.client()).post<{ version: number }>(`${base(ctx)}/rollback`, { version });
      if (ctx.out.json) ctx.out.printJson(res);
      else
        ctx.out.line(`alert rules of ${ctx.env()}: version ${res.version} (the rules of version ${version})`);
      return 0;
    },
  },
];
