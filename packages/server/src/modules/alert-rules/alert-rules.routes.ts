import { z } from 'zod';
import {
  alertRuleCreateSchema,
  alertRulePreviewSchema,
  alertRuleRollbackSchema,
  alertRuleUpdateSchema,
  nameSchema,
} from '@berth/shared';
import type { RouteRegistry } from '../../http/route';
import type { AlertRulesService } from './alert-rules.service';

const envParams = z.object({ project: nameSchema, env: nameSchema }).strict();
const ruleParams = envParams.extend({ rule: nameSchema }).strict();
const versionParams = envParams.extend({ version: z.coerce.number().int().min(1) }).strict();
const projectScope = (p: { project: string }) => ({ kind: 'project' as const, project: p.project });

/** /api/v1/projects/{project}/envs/{env}/alert-rules (docs/alert-rules.md). */
export function registerAlertRuleRoutes(registry: RouteRegistry, rules: AlertRulesService): void {
  const base = '/api/v1/projects/:project/envs/:env/alert-rules';
  const read = { permission: 'services:read' as const, scope: projectScope };
  const write = { permission: 'services:write' as const, scope: projectScope };
  const tags = ['alert-rules'];

  registry.add({
    id: 'alert-rules.list',
    method: 'GET',
    url: base,
    summary: "An environment's alert rules with the PromQL each renders",
    tags,
    access: read,
    params: envParams,
    handler: async ({ params }) => ({
      items: await rules.list(params.project, params.env),
      nextCursor: null,
    }),
  });

  registry.add({
    id: 'alert-rules.create',
    method: 'POST',
    url: base,
    summary:
      'Create an alert rule from a template (custom PromQL: platform admins); promtool checks the new rule file (422 with its message) and Prometheus reloads it',
    tags,
    access: write,
    params: envParams,
    body: alertRuleCreateSchema,
    response: { status: 201, description: 'The rule, the version it made and whether Prometheus reloaded' },
    target: { kind: 'alert-rule', name: (p, b) => `${p.project}/${p.env}/${b.name}` },
    handler: async ({ params, body, actor }) => ({
      status: 201,
      body: await rules.create(params.project, params.env, body, actor),
    }),
  });

  registry.add({
    id: 'alert-rules.preview',
    method: 'POST',
    url: `${base}/preview`,
    summary:
      "Render a draft rule's PromQL and read its current value(s) from Prometheus (503 when monitoring is off)",
    tags,
    access: write,
    params: envParams,
    body: alertRulePreviewSchema,
    target: { kind: 'alert-rule', name: (p, b) => `${p.project}/${p.env}/${b.name}` },
    handler: ({ params, body, actor }) => rules.preview(params.project, params.env, body, actor),
  });

  registry.add({
    id: 'alert-rules.versions',
    method: 'GET',
    url: `${base}/versions`,
    summary: "The versions of an environment's rule file, newest first: who, when, why and the diff",
    tags,
    access: read,
    params: envParams,
    handler: async ({ params }) => ({
      items: await rules.versions(params.project, params.env),
      nextCursor: null,
    }),
  });

  registry.add({
    id: 'alert-rules.version',
    method: 'GET',
    url: `${base}/versions/:version`,
    summary: 'One version of the rule file: the file and its diff from the previous version',
    tags,
    access: read,
    params: versionParams,
    handler: ({ params }) => rules.version(params.project, params.env, params.version),
  });

  registry.add({
    id: 'alert-rules.rollback',
    method: 'POST',
    url: `${base}/rollback`,
    summary: 'Roll the rules back: a new version with the rules of an earlier one',
    tags,
    access: write,
    params: envParams,
    body: alertRuleRollbackSchema,
    target: { kind: 'alert-rules', name: (p) => `${p.project}/${p.env}` },
    handler: ({ params, body, actor }) =>
      rules.rollback(params.project, params.env, body.version, body.reason, actor),
  });

  registry.add({
    id: 'alert-rules.get',
    method: 'GET',
    url: `${base}/:rule`,
    summary: 'An alert rule with its PromQL',
    tags,
    access: read,
    params: ruleParams,
    handler: ({ params }) => rules.get(params.project, params.env, params.rule),
  });

  registry.add({
    id: 'alert-rules.update',
    method: 'PUT',
    url: `${base}/:rule`,
    summary: 'Replace an alert rule (a new version of the rule file, checked by promtool)',
    tags,
    access: write,
    params: ruleParams,
    body: alertRuleUpdateSchema,
    target: { kind: 'alert-rule' },
    handler: ({ params, body, actor }) => rules.update(params.project, params.env, params.rule, body, actor),
  });

  registry.add({
    id: 'alert-rules.delete',
    method: 'DELETE',
    url: `${base}/:rule`,
    summary: 'Delete an alert rule (a new version of the rule file)',
    tags,
    access: write,
    params: ruleParams,
    response: { status: 204, description: 'Deleted' },
    target: { kind: 'alert-rule' },
    handler: async ({ params, actor }) => {
      await rules.remove(params.project, params.env, params.rule, actor);
      return { status: 204 };
    },
  });
}
