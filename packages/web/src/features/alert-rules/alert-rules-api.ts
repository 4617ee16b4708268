import type { AlertRule, AlertRuleVersion } from '@berth/shared';
import { api } from '../../api/client';

/** The alert rule API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const alertRuleApiRoutes = {
  list: 'GET /api/v1/projects/{project}/envs/{env}/alert-rules',
  create: 'POST /api/v1/projects/{project}/envs/{env}/alert-rules',
  update: 'PUT /api/v1/projects/{project}/envs/{env}/alert-rules/{rule}',
  remove: 'DELETE /api/v1/projects/{project}/envs/{env}/alert-rules/{rule}',
  preview: 'POST /api/v1/projects/{project}/envs/{env}/alert-rules/preview',
  versions: 'GET /api/v1/projects/{project}/envs/{env}/alert-rules/versions',
  rollback: 'POST /api/v1/projects/{project}/envs/{env}/alert-rules/rollback',
} as const;

/** The fields of a rule the form sends (the API's defaults fill the rest). */
export interface AlertRuleInput {
  template: string;
  scope: Record<string, string>;
  threshold?: number;
  for?: string;
  severity?: string;
  channels?: string[];
  labels?: Record<string, string>;
  enabled?: boolean;
  promql?: string;
}

export interface PreviewResult {
  expr: string;
  samples: Array<{ metric: Record<string, string>; value: number | null }>;
}

const seg = encodeURIComponent;
const rulesPath = (project: string, env: string) =>
  `/api/v1/projects/${seg(project)}/envs/${seg(env)}/alert-rules`;

export const alertRuleKeys = {
  list: (project: string, env: string) => ['alert-rules', project, env] as const,
  versions: (project: string, env: string) => ['alert-rules', project, env, 'versions'] as const,
};

export const listAlertRules = (project: string, env: string) =>
  api<{ items: AlertRule[] }>(rulesPath(project, env));
export const createAlertRule = (project: string, env: string, body: AlertRuleInput & { name: string }) =>
  api<AlertRule & { version: number }>(rulesPath(project, env), { method: 'POST', body });
export const updateAlertRule = (project: string, env: string, name: string, body: AlertRuleInput) =>
  api<AlertRule & { version: number }>(`${rulesPath(project, env)}/${seg(name)}`, { method: 'PUT', body });
export const deleteAlertRule = (project: string, env: string, name: string) =>
  api<void>(`${rulesPath(project, env)}/${seg(name)}`, { method: 'DELETE' });
export const previewAlertRule = (project: string, env: string, body: AlertRuleInput) =>
  api<PreviewResult>(`${rulesPath(project, env)}/preview`, { method: 'POST', body });
export const listAlertRuleVersions = (project: string, env: string) =>
  api<{ items: AlertRuleVersion[] }>(`${rulesPath(project, env)}/versions`);
export const rollbackAlertRules = (project: string, env: string, version: number) =>
  api<{ version: number }>(`${rulesPath(project, env)}/rollback`, { method: 'POST', body: { version } });
