/**
 * The alert templates (docs/alert-rules.md): each renders a PromQL expression over Berth's metric
 * names, every selector pinned to the rule's own project and env, and the rule file of an
 * environment. Pure. User values reach PromQL only as escaped string literals and YAML only as
 * double-quoted scalars; annotation text from users is escaped out of Prometheus' templating.
 */
import { InvalidError, type AlertRule, type AlertScope, type AlertTemplate } from '@berth/shared';

/** What a rule renders from (the stored rule, or a draft): a rule without what Berth adds to it. */
export type RuleInput = Omit<
  AlertRule,
  'enabled' | 'endedReason' | 'expr' | 'createdAt' | 'createdBy' | 'updatedAt' | 'updatedBy'
>;

/** The scope fields each template takes: required ones, and optional ones. */
export const templateScopes: Record<
  AlertTemplate,
  { required: (keyof AlertScope)[][]; optional: (keyof AlertScope)[] }
> = {
  cpu: { required: [['service']], optional: ['container'] },
  memory: { required: [['service']], optional: ['container'] },
  restarts: { required: [['service']], optional: [] },
  oom: { required: [['service']], optional: [] },
  unavailable: { required: [['service']], optional: [] },
  http5xx: { required: [['route'], ['service']], optional: [] },
  latency: { required: [['route'], ['service']], optional: [] },
  probe: { required: [['probe']], optional: [] },
  certificate: { required: [['certificate']], optional: [] },
  custom: { required: [[]], optional: ['service', 'container', 'route'] },
};

const defaultThreshold: Record<AlertTemplate, number | null> = {
  cpu: 80,
  memory: 90,
  restarts: 0,
  oom: 0,
  unavailable: 0,
  http5xx: 5,
  latency: 1,
  probe: null,
  certificate: 14,
  custom: null,
};

/** A PromQL string literal (double-quoted, Go escapes: JSON's are a subset). */
export function promString(value: string): string {
  return JSON.stringify(value);
}

/** `metric{k="v",…}` with every value escaped; `extra` are literal matchers Berth writes. */
export function selector(metric: string, matchers: Record<string, string | undefined>, extra = ''): string {
  const parts = Object.entries(matchers)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${promString(v)}`);
  if (extra) parts.push(extra);
  return `${metric}{${parts.join(',')}}`;
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

/** Checks a rule's scope against its template; throws a 400 naming the field. */
export function checkScope(template: AlertTemplate, scope: AlertScope): void {
  const allowed = templateScopes[template];
  const given = (Object.keys(scope) as (keyof AlertScope)[]).filter((k) => scope[k] !== undefined);
  const match = allowed.required.find((req) => req.every((k) => given.includes(k)));
  const describe = allowed.required
    .map((r) => (r.length ? `{${[...r, ...allowed.optional.map((o) => `${o}?`)].join(', ')}}` : '{}'))
    .join(' or ');
  if (!match)
    throw new InvalidError(`Template '${template}' needs the scope ${describe}.`, [
      { path: 'scope', message: `must be ${describe} for template '${template}'` },
    ]);
  for (const k of given)
    if (!match.includes(k) && !allowed.optional.includes(k))
      throw new InvalidError(
        `Template '${template}' does not take scope.${k}${k === 'container' && (template === 'restarts' || template === 'oom') ? ': a crashed container is replaced by a new one (a new name), so count restarts per service' : ''}; its scope is ${describe}.`,
        [{ path: `scope.${k}`, message: `not a scope of template '${template}'` }],
      );
}

/** The PromQL of a rule. Every selector carries the rule's project and env (custom: as written). */
export function renderExpr(rule: RuleInput): string {
  const { project, env, scope } = rule;
  const t = rule.threshold ?? defaultThreshold[rule.template];
  const window = rule.window ?? '5m';
  const own = { project, env, service: scope.service, container: scope.container };
  const gw = { project, env, service: scope.service, route: scope.route };
  switch (rule.template) {
    case 'cpu':
      // percent of one core ÷ the limit in cores = percent of the limit
      return `${selector('berth_container_cpu_percent', own)} / on(project, env, service, container) ${selector('berth_container_cpu_limit_cores', own)} > ${num(t!)}`;
    case 'memory':
      return `100 * ${selector('berth_container_memory_bytes', own)} / on(project, env, service, container) (${selector('berth_container_memory_limit_bytes', own)} > 0) > ${num(t!)}`;
    case 'restarts':
      return `increase(${selector('berth_service_restarts_total', own)}[${window}]) > ${num(t!)}`;
    case 'oom':
      return `increase(${selector('berth_service_oom_kills_total', own)}[${window}]) > ${num(t!)}`;
    case 'unavailable':
      return `${selector('berth_service_replicas_desired', own)} - on(project, env, service) ${selector('berth_service_replicas_ready', own)} > ${num(t!)}`;
    case 'http5xx': {
      const by = 'sum by (project, env, service, route)';
      return `100 * ${by} (rate(${selector('berth_gateway_requests_total', gw, 'status_class="5xx"')}[${window}])) / ${by} (rate(${selector('berth_gateway_requests_total', gw)}[${window}])) > ${num(t!)}`;
    }
    case 'latency':
      return `histogram_quantile(${num(rule.quantile ?? 0.95)}, sum by (project, env, service, route, le) (rate(${selector('berth_gateway_request_duration_seconds_bucket', gw)}[${window}]))) > ${num(t!)}`;
    case 'probe':
      return `${selector('probe_success', { project, env, berth_probe: scope.probe })} < 1`;
    case 'certificate':
      // certificates belong to the project (no env label)
      return `(${selector('berth_certificate_not_after_seconds', { project, certificate: scope.certificate })} - time()) / 86400 < ${num(t!)}`;
    case 'custom':
      if (!rule.promql)
        throw new InvalidError('A custom rule needs its PromQL expression in "promql".', [
          { path: 'promql', message: 'required for template custom' },
        ]);
      return rule.promql;
  }
}

/** The alert's name in Prometheus (a metric name): `berth_` and the rule name with "_" for "-". */
export function alertName(name: string): string {
  return `berth_${name.replace(/-/g, '_')}`;
}

/** Text from users in annotations: `{{` would start a Prometheus template (which can run queries). */
export function literalAnnotation(text: string): string {
  return text.replace(/\{\{/g, '{{ "{{" }}');
}

const scopeText = (s: AlertScope) =>
  Object.entries(s)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'the environment';

/** The labels every alert of the rule carries (the contract's berth_* labels first). */
export function ruleLabels(rule: RuleInput): Record<string, string> {
  const out: Record<string, string> = {
    ...rule.labels,
    berth_project: rule.project,
    berth_env: rule.env,
    berth_rule: rule.id,
    berth_rule_name: rule.name,
    severity: rule.severity,
    berth_channels: rule.channels.join(','),
  };
  if (rule.scope.service) out.service = rule.scope.service;
  if (rule.scope.container) out.container = rule.scope.container;
  if (rule.scope.route) out.route = rule.scope.route;
  return out;
}

export function ruleAnnotations(rule: RuleInput): { summary: string; description: string } {
  const summary =
    rule.summary != null
      ? literalAnnotation(rule.summary)
      : `${literalAnnotation(rule.name)}: ${rule.template} of ${literalAnnotation(scopeText(rule.scope))}`;
  const description =
    rule.description != null
      ? literalAnnotation(rule.description)
      : `${literalAnnotation(`${rule.project}/${rule.env}`)}{{ if $labels.container }} container {{ $labels.container }}{{ end }}{{ if $labels.route }} route {{ $labels.route }}{{ end }}: value {{ $value }}${rule.threshold != null ? ` (threshold ${num(rule.threshold)})` : ''}`;
  return { summary, description };
}

/** A YAML double-quoted scalar (JSON strings are valid ones). */
const q = (s: string) => JSON.stringify(s);

/** How every rule file Berth writes begins (so Berth removes only its own files). */
export const ruleFileHeader = '# Alert rules of project';

/** The rule file of one environment: one group, one rule per enabled rule, sorted by name. */
export function renderRuleFile(project: string, env: string, rules: RuleInput[]): string {
  const lines = [
    `${ruleFileHeader} ${project}, environment ${env}: written by Berth, do not edit.`,
    'groups:',
    `  - name: ${q(`berth/${project}/${env}`)}`,
  ];
  const sorted = [...rules].sort((a, b) => a.name.localeCompare(b.name));
  if (!sorted.length) {
    lines.push('    rules: []');
    return lines.join('\n') + '\n';
  }
  lines.push('    rules:');
  for (const r of sorted) {
    lines.push(
      `      - alert: ${q(alertName(r.name))}`,
      `        expr: ${q(renderExpr(r))}`,
      `        for: ${q(r.for)}`,
    );
    lines.push('        labels:');
    for (const [k, v] of Object.entries(ruleLabels(r)).sort(([a], [b]) => a.localeCompare(b)))
      lines.push(`          ${k}: ${q(v)}`);
    const a = ruleAnnotations(r);
    lines.push(
      '        annotations:',
      `          summary: ${q(a.summary)}`,
      `          description: ${q(a.description)}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** The file name of an environment's rules in the rules dir (names are DNS labels: no dots). */
export function ruleFileName(project: string, env: string): string {
  return `${project}.${env}.yml`;
}
