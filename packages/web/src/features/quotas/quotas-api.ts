import type { ProjectQuota, QuotaRequest } from '@berth/shared';
import { api } from '../../api/client';

/** The quota API paths the portal calls (checked against /api/openapi.json by the e2e test). */
export const quotaApiRoutes = {
  get: 'GET /api/v1/projects/{project}/quota',
  set: 'PUT /api/v1/projects/{project}/quota',
} as const;

export const quotaKeys = { project: (project: string) => ['quota', project] as const };

const url = (project: string) => `/api/v1/projects/${encodeURIComponent(project)}/quota`;

export const getQuota = (project: string) => api<ProjectQuota>(url(project));
export const setQuota = (project: string, body: QuotaRequest) =>
  api<ProjectQuota>(url(project), { method: 'PUT', body });
