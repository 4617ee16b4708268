import { z } from 'zod';
import { nameSchema } from './names';

/*
 * Alert rules of an environment (docs/alert-rules.md): a template, a scope, a threshold and a
 * for-duration, rendered by the server into one Prometheus rule file per environment.
 */

export const alertTemplates = [
  'cpu',
  'memory',
  'restarts',
  'oom',
  'unavailable',
  'http5xx',
  'latency',
  'probe',
  'certificate',
  'custom',
] as const;
export type AlertTemplate = (typeof alertTemplates)[number];

export const alertSeverities = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof alertSeverities)[number];

/** A Prometheus duration: one or more `<number><unit>` (ms, s, m, h, d, w, y), e.g. "30s", "1h30m". */
export const promDurationSchema = z
  .string()
  .max(32)
  .regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, 'must be a Prometheus duration such as "30s", "5m" or "1h30m"');

/** A container name as the ledger writes it (`<project>-<env>-<service>-r<release>-<suffix>`). */
const containerNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a container name such as "shop-prod-web-r3-1a2b3c"');

/**
 * What a rule watches: a whole service, one container of it (by name; the rule ends with the
 * container), a route, a certificate of the project, or a probe. Custom rules take `{}`.
 */
export const alertScopeSchema = z
  .object({
    service: nameSchema.optional(),
    container: containerNameSchema.optional(),
    route: nameSchema.optional(),
    certificate: nameSchema.optional(),
    probe: nameSchema.optional(),
  })
  .strict();
export type AlertScope = z.infer<typeof alertScopeSchema>;

/** Label names users may add (Prometheus names; `berth_*`, `severity` and `__*` are Berth's). */
export const alertLabelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const reservedLabel = (k: string) =>
  k.startsWith('__') ||
  k.startsWith('berth_') ||
  ['severity', 'alertname', 'service', 'container', 'route', 'project', 'env'].includes(k);

export const alertLabelsSchema = z.record(z.string(), z.string().max(1024)).superRefine((labels, ctx) => {
  const keys = Object.keys(labels);
  if (keys.length > 20)
    ctx.addIssue({ code: 'custom', message: `has ${keys.length} labels; a rule takes at most 20` });
  for (const k of keys) {
    if (!alertLabelNamePattern.test(k) || k.length > 100)
      ctx.addIssue({
        code: 'custom',
        path: [k],
        message: 'must be a label name: letters, digits and "_", not starting with a digit (at most 100)',
      });
    else if (reservedLabel(k))
      ctx.addIssue({
        code: 'custom',
        path: [k],
        message: `is set by Berth (berth_*, severity, alertname, service, container, route, project, env); choose another name`,
      });
  }
});

const alertRuleFields = {
  template: z.enum(alertTemplates),
  scope: alertScopeSchema.default({}),
  /**
   * cpu/memory: percent of the limit; restarts/oom: count within `window`; unavailable: replicas
   * missing; http5xx: percent of requests; latency: seconds at `quantile`; certificate: days left;
   * probe and custom: unused.
   */
  threshold: z.number().finite().min(0).max(1e12).optional(),
  for: promDurationSchema.default('1m'),
  /** Rate/increase window of restarts, oom, http5xx and latency (default 5m). */
  window: promDurationSchema.optional(),
  /** latency: the quantile (default 0.95). */
  quantile: z.number().gt(0).lt(1).optional(),
  severity: z.enum(alertSeverities).default('warning'),
  labels: alertLabelsSchema.default({}),
  /** Channel names of the project the alert goes to (they end in the `berth_channels` label). */
  channels: z.array(nameSchema).max(20).default([]),
  enabled: z.boolean().default(true),
  summary: z.string().max(500).optional(),
  description: z.string().max(2000).optional(),
  /** custom only (platform admins): the PromQL expression; it fires while it returns samples. */
  promql: z.string().min(1).max(8000).optional(),
};

/** Words of the API under …/alert-rules/ that cannot be rule names. */
const reservedRuleNames = ['preview', 'versions', 'rollback'];
const ruleNameSchema = nameSchema.refine(
  (n) => !reservedRuleNames.includes(n),
  'is a path of the API (…/alert-rules/preview, versions, rollback); choose another name',
);

export const alertRuleCreateSchema = z.object({ name: ruleNameSchema, ...alertRuleFields }).strict();
export type AlertRuleCreate = z.input<typeof alertRuleCreateSchema>;

/** A full replacement of the rule (PUT); the name stays. */
export const alertRuleUpdateSchema = z.object(alertRuleFields).strict();
export type AlertRuleUpdate = z.input<typeof alertRuleUpdateSchema>;

/** A draft to render and evaluate (nothing stored); its name defaults to "preview". */
export const alertRulePreviewSchema = z
  .object({ name: nameSchema.default('preview'), ...alertRuleFields })
  .strict();

export const alertRuleRollbackSchema = z
  .object({ version: z.number().int().min(1), reason: z.string().max(500).optional() })
  .strict();

export interface AlertRule {
  id: string;
  project: string;
  env: string;
  name: string;
  template: AlertTemplate;
  scope: AlertScope;
  threshold: number | null;
  for: string;
  window: string | null;
  quantile: number | null;
  severity: AlertSeverity;
  labels: Record<string, string>;
  channels: string[];
  enabled: boolean;
  summary: string | null;
  description: string | null;
  promql: string | null;
  /** Why the rule was disabled by Berth (e.g. its container is gone), else null. */
  endedReason: string | null;
  /** The PromQL Berth renders for it. */
  expr: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export interface AlertRuleVersion {
  number: number;
  author: string;
  reason: string;
  createdAt: string;
  /** The version this one rolled back to, if it is a rollback. */
  rolledBackFrom: number | null;
  rules: number;
  /** Line diff of the rule file from the previous version. */
  diff: string;
}
